/**
 * Bundles one action entry point with @vercel/ncc the way the published actions are bundled:
 * minified ESM in OUT/index.js, OUT/package.json ({"type":"module"}) and OUT/licenses.txt.
 * Used by scripts/build.ts and by tests that bundle a fixture action.
 *
 * ncc transpiles only (`--transpile-only`): type errors are tsc's job (`npm run build` runs it
 * first). Without it ncc type-checks the whole project for each bundle, so one unrelated type
 * error anywhere (a test file in progress) would break every bundle, and it is much slower.
 *
 * Line endings are made LF (ncc copies CRLF from some dependencies' license comments). This
 * keeps the bundle byte-identical to what git stores under `.gitattributes`' `eol=lf`, so a
 * rebuild on a fresh clone leaves `git status` clean. It cannot change what the code does:
 * JavaScript string literals cannot hold a raw line break, and template literals read CRLF and
 * CR as LF.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..');

export function bundle(entry: string, outDir: string, options: { quiet?: boolean } = {}): void {
  rmSync(outDir, { recursive: true, force: true });
  const r = spawnSync(
    process.execPath,
    [
      join(repoRoot, 'node_modules/@vercel/ncc/dist/ncc/cli.js'),
      'build',
      entry,
      '-o',
      outDir,
      '--minify',
      '--transpile-only',
      '--license',
      'licenses.txt',
      '--quiet',
    ],
    { cwd: repoRoot, stdio: options.quiet ? 'pipe' : 'inherit', encoding: 'utf8' },
  );
  if (r.status !== 0) {
    throw new Error(`bundling ${entry} failed (exit ${r.status ?? r.signal})${options.quiet ? `:\n${r.stdout}${r.stderr}` : ''}`);
  }
  normalizeLineEndings(outDir);
}

/** Rewrites every text file of a folder (recursively) with LF line endings. */
export function normalizeLineEndings(dir: string): void {
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(js|cjs|mjs|json|txt|map)$/.test(entry.name)) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path, 'utf8');
    if (text.includes('\r')) writeFileSync(path, text.replace(/\r\n?/g, '\n'));
  }
}
