/**
 * Amazon ECR for the docker-build action: registry login from GetAuthorizationToken, the
 * repository (created with scan on push, tag mutability and a lifecycle policy), the tags it
 * holds, and the scan findings of a pushed digest. The SDK client is imported lazily and uses
 * the SDK's default credential chain and endpoint settings (AWS_ENDPOINT_URL_ECR included).
 */
import type { ECRClient } from '@aws-sdk/client-ecr';
import { errorMessage, formatDuration, type Logger, RetryError, retry, UserError } from '@tripo04os/common';

type Sdk = typeof import('@aws-sdk/client-ecr');
let sdkPromise: Promise<Sdk> | undefined;
const sdk = () => (sdkPromise ??= import('@aws-sdk/client-ecr'));

/** What the functions here need of an ECR client (the SDK's ECRClient, or a stand-in in tests). */
export interface EcrSender {
  send(command: unknown): Promise<unknown>;
}

export async function createEcrClient(region: string): Promise<ECRClient> {
  const { ECRClient } = await sdk();
  return new ECRClient({ region });
}

function awsErrorName(err: unknown): string {
  return (err as { name?: string } | undefined)?.name ?? '';
}

function wrap(call: string, err: unknown): UserError {
  if (err instanceof UserError) return err;
  const name = awsErrorName(err);
  const hint =
    name === 'CredentialsProviderError'
      ? ' (no AWS credentials: set role-to-assume with aws-actions/configure-aws-credentials, or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)'
      : '';
  return new UserError(`ECR ${call} failed: ${name && name !== 'Error' ? `${name}: ` : ''}${errorMessage(err)}${hint}`);
}

export interface EcrLogin {
  /** `123456789012.dkr.ecr.us-east-1.amazonaws.com` (host[:port], no scheme). */
  registry: string;
  /** As ECR reports it, e.g. `https://123….amazonaws.com`. */
  proxyEndpoint: string;
  username: string;
  password: string;
  expiresAt?: Date;
}

/** Decodes an authorization token (base64 of `user:password`). */
export function decodeAuthorizationToken(token: string): { username: string; password: string } {
  const text = Buffer.from(token, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i <= 0) throw new UserError('ECR GetAuthorizationToken returned a token that is not base64 of user:password');
  return { username: text.slice(0, i), password: text.slice(i + 1) };
}

/** GetAuthorizationToken → registry, user and password; the password (and token) are masked first. */
export async function getEcrLogin(client: EcrSender, logger: Logger): Promise<EcrLogin> {
  const { GetAuthorizationTokenCommand } = await sdk();
  let out: { authorizationData?: { authorizationToken?: string; proxyEndpoint?: string; expiresAt?: Date }[] };
  try {
    out = (await client.send(new GetAuthorizationTokenCommand({}))) as typeof out;
  } catch (err) {
    throw wrap('GetAuthorizationToken', err);
  }
  const data = out.authorizationData?.[0];
  if (!data?.authorizationToken || !data.proxyEndpoint) throw new UserError('ECR GetAuthorizationToken returned no authorization data');
  logger.mask(data.authorizationToken);
  const { username, password } = decodeAuthorizationToken(data.authorizationToken);
  logger.mask(password);
  const registry = data.proxyEndpoint.replace(/^[a-z]+:\/\//, '').replace(/\/+$/, '');
  return { registry, proxyEndpoint: data.proxyEndpoint, username, password, ...(data.expiresAt ? { expiresAt: data.expiresAt } : {}) };
}

/** Expire untagged images after 14 days; tagged images are kept. */
export const DEFAULT_LIFECYCLE_POLICY = JSON.stringify({
  rules: [
    {
      rulePriority: 1,
      description: 'Expire untagged images older than 14 days',
      selection: { tagStatus: 'untagged', countType: 'sinceImagePushed', countUnit: 'days', countNumber: 14 },
      action: { type: 'expire' },
    },
  ],
});

export interface RepositoryOptions {
  /** Create the repository when it is missing (default true). */
  create?: boolean;
  tagMutability?: 'MUTABLE' | 'IMMUTABLE';
  /**
   * Lifecycle policy JSON ('' for none). A new repository gets it (default
   * DEFAULT_LIFECYCLE_POLICY); an existing one is brought to it only when it is given.
   */
  lifecyclePolicy?: string;
  logger: Logger;
}

export interface Repository {
  name: string;
  /** `registry/name`. */
  uri: string;
  registryId?: string;
  created: boolean;
  scanOnPush?: boolean;
}

type Repo = { repositoryUri?: string; registryId?: string; imageScanningConfiguration?: { scanOnPush?: boolean } };

/** DescribeRepositories for one name: the repository, or undefined when it does not exist. */
export async function describeRepository(client: EcrSender, name: string): Promise<Repository | undefined> {
  const { DescribeRepositoriesCommand } = await sdk();
  try {
    const out = (await client.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }))) as { repositories?: Repo[] };
    const repo = out.repositories?.[0];
    if (!repo?.repositoryUri) return undefined;
    return {
      name,
      uri: repo.repositoryUri,
      created: false,
      ...(repo.registryId ? { registryId: repo.registryId } : {}),
      ...(repo.imageScanningConfiguration?.scanOnPush !== undefined ? { scanOnPush: repo.imageScanningConfiguration.scanOnPush } : {}),
    };
  } catch (err) {
    if (awsErrorName(err) === 'RepositoryNotFoundException') return undefined;
    throw wrap('DescribeRepositories', err);
  }
}

