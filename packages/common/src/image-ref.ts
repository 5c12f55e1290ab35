/**
 * The one home of the image-reference grammar (distribution/reference, what docker accepts):
 * `[domain[:port]/]path[:tag][@digest]`, the repository Docker normalises it to, and the registry
 * host and repository path of an image name. kubectl-deploy (`@tripo04os/kube`) and docker-build
 * (`@tripo04os/image`) both read references through it. The sandbox keeps its own parser on
 * purpose: it plays the cluster and the registry the actions talk to, so it must not share their
 * code (a bug in one would hide in both).
 */

const DOMAIN = String.raw`(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:]+\])(?::[0-9]+)?`;
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const TAG = String.raw`[\w][\w.-]{0,127}`;
const DIGEST = '[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}';
const REFERENCE = new RegExp(`^(?:(${DOMAIN})/)?(${COMPONENT}(?:/${COMPONENT})*)(?::(${TAG}))?(?:@(${DIGEST}))?$`);

export interface ParsedReference {
  /** The registry host (with port), when the reference names one. */
  domain?: string;
  /** The repository path inside the registry. */
  path: string;
  tag?: string;
  digest?: string;
}

/** Parses an image reference; undefined when it is not one. */
export function parseImageReference(ref: string): ParsedReference | undefined {
  if (ref.length > 255 + 128 + 80) return undefined;
  const m = REFERENCE.exec(ref);
  if (!m) return undefined;
  let domain = m[1];
  let path = m[2] as string;
  // "host/x" without a dot, colon or "localhost" is a Docker Hub path, not a domain.
  if (domain && !/[.:[]/.test(domain) && domain !== 'localhost' && domain.toLowerCase() === domain) {
    path = `${domain}/${path}`;
    domain = undefined;
  } else if (domain && domain !== domain.toLowerCase() && !/[.:[]/.test(domain)) {
    return undefined; // upper case is only allowed in a real domain
  }
  if (path.length > 255) return undefined;
  return { ...(domain !== undefined ? { domain } : {}), path, ...(m[3] ? { tag: m[3] } : {}), ...(m[4] ? { digest: m[4] } : {}) };
}

export function isValidImageReference(ref: string): boolean {
  return parseImageReference(ref) !== undefined;
}

/** An image name without tag or digest (`ghcr.io/org/app`, `127.0.0.1:5000/app`), 255 characters at most. */
export function isValidImageName(name: string): boolean {
  if (name.length > 255) return false;
  const p = parseImageReference(name);
  return p !== undefined && p.tag === undefined && p.digest === undefined;
}

/** The repository of a reference, normalised as Docker does (`nginx` → `docker.io/library/nginx`). */
export function imageRepository(ref: string): string {
  const p = parseImageReference(ref);
  if (!p) return ref;
  if (!p.domain || p.domain === 'docker.io' || p.domain === 'index.docker.io') {
    return `docker.io/${p.path.includes('/') ? p.path : `library/${p.path}`}`;
  }
  return `${p.domain}/${p.path}`;
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
