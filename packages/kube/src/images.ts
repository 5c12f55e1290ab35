import { InputError, imageRepository, isValidImageReference, UserError } from '@tripo04os/common';

/** One `images` line: `deployment=image` or `deployment/container=image`. */
export interface ImageEntry {
  deployment: string;
  container?: string;
  image: string;
  /** The image's repository, normalised (docker.io/library/ added for Docker Hub names). */
  repository: string;
}

const NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const CONTAINER_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// The reference grammar has one home, @tripo04os/common's image-ref.ts; re-exported for callers of this package.
export { imageRepository, isValidImageReference, type ParsedReference, parseImageReference } from '@tripo04os/common';

/** Parses the `images` input (one entry per line). Throws an InputError naming the line. */
export function parseImages(lines: readonly string[], input = 'images'): ImageEntry[] {
  const out: ImageEntry[] = [];
  const seen = new Set<string>();
  for (const line of lines) {
    const i = line.indexOf('=');
    const target = i > 0 ? line.slice(0, i).trim() : '';
    const image = i > 0 ? line.slice(i + 1).trim() : '';
    const parts = target.split('/');
    const [deployment, container] = parts as [string, string | undefined];
    if (
      i <= 0 ||
      image === '' ||
      parts.length > 2 ||
      !NAME.test(deployment) ||
      deployment.length > 253 ||
      (container !== undefined && !CONTAINER_NAME.test(container))
    ) {
      throw new InputError(input, line, 'expected lines of the form deployment=image or deployment/container=image');
    }
    if (!isValidImageReference(image)) {
      throw new InputError(
        input,
        line,
        `'${image}' is not a valid image reference (expected [registry/]repository[:tag][@sha256:digest], lower-case repository)`,
      );
    }
    const key = `${deployment}/${container ?? ''}`;
    if (seen.has(key)) throw new InputError(input, line, `expected each deployment${container ? '/container' : ''} at most once`);
    seen.add(key);
    out.push({ deployment, container, image, repository: imageRepository(image) });
  }
  return out;
}

export interface ContainerLike {
  name: string;
  image?: string;
}

/**
 * Picks the container an entry updates: the named one; else the container whose image
 * repository matches the new image's; else the only container. Ambiguity is an error.
 */
export function resolveContainer(
  entry: ImageEntry,
  containers: readonly ContainerLike[],
  initContainers: readonly ContainerLike[] = [],
): { name: string; init: boolean; image: string | undefined } {
  const where = `Deployment '${entry.deployment}'`;
  if (entry.container) {
    const c = containers.find((x) => x.name === entry.container);
    if (c) return { name: c.name, init: false, image: c.image };
    const ic = initContainers.find((x) => x.name === entry.container);
    if (ic) return { name: ic.name, init: true, image: ic.image };
    throw new UserError(`${where} has no container '${entry.container}' (it has ${containers.map((x) => x.name).join(', ') || 'none'})`);
  }
  const matching = containers.filter((c) => c.image && imageRepository(c.image) === entry.repository);
  if (matching.length === 1) {
    const c = matching[0] as ContainerLike;
    return { name: c.name, init: false, image: c.image };
  }
  if (matching.length > 1) {
    throw new UserError(
      `${where}: containers ${matching.map((c) => c.name).join(', ')} all run ${entry.repository}; name one: ${entry.deployment}/CONTAINER=${entry.image}`,
    );
  }
  if (containers.length === 1) {
    const c = containers[0] as ContainerLike;
    return { name: c.name, init: false, image: c.image };
  }
  throw new UserError(
    `${where} has containers ${containers.map((c) => c.name).join(', ')} and none runs ${entry.repository}; name one: ${entry.deployment}/CONTAINER=${entry.image}`,
  );
}