/** The same policy, whatever its spacing and key order. */
function samePolicy(a: string, b: string): boolean {
  const canonical = (text: string): string => {
    const sort = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(sort)
        : v && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v as Record<string, unknown>)
                .sort(([x], [y]) => x.localeCompare(y))
                .map(([k, x]) => [k, sort(x)]),
            )
          : v;
    try {
      return JSON.stringify(sort(JSON.parse(text)));
    } catch {
      return text;
    }
  };
  return canonical(a) === canonical(b);
}

/** The repository's lifecycle policy text, or undefined when it has none. */
export async function getLifecyclePolicy(client: EcrSender, name: string): Promise<string | undefined> {
  const { GetLifecyclePolicyCommand } = await sdk();
  try {
    const out = (await client.send(new GetLifecyclePolicyCommand({ repositoryName: name }))) as { lifecyclePolicyText?: string };
    return out.lifecyclePolicyText;
  } catch (err) {
    if (awsErrorName(err) === 'LifecyclePolicyNotFoundException') return undefined;
    throw wrap('GetLifecyclePolicy', err);
  }
}

async function putPolicy(client: EcrSender, name: string, policy: string): Promise<void> {
  const { PutLifecyclePolicyCommand } = await sdk();
  await client.send(new PutLifecyclePolicyCommand({ repositoryName: name, lifecyclePolicyText: policy }));
}

function refused(name: string, err: unknown, after: string): UserError {
  const name_ = awsErrorName(err);
  return new UserError(
    `Input 'lifecycle-policy' was refused by ECR for ${name}: ${name_ && name_ !== 'Error' ? `${name_}: ` : ''}${errorMessage(err)}; ${after}`,
  );
}

/**
 * Brings an existing repository's lifecycle policy to the one given: unchanged when equal (as
 * JSON), replaced when different, left alone (with a warning) when the input is none.
 */
async function reconcilePolicy(client: EcrSender, name: string, policy: string, logger: Logger): Promise<void> {
  const current = await getLifecyclePolicy(client, name);
  if (policy.trim() === '') {
    if (current !== undefined)
      logger.warning(`ECR repository ${name} has a lifecycle policy; lifecycle-policy: none does not remove it (delete it in ECR)`);
    return;
  }
  if (current !== undefined && samePolicy(current, policy)) {
    logger.info(`The lifecycle policy of ${name} is already the one given`);
    return;
  }
  try {
    await putPolicy(client, name, policy);
  } catch (err) {
    throw refused(name, err, `the repository keeps ${current === undefined ? 'no policy' : 'its previous policy'}`);
  }
  logger.info(`${current === undefined ? 'Set' : 'Replaced'} the lifecycle policy of ${name} (lifecycle-policy differed from ECR's)`);
}

/**
 * DescribeRepositories (unless `known` already says what it found); for an existing repository
 * the lifecycle policy is brought to `lifecyclePolicy` when that is given; a missing one is
 * created (CreateRepository + PutLifecyclePolicy). When ECR refuses the policy of a repository
 * this call just created, the (empty) repository is deleted again, so that nothing is left
 * half-made and a rerun with a valid policy starts clean.
 */
