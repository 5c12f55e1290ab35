/**
 * Bundles one action entry point with @vercel/ncc the way the published actions are bundled:
 * minified ESM in OUT/index.js, OUT/package.json ({"type":"module"}) and OUT/licenses.txt.
 * Used by scripts/build.ts and by tests that bundle a fixture action.
 *
 * ncc transpiles only (`--transpile-only`): type errors are tsc's job (`npm run build` runs it
 * first). Without it ncc type-checks the whole project for each bundle, so one unrelated type
 * error anywhere (a test file in progress) would break every bundle, and it is much slower.
 *
 * ncc minifies only the entry file; the chunks it splits off for lazy `await import()`s stay as
 * written (kubectl-deploy's client-node chunk is 18 MB of code and comments, and parsing it was
 * most of the action's start-up). So every chunk is minified afterwards with swc, keeping class
 * and function names (some libraries read them) and the module syntax as it is.
 *
 * ncc runs through its programmatic API (its CLI has no flag for this) with `mainFields` set to
 * `module` before `main`, in a child process of this same file (`--ncc`), as ncc's webpack does
 * not belong in a test runner's module registry. The reason is the AWS SDK: its CommonJS builds
 * (`main`) compile the credential chain's lazy `await import()`s of each provider to plain
 * `require`s, so webpack put every provider, with the SSO, SSO-OIDC and STS clients they carry,
 * into the one chunk the chain is in, and every step that needs AWS parsed all of it (263 KB for
 * kubectl-deploy). The ES builds (`module`) keep the `import()`s, so ncc splits each provider
 * into a chunk that loads only when the chain reaches it. Of the packages in the bundles, only
 * the AWS SDK's and smithy's have a `module` field without an `exports` map, so nothing else
 * resolves differently (the client-node chunk and the notification bundle came out unchanged).
 *
 * ncc's persistent cache is off (`cache: false`). ncc keeps webpack's filesystem cache in
 * ~/.cache/ncc/<hash of the working directory>, keyed by entry and ncc version only, and webpack
 * restores a cached node_modules module with the modules its imports resolved to last time
 * (the "unsafe cache"), without resolving them again. So on a machine that built an earlier
 * commit in the same folder, a bundle can come out as an old build resolved it. The CI machine
 * once built docker-build's 21af3fb bundle, byte for byte (the SDK's CommonJS builds), from a
 * tree whose bundle.ts resolves the ES builds, and check-dist failed; every cold build here
 * gives the committed bundle, and that cache is the one state a build reads from outside the
 * tree. A bundle must be a function of the tree and node_modules alone. It costs nothing
 * measurable: the three actions build in 31 s without the cache and in 32 s with a warm one.
 *
 * Line endings are made LF (ncc copies CRLF from some dependencies' license comments). This
 * keeps the bundle byte-identical to what git stores under `.gitattributes`' `eol=lf`, so a
 * rebuild on a fresh clone leaves `git status` clean. It cannot change what the code does:
 * JavaScript string literals cannot hold a raw line break, and template literals read CRLF and
 * CR as LF.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { minify } from '@swc/core';
import { repoRoot } from '@tripo04os/kit/harness';

/** Bundles ENTRY into OUTDIR; relative paths are the repository root's, whatever the cwd. */
export async function bundle(entry: string, outDir: string, options: { quiet?: boolean } = {}): Promise<void> {
  outDir = resolve(repoRoot, outDir);
  rmSync(outDir, { recursive: true, force: true });
  const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--ncc', resolve(repoRoot, entry), outDir], {
    cwd: repoRoot,
    stdio: options.quiet ? 'pipe' : 'inherit',
    encoding: 'utf8',
  });
  if (r.status !== 0) {
    throw new Error(`bundling ${entry} failed (exit ${r.status ?? r.signal})${options.quiet ? `:\n${r.stdout}${r.stderr}` : ''}`);
  }
  await minifyChunks(outDir);
  normalizeLineEndings(outDir);
}

/** Minifies the lazily loaded chunks (`NNN.index.js`) ncc leaves unminified. */
export async function minifyChunks(dir: string): Promise<void> {
  for (const name of readdirSync(dir)) {
    if (!/^\d+\.index\.js$/.test(name)) continue;
    const path = join(dir, name);
    const out = await minify(readFileSync(path, 'utf8'), {
      module: true,
      ecma: 2022,
      compress: true,
      mangle: { keep_classnames: true, keep_fnames: true },
      format: { comments: false },
    });
    writeFileSync(path, out.code);
  }
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

interface NccAsset {
  source: string | Buffer;
  permissions?: number;
}

/** The child's part of `bundle`: ncc's build of ENTRY written to OUT, as its CLI writes it. */
async function nccBuild(entry: string, outDir: string): Promise<void> {
  const ncc = createRequire(import.meta.url)('@vercel/ncc') as (
    file: string,
    options: Record<string, unknown>,
  ) => Promise<{ code: string; assets: Record<string, NccAsset> }>;
  const { code, assets } = await ncc(resolve(repoRoot, entry), {
    minify: true,
    transpileOnly: true,
    license: 'licenses.txt',
    quiet: true,
    mainFields: ['module', 'main'],
    cache: false,
  });
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'index.js'), code);
  for (const [name, asset] of Object.entries(assets)) {
    const path = join(outDir, name);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, asset.source, { mode: asset.permissions });
  }
}

if (import.meta.main && process.argv[2] === '--ncc') {
  const [entry, outDir] = process.argv.slice(3);
  if (!entry || !outDir) throw new Error('usage: node scripts/bundle.ts --ncc ENTRY OUT');
  await nccBuild(entry, outDir);
}
