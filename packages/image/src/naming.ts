import { InputError, isValidImageName } from '@tripo04os/common';

/**
 * Image and repository names: ECR repository names and the `images` input lines (the reference
 * grammar itself lives in @tripo04os/common).
 */

/** ECR's rule for repository names: lower case path components, 2 to 256 characters. */
const ECR_REPOSITORY = /^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*\/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$/;

export function isValidRepositoryName(name: string): boolean {
  return name.length >= 2 && name.length <= 256 && ECR_REPOSITORY.test(name);
}

// The reference grammar has one home, @tripo04os/common's image-ref.ts; re-exported for callers of this package.
export { isValidImageName, registryOf, repositoryPathOf } from '@tripo04os/common';

/** `registry/path` of a full reference `registry/path:tag`. */
export function repositoryOfRef(ref: string): string {
  const colon = ref.lastIndexOf(':');
  return colon > ref.lastIndexOf('/') ? ref.slice(0, colon) : ref;
}

/** The tag of a full reference (`latest` when it has none). */
export function tagOfRef(ref: string): string {
  return ref.slice(repositoryOfRef(ref).length + 1) || 'latest';
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