export async function ensureRepository(
  client: EcrSender,
  name: string,
  options: RepositoryOptions & { known?: Repository | undefined | null },
): Promise<Repository> {
  const { CreateRepositoryCommand, DeleteRepositoryCommand } = await sdk();
  const existing = options.known !== undefined ? (options.known ?? undefined) : await describeRepository(client, name);
  if (existing) {
    if (options.lifecyclePolicy !== undefined) await reconcilePolicy(client, name, options.lifecyclePolicy, options.logger);
    return existing;
  }
  if (options.create === false) {
    throw new UserError(`ECR repository '${name}' does not exist; create it or set create-repository: true`);
  }
  let repo: Repo | undefined;
  try {
    const out = (await client.send(
      new CreateRepositoryCommand({
        repositoryName: name,
        imageTagMutability: options.tagMutability ?? 'MUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
      }),
    )) as { repository?: Repo };
    repo = out.repository;
  } catch (err) {
    // Another job of the same matrix may have created it a moment ago.
    if (awsErrorName(err) === 'RepositoryAlreadyExistsException')
      return ensureRepository(client, name, { ...options, known: undefined, create: false });
    throw wrap('CreateRepository', err);
  }
  if (!repo?.repositoryUri) throw new UserError(`ECR CreateRepository returned no URI for '${name}'`);
  options.logger.info(`Created ECR repository ${repo.repositoryUri} (scan on push, tags ${options.tagMutability ?? 'MUTABLE'})`);
  const policy = options.lifecyclePolicy ?? DEFAULT_LIFECYCLE_POLICY;
  if (policy.trim() !== '') {
    try {
      await putPolicy(client, name, policy);
      options.logger.info(`Set the lifecycle policy of ${name}`);
    } catch (err) {
      try {
        await client.send(new DeleteRepositoryCommand({ repositoryName: name }));
      } catch (e) {
        throw refused(name, err, `and deleting the repository just created failed too (${errorMessage(e)}): it is left without a policy`);
      }
      throw refused(name, err, 'the repository just created was deleted again; fix the policy and rerun');
    }
  }
  return { name, uri: repo.repositoryUri, created: true, scanOnPush: true, ...(repo.registryId ? { registryId: repo.registryId } : {}) };
}

/** Every tag in a repository (DescribeImages, all pages); empty when the repository does not exist. */
export async function listImageTags(client: EcrSender, name: string): Promise<string[]> {
  const { DescribeImagesCommand } = await sdk();
  const tags: string[] = [];
  let nextToken: string | undefined;
  do {
    let out: { imageDetails?: { imageTags?: string[] }[]; nextToken?: string };
    try {
      out = (await client.send(
        new DescribeImagesCommand({
          repositoryName: name,
          filter: { tagStatus: 'TAGGED' },
          maxResults: 1000,
          ...(nextToken ? { nextToken } : {}),
        }),
      )) as typeof out;
    } catch (err) {
      if (awsErrorName(err) === 'RepositoryNotFoundException') return [];
      throw wrap('DescribeImages', err);
    }
    for (const d of out.imageDetails ?? []) tags.push(...(d.imageTags ?? []));
    nextToken = out.nextToken;
  } while (nextToken);
  return tags;
}

export interface EcrFinding {
  id: string;
  severity: string;
  package?: string;
  installedVersion?: string;
  fixedVersion?: string;
  uri?: string;
  title?: string;
}

export interface EcrScanResult {
  /** COMPLETE or ACTIVE (findings ready), or UNSUPPORTED_IMAGE / SCAN_ELIGIBILITY_EXPIRED / FINDINGS_UNAVAILABLE (no findings). */
  status: string;
  description?: string;
  findings: EcrFinding[];
  /** How many DescribeImageScanFindings answers said the scan was still running. */
  polls: number;
}

export interface ScanWaitOptions {
  timeoutMs: number;
  logger: Logger;
  /** Drop enhanced-scanning findings with fixAvailable NO (basic scanning does not say). */
  ignoreUnfixed?: boolean;
  /** First delay between polls (default 2 s, doubling up to 15 s). */
  pollMs?: number;
  maxPollMs?: number;
}

class ScanPending extends Error {
  override name = 'ScanPending';
}

type RawFindings = {
  imageScanStatus?: { status?: string; description?: string };
  imageScanFindings?: {
    findings?: { name?: string; severity?: string; uri?: string; description?: string; attributes?: { key?: string; value?: string }[] }[];
    enhancedFindings?: {
      severity?: string;
      title?: string;
      fixAvailable?: string;
      packageVulnerabilityDetails?: {
        vulnerabilityId?: string;
        sourceUrl?: string;
        vulnerablePackages?: { name?: string; version?: string; fixedInVersion?: string }[];
      };
    }[];
  };
  nextToken?: string;
};

