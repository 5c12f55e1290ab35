/**
 * Publishing a built image under its references, in an order that keeps the registry truthful:
 *
 * 1. the image is uploaded once per repository, under that repository's first immutable
 *    reference (a `sha-…` tag, a full version, a git tag) by the builder (`docker push`,
 *    `buildah push`, or buildx's own `--push`);
 * 2. every other immutable reference is put on that manifest by digest (one manifest PUT, nothing
 *    uploaded again);
 * 3. the gate (the scan) looks at the digest;
 * 4. only when it passes are the mutable references (`latest`, branch names, `1.2`) moved, the
 *    same way.
 *
 * A failure stops before the next phase, and the result says which references moved and which
 * did not (and why), so the caller can report exactly what the registry holds. References may
 * span several repositories and registries.
 */
import { errorMessage, type Logger } from '@tripo04os/common';
import type { Builder } from './builders.ts';
import { type DriverOptions, pushReference } from './driver.ts';
import { registryOf, repositoryOfRef, repositoryPathOf, tagOfRef } from './naming.ts';
import { type Manifest, RegistryClient, type RegistryCredentials } from './registry.ts';

/** Immutable references first (in their order), then the mutable ones. */
export function publishOrder(refs: readonly string[], isMutable: (ref: string) => boolean): string[] {
  return [...refs.filter((r) => !isMutable(r)), ...refs.filter(isMutable)];
}

/** The references that carry the upload: the first of each repository in publish order. */
export function uploadRefs(refs: readonly string[], isMutable: (ref: string) => boolean): string[] {
  const seen = new Set<string>();
  return publishOrder(refs, isMutable).filter((r) => {
    const repo = repositoryOfRef(r);
    if (seen.has(repo)) return false;
    seen.add(repo);
    return true;
  });
}

export interface PublishOptions {
  builder: Builder;
  /** Full references (`registry/path:tag`). */
  refs: readonly string[];
  /** Whether a reference's tag may move (it waits for the gate). */
  isMutable: (ref: string) => boolean;
  /** Registry credentials by registry host (for the manifest reads and PUTs). */
  credentials: (registry: string) => RegistryCredentials | undefined;
  /** buildx pushed the upload references itself; the digest it reported. */
  uploadedByBuild?: { digest?: string };
  /** Runs between the immutable and the mutable references; a string stops the mutable ones (why). */
  gate?: (digest: string, ref: string) => Promise<string | undefined>;
  driver: DriverOptions;
  /** For tests: the registry client of a registry host. */
  client?: (registry: string) => RegistryClient;
}

export interface PublishResult {
  /** Digest of the first repository's image (every repository's, when they agree). */
  digest?: string;
  /** The first reference that holds the image (for `image@digest`). */
  first?: string;
  /** References the registry now has at the image, in publish order. */
  moved: string[];
  /** References that did not move, with why. */
  notMoved: { ref: string; reason: string }[];
  /** The first failure (a push or a tag move), or the gate's verdict; undefined when all moved. */
  stopped?: { kind: 'push' | 'gate'; message: string };
  pushMs: number;
}

