import { InputError } from '@tripo04os/common';

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

/** One line of the `images` input: an image name and whether it gets the tags. */
export interface ImageLine {
  name: string;
  enable: boolean;
}

export interface ParsedImages {
  images: ImageLine[];
  /** One notice per name that was lower-cased (metadata-action lower-cases without saying so). */
  notices: string[];
}

/**
 * Parses the `images` input in docker/metadata-action's syntax: one image a line, either a bare
 * name or `name=…,enable=true|false`; a single line of bare names may also list several,
 * comma-separated. Names are lower-cased (a notice says so); a name that is still not a valid
 * image name (no tag, no digest) is an input error.
 */
export function parseImages(lines: readonly string[], input = 'images'): ParsedImages {
  const images: ImageLine[] = [];
  const notices: string[] = [];
  const fieldsOf = (line: string) => splitFields(line);
  const oldFormat = lines.length === 1 && fieldsOf(lines[0] as string).every((f) => !f.includes('='));
  const add = (line: string, raw: string, enable: boolean) => {
    const name = raw.toLowerCase();
    if (name !== raw) notices.push(`Image name '${raw}' lower-cased to '${name}' (registries take lower-case repository names)`);
    if (!isValidImageName(name))
      throw new InputError(input, line, `'${raw}' is not an image name: expected [registry/]path without tag, e.g. ghcr.io/org/app`);
    images.push({ name, enable });
  };
  for (const line of lines) {
    if (oldFormat) {
      for (const f of fieldsOf(line)) add(line, f, true);
      continue;
    }
    let name = '';
    let enable = true;
    for (const f of fieldsOf(line)) {
      const eq = f.indexOf('=');
      if (eq < 0) {
        name = f;
        continue;
      }
      const key = f.slice(0, eq).trim().toLowerCase();
      const value = f.slice(eq + 1).trim();
      if (key === 'name') name = value;
      else if (key === 'enable') {
        if (value !== 'true' && value !== 'false') throw new InputError(input, line, `enable must be true or false, not '${value}'`);
        enable = value === 'true';
      } else throw new InputError(input, line, `unknown attribute '${key}'; expected a name, name=… and enable=true|false`);
    }
    if (!name) throw new InputError(input, line, 'no image name; expected e.g. ghcr.io/org/app or name=ghcr.io/org/app,enable=true');
    add(line, name, enable);
  }
  return { images, notices };
}

function splitFields(line: string): string[] {
  return line
    .split(',')
    .map((f) => f.trim())
    .filter((f) => f !== '');
}