/** Maps one page of DescribeImageScanFindings (basic and enhanced findings) to findings. */
export function findingsOf(page: RawFindings, ignoreUnfixed = false): EcrFinding[] {
  const out: EcrFinding[] = [];
  for (const f of page.imageScanFindings?.findings ?? []) {
    const attr = (k: string) => f.attributes?.find((a) => a.key === k)?.value;
    const pkg = attr('package_name');
    const version = attr('package_version');
    out.push({
      id: f.name ?? 'unknown',
      severity: f.severity ?? 'UNDEFINED',
      ...(pkg ? { package: pkg } : {}),
      ...(version ? { installedVersion: version } : {}),
      ...(f.uri ? { uri: f.uri } : {}),
      ...(f.description ? { title: f.description } : {}),
    });
  }
  for (const f of page.imageScanFindings?.enhancedFindings ?? []) {
    if (ignoreUnfixed && f.fixAvailable === 'NO') continue;
    const d = f.packageVulnerabilityDetails;
    const p = d?.vulnerablePackages?.[0];
    out.push({
      id: d?.vulnerabilityId ?? f.title ?? 'unknown',
      severity: f.severity ?? 'UNDEFINED',
      ...(p?.name ? { package: p.name } : {}),
      ...(p?.version ? { installedVersion: p.version } : {}),
      ...(p?.fixedInVersion ? { fixedVersion: p.fixedInVersion } : {}),
      ...(d?.sourceUrl ? { uri: d.sourceUrl } : {}),
      ...(f.title ? { title: f.title } : {}),
    });
  }
  return out;
}

/**
 * Waits for the scan of a pushed digest (DescribeImageScanFindings, polled with the shared retry
 * helper until `timeoutMs`): PENDING and IN_PROGRESS wait, COMPLETE and ACTIVE give the findings,
 * FAILED fails, UNSUPPORTED_IMAGE (and the other final statuses) return without findings.
 * A scan that was never started is started once (StartImageScan).
 */
export async function waitForScanFindings(
  client: EcrSender,
  repository: string,
  digest: string,
  options: ScanWaitOptions,
): Promise<EcrScanResult> {
  const { DescribeImageScanFindingsCommand, StartImageScanCommand } = await sdk();
  let polls = 0;
  let started = false;
  let lastStatus = 'not started';
  const pageOf = async (nextToken?: string): Promise<RawFindings> => {
    try {
      return (await client.send(
        new DescribeImageScanFindingsCommand({
          repositoryName: repository,
          imageId: { imageDigest: digest },
          maxResults: 1000,
          ...(nextToken ? { nextToken } : {}),
        }),
      )) as RawFindings;
    } catch (err) {
      if (awsErrorName(err) === 'ScanNotFoundException') {
        if (!started) {
          started = true;
          try {
            await client.send(new StartImageScanCommand({ repositoryName: repository, imageId: { imageDigest: digest } }));
            options.logger.info(`Started an ECR scan of ${repository}@${digest}`);
          } catch (e) {
            if (awsErrorName(e) !== 'LimitExceededException') throw wrap('StartImageScan', e);
          }
        }
        throw new ScanPending('the scan has not started yet');
      }
      throw wrap('DescribeImageScanFindings', err);
    }
  };
  try {
    const { value } = await retry(
      async () => {
        const first = await pageOf();
        const status = first.imageScanStatus?.status ?? 'PENDING';
        lastStatus = status;
        const description = first.imageScanStatus?.description;
        if (status === 'PENDING' || status === 'IN_PROGRESS') {
          polls++;
          throw new ScanPending(`status ${status}`);
        }
        if (status === 'FAILED') throw new UserError(`ECR scan of ${repository}@${digest} failed${description ? `: ${description}` : ''}`);
        if (status !== 'COMPLETE' && status !== 'ACTIVE') {
          return { status, ...(description ? { description } : {}), findings: [], polls };
        }
        const findings = findingsOf(first, options.ignoreUnfixed);
        let token = first.nextToken;
        while (token) {
          const page = await pageOf(token);
          findings.push(...findingsOf(page, options.ignoreUnfixed));
          token = page.nextToken;
        }
        return { status, ...(description ? { description } : {}), findings, polls };
      },
      {
        attempts: Number.MAX_SAFE_INTEGER,
        deadlineMs: options.timeoutMs,
        baseDelayMs: options.pollMs ?? 2000,
        maxDelayMs: options.maxPollMs ?? 15_000,
        isRetryable: (e) => e instanceof ScanPending,
        onRetry: ({ delayMs, error }) =>
          options.logger.info(`ECR scan: ${errorMessage(error)}; next look in ${Math.round(delayMs / 100) / 10}s`),
      },
    );
    return value;
  } catch (err) {
    if (err instanceof RetryError) {
      throw new UserError(
        `ECR scan of ${repository}@${digest} did not finish within ${formatDuration(options.timeoutMs)} (last status ${lastStatus}); raise scan-timeout`,
      );
    }
    throw err;
  }
}
