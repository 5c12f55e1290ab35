/**
 * ECR (JSON 1.1, X-Amz-Target AmazonEC2ContainerRegistry_V20150921.*): the calls the actions
 * make, backed by the sandbox registry. Repositories live in memory and in DIR/ecr.json.
 */
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import type { SeededFindings } from '../control.ts';
import type { ImageDetail, RegistryClient } from '../registry.ts';
import { AwsError } from './errors.ts';

export const ECR_TARGET_PREFIX = 'AmazonEC2ContainerRegistry_V20150921.';
const NAME = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;

interface Repo {
  name: string;
  createdAt: number;
  imageTagMutability: string;
  scanOnPush: boolean;
  encryptionType: string;
  lifecyclePolicyText?: string;
  lifecyclePolicyAt?: number;
  tags: { Key: string; Value: string }[];
}

export interface EcrOptions {
  region: string;
  accountId: string;
  registry: RegistryClient;
  registryUser: string;
  registryPassword: string;
  /** JSON file keeping the repositories across restarts. */
  stateFile?: string;
  /** Lifetime of GetAuthorizationToken credentials (default 12 h, as ECR). */
  tokenLifetimeMs?: number;
}

type Input = Record<string, unknown>;

function str(input: Input, key: string, required: true): string;
function str(input: Input, key: string, required?: false): string | undefined;
function str(input: Input, key: string, required = false): string | undefined {
  const v = input[key];
  if (v === undefined || v === null) {
    if (required)
      throw new AwsError(
        'InvalidParameterException',
        400,
        `Invalid parameter at '${key}' failed to satisfy constraint: 'Member must not be null'`,
      );
    return undefined;
  }
  if (typeof v !== 'string')
    throw new AwsError('SerializationException', 400, `Start of structure or map found where not expected for ${key}`);
  return v;
}

export class Ecr {
  readonly #o: EcrOptions;
  readonly #repos = new Map<string, Repo>();
  #seeded: (SeededFindings & { polls: number })[] = [];
  /** Scans started with StartImageScan: repository@digest → IN_PROGRESS answers left. */
  readonly #started = new Map<string, number>();

  constructor(options: EcrOptions) {
    this.#o = options;
    if (options.stateFile) {
      try {
        for (const r of JSON.parse(readFileSync(options.stateFile, 'utf8')) as Repo[]) this.#repos.set(r.name, r);
      } catch {}
    }
  }

  seed(f: SeededFindings): void {
    this.#seeded.push({ ...f, polls: f.pendingPolls ?? 0 });
  }

  resetFindings(): void {
    this.#seeded = [];
    this.#started.clear();
  }

  async #save(): Promise<void> {
    if (this.#o.stateFile) await writeFile(this.#o.stateFile, JSON.stringify([...this.#repos.values()], null, 2));
  }

