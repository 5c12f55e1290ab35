/**
 * Image and repository names: ECR repository names, full image names for other registries,
 * and the registry host of an image.
 */

/** ECR's rule for repository names: lower case path components, 2 to 256 characters. */
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function isValidRepositoryName(name: string): boolean {
  return name.length >= 2 && name.length <= 256 && ECR_REPOSITORY.test(name);
}

/** `[host[:port]/]path` in the distribution reference grammar, without tag or digest. */
const DOMAIN = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?`;
const PATH = String.raw`[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*`;
const IMAGE_NAME = new RegExp(`^(?:${DOMAIN}\\/)?${PATH}$`);

export function isValidImageName(name: string): boolean {
  return name.length <= 255 && IMAGE_NAME.test(name);
}

/**
 * The registry host of an image name, as docker decides it: the first component when it has a
 * dot or a port or is `localhost`; else Docker Hub.
 */
export function registryOf(image: string): string {
  const slash = image.indexOf('/');
  if (slash > 0) {
    const first = image.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost') return first;
  }
  return 'docker.io';
}

/** The repository path inside its registry (`library/` added for single-name Docker Hub images). */
export function repositoryPathOf(image: string): string {
  const reg = registryOf(image);
  if (reg === 'docker.io') {
    const path = image.startsWith('docker.io/') ? image.slice('docker.io/'.length) : image;
    return path.includes('/') ? path : `library/${path}`;
  }
  return image.slice(reg.length + 1);
}
