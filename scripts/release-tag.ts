/**
 * The release workflow's tag checks, with no dependency (they run before `npm ci`):
 *   node scripts/release-tag.ts verify vX.Y.Z    prints X.Y.Z when the tag equals lerna.json's version, else fails
 *   node scripts/release-tag.ts major vX.Y.Z     prints vX for a release, nothing for a pre-release
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export class ReleaseError extends Error {}

const TAG = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/;

/** `vX` for a release, undefined for a pre-release (which never moves the major tag). */
export function majorTag(version: string): string | undefined {
  const m = TAG.exec(version);
  if (!m) throw new ReleaseError(`${version} is not a semver version (X.Y.Z or X.Y.Z-rc.N)`);
  return m[4] ? undefined : `v${Number(m[1])}`;
}

/** The pushed tag is the version lerna.json names (returns that version). */
export function verifyTag(root: string, tag: string): string {
  if (!tag.startsWith('v') || !TAG.test(tag)) throw new ReleaseError(`${tag} is not a release tag (vX.Y.Z or vX.Y.Z-PRERELEASE)`);
  const lerna = JSON.parse(readFileSync(join(root, 'lerna.json'), 'utf8')).version as string;
  if (lerna !== tag.slice(1)) throw new ReleaseError(`tag ${tag} does not match lerna.json's version ${lerna}: nothing is released`);
  return lerna;
}

if (import.meta.filename === resolve(process.argv[1] ?? '')) {
  const [command, tag] = process.argv.slice(2);
  try {
    if (command === 'verify' && tag) process.stdout.write(`${verifyTag(resolve(import.meta.dirname, '..'), tag)}\n`);
    else if (command === 'major' && tag) process.stdout.write(`${majorTag(tag) ?? ''}\n`);
    else throw new ReleaseError('usage: node scripts/release-tag.ts verify|major vX.Y.Z');
  } catch (err) {
    process.stderr.write(`release: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  }
}