  get #registryId(): string {
    return this.#o.accountId;
  }

  #arn(name: string): string {
    return `arn:aws:ecr:${this.#o.region}:${this.#o.accountId}:repository/${name}`;
  }

  #describe(r: Repo) {
    return {
      repositoryArn: this.#arn(r.name),
      registryId: this.#registryId,
      repositoryName: r.name,
      repositoryUri: `${this.#o.registry.host}/${r.name}`,
      createdAt: r.createdAt,
      imageTagMutability: r.imageTagMutability,
      imageScanningConfiguration: { scanOnPush: r.scanOnPush },
      encryptionConfiguration: { encryptionType: r.encryptionType },
    };
  }

  #notFound(name: string): AwsError {
    return new AwsError(
      'RepositoryNotFoundException',
      400,
      `The repository with name '${name}' does not exist in the registry with id '${this.#registryId}'`,
    );
  }

  /** A repository created through CreateRepository, or one that exists in the registry (pushed directly). */
  async #repo(name: string): Promise<Repo> {
    const known = this.#repos.get(name);
    if (known) return known;
    if (NAME.test(name) && (await this.#o.registry.tags(name)).length > 0) {
      const implicit: Repo = {
        name,
        createdAt: Date.now() / 1000,
        imageTagMutability: 'MUTABLE',
        scanOnPush: false,
        encryptionType: 'AES256',
        tags: [],
      };
      this.#repos.set(name, implicit);
      await this.#save();
      return implicit;
    }
    throw this.#notFound(name);
  }

  async handle(operation: string, input: Input): Promise<unknown> {
    switch (operation) {
      case 'GetAuthorizationToken':
        return {
          authorizationData: [
            {
              authorizationToken: Buffer.from(`${this.#o.registryUser}:${this.#o.registryPassword}`).toString('base64'),
              expiresAt: Math.floor((Date.now() + (this.#o.tokenLifetimeMs ?? 12 * 3600_000)) / 1000),
              proxyEndpoint: `http://${this.#o.registry.host}`,
            },
          ],
        };
      case 'DescribeRepositories': {
        const names = input.repositoryNames;
        if (names !== undefined && !Array.isArray(names))
          throw new AwsError('InvalidParameterException', 400, 'repositoryNames must be a list');
        const maxResults = input.maxResults;
        if (
          maxResults !== undefined &&
          (typeof maxResults !== 'number' || !Number.isInteger(maxResults) || maxResults < 1 || maxResults > 1000)
        )
          throw new AwsError(
            'InvalidParameterException',
            400,
            "Invalid parameter at 'maxResults' failed to satisfy constraint: 'Member must have value between 1 and 1000'",
          );
        if (names?.length) {
          if (maxResults !== undefined || input.nextToken !== undefined)
            throw new AwsError('InvalidParameterException', 400, 'maxResults and nextToken cannot be used with repositoryNames');
          const repos: Repo[] = [];
          for (const n of names) repos.push(await this.#repo(String(n)));
          return { repositories: repos.map((r) => this.#describe(r)) };
        }
        for (const n of await this.#o.registry.repositories()) if (!this.#repos.has(n)) await this.#repo(n).catch(() => undefined);
        const all = [...this.#repos.values()].sort((a, b) => a.name.localeCompare(b.name));
        // nextToken: the name of the last repository of the previous page, base64 (opaque to clients).
        const token = str(input, 'nextToken');
        const after = token === undefined ? undefined : Buffer.from(token, 'base64').toString('utf8');
        if (token !== undefined && !after) throw new AwsError('InvalidParameterException', 400, 'Invalid parameter at nextToken');
        const from = after === undefined ? all : all.filter((r) => r.name > after);
        const page = from.slice(0, maxResults ?? 1000);
        const more = from.length > page.length;
        return {
          repositories: page.map((r) => this.#describe(r)),
          ...(more ? { nextToken: Buffer.from((page.at(-1) as Repo).name).toString('base64') } : {}),
        };
      }
      case 'DeleteRepository': {
        const repo = await this.#repo(str(input, 'repositoryName', true));
        if (input.force !== true && (await this.#o.registry.tags(repo.name)).length > 0)
          throw new AwsError(
            'RepositoryNotEmptyException',
            400,
            `The repository with name '${repo.name}' in registry with id '${this.#registryId}' cannot be deleted because it still contains images`,
          );
        this.#repos.delete(repo.name);
        await this.#save();
        return { repository: this.#describe(repo) };
      }
      case 'CreateRepository': {
        const name = str(input, 'repositoryName', true);
        if (name.length < 2 || name.length > 256 || !NAME.test(name)) {
          throw new AwsError(
            'InvalidParameterException',
            400,
            `Invalid parameter at 'repositoryName' failed to satisfy constraint: 'must satisfy regular expression '(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*' and length between 2 and 256'`,
          );
        }
        const mutability = str(input, 'imageTagMutability') ?? 'MUTABLE';
        if (!['MUTABLE', 'IMMUTABLE'].includes(mutability)) {
          throw new AwsError(
            'InvalidParameterException',
            400,
            `Invalid parameter at 'imageTagMutability' failed to satisfy constraint: 'Member must satisfy enum value set: [MUTABLE, IMMUTABLE]'`,
          );
        }
        if (this.#repos.has(name))
          throw new AwsError(
            'RepositoryAlreadyExistsException',
            400,
            `The repository with name '${name}' already exists in the registry with id '${this.#registryId}'`,
          );
        const scanning = input.imageScanningConfiguration as { scanOnPush?: unknown } | undefined;
        const encryption = input.encryptionConfiguration as { encryptionType?: unknown } | undefined;
        const repo: Repo = {
          name,
          createdAt: Date.now() / 1000,
          imageTagMutability: mutability,
          scanOnPush: scanning?.scanOnPush === true,
          encryptionType: typeof encryption?.encryptionType === 'string' ? encryption.encryptionType : 'AES256',
          tags: Array.isArray(input.tags) ? (input.tags as Repo['tags']) : [],
        };
        this.#repos.set(name, repo);
        await this.#save();
        return { repository: this.#describe(repo) };
      }
      case 'PutLifecyclePolicy': {
        const repo = await this.#repo(str(input, 'repositoryName', true));
        const text = str(input, 'lifecyclePolicyText', true);
        validateLifecyclePolicy(text);
        repo.lifecyclePolicyText = text;
        repo.lifecyclePolicyAt = Date.now() / 1000;
        await this.#save();
        return { registryId: this.#registryId, repositoryName: repo.name, lifecyclePolicyText: text };
      }
      case 'GetLifecyclePolicy': {
        const repo = await this.#repo(str(input, 'repositoryName', true));
        if (!repo.lifecyclePolicyText) {
          throw new AwsError(
            'LifecyclePolicyNotFoundException',
            400,
            `Lifecycle policy does not exist for the repository with name '${repo.name}' in the registry with id '${this.#registryId}'`,
          );
        }
        return {
          registryId: this.#registryId,
          repositoryName: repo.name,
          lifecyclePolicyText: repo.lifecyclePolicyText,
          lastEvaluatedAt: repo.lifecyclePolicyAt,
        };
      }
      case 'DescribeImages':
        return this.#describeImages(input);
      case 'DescribeImageScanFindings':
        return this.#scanFindings(input);
      case 'StartImageScan':
        return this.#startScan(input);
      default:
        throw new AwsError('UnknownOperationException', 400, `Operation ${operation} is not supported by the sandbox ECR`);
    }
  }

  #imageNotFound(repo: string, id: { imageTag?: string; imageDigest?: string }): AwsError {
    return new AwsError(
      'ImageNotFoundException',
      400,
      `The image with imageId {imageDigest:'${id.imageDigest ?? 'null'}', imageTag:'${id.imageTag ?? 'null'}'} does not exist within the repository with name '${repo}' in the registry with id '${this.#registryId}'`,
    );
  }

  async #describeImages(input: Input) {
    const repo = await this.#repo(str(input, 'repositoryName', true));
    const images = await this.#o.registry.images(repo.name);
    let selected: ImageDetail[] = images;
    const ids = input.imageIds as { imageTag?: string; imageDigest?: string }[] | undefined;
    if (ids?.length) {
      selected = [];
      for (const id of ids) {
        const found = images.find(
          (i) => (id.imageDigest ? i.digest === id.imageDigest : true) && (id.imageTag ? i.tags.includes(id.imageTag) : true),
        );
        if (!found || (!id.imageDigest && !id.imageTag)) throw this.#imageNotFound(repo.name, id);
        if (!selected.includes(found)) selected.push(found);
      }
    }
    const tagStatus = (input.filter as { tagStatus?: string } | undefined)?.tagStatus;
    if (tagStatus === 'UNTAGGED') selected = selected.filter((i) => i.tags.length === 0);
    if (tagStatus === 'TAGGED') selected = selected.filter((i) => i.tags.length > 0);
    return {
      imageDetails: selected.map((i) => {
        const detail: Record<string, unknown> = {
          registryId: this.#registryId,
          repositoryName: repo.name,
          imageDigest: i.digest,
          imageTags: i.tags,
          imageSizeInBytes: i.sizeInBytes,
          imagePushedAt: i.pushedAt.getTime() / 1000,
          imageManifestMediaType: i.mediaType,
          artifactMediaType: 'application/vnd.docker.container.image.v1+json',
        };
        const seed = this.#findSeed(repo.name, i.digest, i.tags);
        if (seed) {
          detail.imageScanStatus = { status: seed.polls > 0 ? 'IN_PROGRESS' : seed.status, description: seed.description ?? '' };
          if (seed.polls === 0 && (seed.status === 'COMPLETE' || seed.status === 'ACTIVE')) {
            detail.imageScanFindingsSummary = { imageScanCompletedAt: Date.now() / 1000, findingSeverityCounts: severityCounts(seed) };
          }
        } else if (repo.scanOnPush) {
          detail.imageScanStatus = { status: 'COMPLETE', description: 'The scan was completed successfully.' };
          detail.imageScanFindingsSummary = { imageScanCompletedAt: i.pushedAt.getTime() / 1000, findingSeverityCounts: {} };
        }
        return detail;
      }),
    };
  }

  #findSeed(repository: string, digest: string, tags: string[]) {
    for (let i = this.#seeded.length - 1; i >= 0; i--) {
      const s = this.#seeded[i]!;
      if (s.repository !== repository) continue;
      if (s.imageDigest && s.imageDigest !== digest) continue;
      if (s.imageTag && !tags.includes(s.imageTag)) continue;
      return s;
    }
    return undefined;
  }

  async #resolve(input: Input) {
    const repo = await this.#repo(str(input, 'repositoryName', true));
    const id = (input.imageId ?? {}) as { imageTag?: string; imageDigest?: string };
    if (!id.imageTag && !id.imageDigest)
      throw new AwsError(
        'InvalidParameterException',
        400,
        "Invalid parameter at 'imageId' failed to satisfy constraint: 'imageTag or imageDigest must be given'",
      );
    const digest = await this.#o.registry.digest(repo.name, id.imageDigest ?? id.imageTag!);
    if (!digest || (id.imageDigest && digest !== id.imageDigest)) throw this.#imageNotFound(repo.name, id);
    if (id.imageTag && id.imageDigest && (await this.#o.registry.digest(repo.name, id.imageTag)) !== digest)
      throw this.#imageNotFound(repo.name, id);
    const tags = id.imageTag ? [id.imageTag] : ((await this.#o.registry.images(repo.name)).find((i) => i.digest === digest)?.tags ?? []);
    const imageId = { imageDigest: digest, ...(id.imageTag ? { imageTag: id.imageTag } : {}) };
    return { repo, id, digest, tags, imageId };
  }

  async #startScan(input: Input) {
    const { repo, digest, imageId } = await this.#resolve(input);
    const key = `${repo.name}@${digest}`;
    if (this.#started.has(key))
      throw new AwsError('LimitExceededException', 400, 'The scan quota per image has been exceeded. Wait and try again.');
    this.#started.set(key, 1);
    return {
      registryId: this.#registryId,
      repositoryName: repo.name,
      imageId,
      imageScanStatus: { status: 'IN_PROGRESS', description: 'The scan is in progress.' },
    };
  }

  async #scanFindings(input: Input) {
    const { repo, id, digest, tags, imageId } = await this.#resolve(input);
    const base = { registryId: this.#registryId, repositoryName: repo.name, imageId };
    const seed = this.#findSeed(repo.name, digest, tags);
    const started = this.#started.get(`${repo.name}@${digest}`);
    if (!seed && started) {
      this.#started.set(`${repo.name}@${digest}`, 0);
      return { ...base, imageScanStatus: { status: 'IN_PROGRESS', description: 'The scan is in progress.' } };
    }
    if (!seed) {
      if (!repo.scanOnPush && started === undefined) {
        throw new AwsError(
          'ScanNotFoundException',
          400,
          `Image scan does not exist for the image with '{imageDigest:'${digest}', imageTag:'${id.imageTag ?? 'null'}'}' in the repository with name '${repo.name}' in the registry with id '${this.#registryId}'`,
        );
      }
      const now = Date.now() / 1000;
      return {
        ...base,
        imageScanStatus: { status: 'COMPLETE', description: 'The scan was completed successfully.' },
        imageScanFindings: { imageScanCompletedAt: now, vulnerabilitySourceUpdatedAt: now, findingSeverityCounts: {}, findings: [] },
      };
    }
    if (seed.polls > 0) {
      seed.polls--;
      return { ...base, imageScanStatus: { status: 'IN_PROGRESS', description: 'The scan is in progress.' } };
    }
    const status = { status: seed.status, description: seed.description ?? defaultDescription(seed.status) };
    if (seed.status !== 'COMPLETE' && seed.status !== 'ACTIVE') return { ...base, imageScanStatus: status };
    const now = Date.now() / 1000;
    const findings = seed.findings ?? [];
    const scanFindings: Record<string, unknown> = {
      imageScanCompletedAt: now,
      vulnerabilitySourceUpdatedAt: now,
      findingSeverityCounts: severityCounts(seed),
    };
    if (seed.status === 'COMPLETE') {
      scanFindings.findings = findings.map((f) => ({
        name: f.name,
        severity: f.severity,
        uri: f.uri ?? `https://nvd.nist.gov/vuln/detail/${f.name}`,
        description: f.description ?? '',
        attributes: [],
      }));
    } else {
      // Enhanced scanning (Amazon Inspector) reports continuously: status ACTIVE, enhancedFindings.
      scanFindings.enhancedFindings = findings.map((f, i) => ({
        awsAccountId: this.#o.accountId,
        description: f.description ?? '',
        findingArn: `arn:aws:inspector2:${this.#o.region}:${this.#o.accountId}:finding/sandbox${i}`,
        severity: f.severity,
        status: 'ACTIVE',
        title: f.name,
        type: 'PACKAGE_VULNERABILITY',
        firstObservedAt: now,
        lastObservedAt: now,
        updatedAt: now,
        fixAvailable: f.fixedInVersion ? 'YES' : 'NO',
        packageVulnerabilityDetails: {
          vulnerabilityId: f.name,
          sourceUrl: f.uri ?? '',
          source: 'NVD',
          vulnerablePackages: f.package
            ? [{ name: f.package, version: f.packageVersion ?? '', ...(f.fixedInVersion ? { fixedInVersion: f.fixedInVersion } : {}) }]
            : [],
        },
      }));
    }
    return { ...base, imageScanStatus: status, imageScanFindings: scanFindings };
  }
}

function defaultDescription(status: string): string {
  switch (status) {
    case 'COMPLETE':
      return 'The scan was completed successfully.';
    case 'ACTIVE':
      return 'Continuous scan is selected for image.';
    case 'FAILED':
      return 'The scan failed.';
    case 'UNSUPPORTED_IMAGE':
      return 'The operating system and/or package manager are not supported.';
    case 'PENDING':
      return 'The scan is pending.';
    default:
      return '';
  }
}

function severityCounts(seed: SeededFindings): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const f of seed.findings ?? [])
    if ((SEVERITIES as readonly string[]).includes(f.severity)) counts[f.severity] = (counts[f.severity] ?? 0) + 1;
  return counts;
}

function validateLifecyclePolicy(text: string): void {
  const fail = (why: string) =>
    new AwsError(
      'InvalidParameterException',
      400,
      `Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: 'Lifecycle policy validation failure: ${why}'`,
    );
  let policy: unknown;
  try {
    policy = JSON.parse(text);
  } catch {
    throw fail('the policy is not valid JSON');
  }
  const rules = (policy as { rules?: unknown }).rules;
  if (!Array.isArray(rules) || rules.length === 0) throw fail('object has missing required properties (["rules"])');
  for (const r of rules as Record<string, unknown>[]) {
    if (typeof r.rulePriority !== 'number') throw fail('rule has missing required property rulePriority');
    const sel = r.selection as Record<string, unknown> | undefined;
    if (!sel || !['tagged', 'untagged', 'any'].includes(String(sel.tagStatus)))
      throw fail('selection.tagStatus must be tagged, untagged or any');
    if (!['imageCountMoreThan', 'sinceImagePushed'].includes(String(sel.countType)))
      throw fail('selection.countType must be imageCountMoreThan or sinceImagePushed');
    if (typeof sel.countNumber !== 'number' || sel.countNumber < 1) throw fail('selection.countNumber must be a number ≥ 1');
    if ((r.action as { type?: string } | undefined)?.type !== 'expire') throw fail('action.type must be expire');
  }
}