/** Pushes the image and moves every reference in the order above; never throws for a failed push. */
export async function publish(o: PublishOptions): Promise<PublishResult> {
  const log: Logger = o.driver.logger;
  const t0 = Date.now();
  let gateMs = 0;
  const clients = new Map<string, RegistryClient>();
  const clientOf = (registry: string) => {
    let c = clients.get(registry);
    if (!c) {
      const credentials = o.credentials(registry);
      c = o.client?.(registry) ?? new RegistryClient(registry, credentials ? { credentials } : {});
      clients.set(registry, c);
    }
    return c;
  };
  const ordered = publishOrder(o.refs, o.isMutable);
  const uploads = uploadRefs(o.refs, o.isMutable);
  const result: PublishResult = { moved: [], notMoved: [], pushMs: 0 };
  // The manifest is read once per repository, and only when another tag there needs it.
  const manifests = new Map<string, { digest: string; manifest?: Promise<Manifest> }>();
  const fail = (ref: string, err: unknown) => {
    const message = errorMessage(err);
    result.notMoved.push({ ref, reason: message });
    result.stopped ??= { kind: 'push', message: `${ref}: ${message}` };
  };

  // 1. One upload per repository.
  const rest = ordered.filter((r) => !uploads.includes(r));
  const immutableRest = rest.filter((r) => !o.isMutable(r));
  const mutableRest = rest.filter((r) => o.isMutable(r));
  const upload = async () => {
    for (const ref of uploads) {
      if (result.stopped) break;
      const registry = registryOf(ref);
      const path = repositoryPathOf(repositoryOfRef(ref));
      try {
        if (o.gate && o.isMutable(ref))
          log.warning(`${ref} moves before the scan: ${repositoryOfRef(ref)} gets no immutable tag to upload under (add type=sha)`);
        const reported =
          o.builder === 'buildx' ? o.uploadedByBuild?.digest : await pushReference(o.builder, ref, o.driver, o.credentials(registry));
        const digest = reported ?? (await clientOf(registry).manifestDigest(path, tagOfRef(ref)));
        if (!digest) throw new Error('pushed, but the registry has no manifest for it');
        manifests.set(repositoryOfRef(ref), { digest });
        result.moved.push(ref);
        result.digest ??= digest;
        result.first ??= ref;
      } catch (err) {
        fail(ref, err);
      }
    }
  };

  // 2 and 4. The other references: a manifest PUT each, all at once within a phase.
  const move = async (refs: string[]) => {
    const settled = await Promise.allSettled(
      refs.map(async (ref) => {
        const held = manifests.get(repositoryOfRef(ref));
        if (!held) throw new Error(`no image was uploaded to ${repositoryOfRef(ref)}`);
        const path = repositoryPathOf(repositoryOfRef(ref));
        const client = clientOf(registryOf(ref));
        held.manifest ??= client.getManifest(path, held.digest);
        const stored = await client.putManifest(path, tagOfRef(ref), await held.manifest);
        if (stored && stored !== held.digest) throw new Error(`the registry stored ${stored} instead of ${held.digest}`);
        log.info(`${ref} → ${held.digest}`);
      }),
    );
    settled.forEach((s, i) => {
      const ref = refs[i] as string;
      if (s.status === 'fulfilled') result.moved.push(ref);
      else fail(ref, s.reason);
    });
  };
  await log.group(`Push ${[...uploads, ...immutableRest].join(', ')}`, async () => {
    await upload();
    if (!result.stopped) await move(immutableRest);
  });

  // 3. The gate, then the mutable references.
  if (!result.stopped && o.gate && result.digest) {
    const g0 = Date.now();
    try {
      const verdict = await o.gate(result.digest, result.first as string);
      if (verdict) result.stopped = { kind: 'gate', message: verdict };
    } catch (err) {
      result.stopped = { kind: 'gate', message: errorMessage(err) };
    }
    gateMs = Date.now() - g0;
  }
  if (!result.stopped && mutableRest.length > 0) await log.group(`Move ${mutableRest.join(', ')}`, () => move(mutableRest));

  const accounted = new Set([...result.moved, ...result.notMoved.map((n) => n.ref)]);
  const why = result.stopped?.kind === 'gate' ? 'held back: the gate did not pass' : 'not attempted: an earlier push or tag move failed';
  for (const ref of ordered) if (!accounted.has(ref)) result.notMoved.push({ ref, reason: why });
  result.pushMs = Date.now() - t0 - gateMs;
  return result;
}

/** One line: what moved and what did not (for the error and the log). */
export function describePublish(r: PublishResult): string {
  const moved = r.moved.length > 0 ? `moved to ${r.digest}: ${r.moved.join(', ')}` : 'nothing moved';
  const not = r.notMoved.length > 0 ? `; not moved: ${r.notMoved.map((n) => n.ref).join(', ')}` : '';
  return `${moved}${not}`;
}
