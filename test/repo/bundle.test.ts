/**
 * scripts/bundle.ts keeps no cache between builds: ncc's persistent cache outlives the tree it
 * built, and once made the CI machine rebuild an old commit's bundle (see bundle.ts).
 *
 * scripts/bundle.ts bundles the AWS SDK's ES builds (`mainFields`: module before main), so each
 * provider of the credential chain stays behind its lazy `import()`: the chunk holding the chain
 * holds none of the SSO, SSO-OIDC or STS clients only some providers need, and a step with keys
 * in its environment never parses them. Proven on the committed bundles, which check-dist keeps
 * equal to what bundle.ts builds (BUNDLES_DIR names another tree's actions/, to check an old one).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@tripo04os/kit/harness';

const actionsDir = process.env.BUNDLES_DIR ?? join(repoRoot, 'actions');
/** A string only the default credential chain (@aws-sdk/credential-provider-node) has. */
const CHAIN = 'Multiple credential sources detected';
const CLIENTS = /SSOOIDCClient|SSOClient|STSClient/;

const chunks = (action: string) => {
  const dist = join(actionsDir, action, 'dist');
  return readdirSync(dist)
    .filter((f) => f.endsWith('.js'))
    .map((f) => ({ name: f, text: readFileSync(join(dist, f), 'utf8') }));
};

test.each(['docker-build', 'kubectl-deploy'])('%s: the credential chain is a chunk without the clients its providers load', (action) => {
  const all = chunks(action);
  const chain = all.filter((c) => c.text.includes(CHAIN));
  expect(chain.map((c) => c.name)).toHaveLength(1);
  expect(chain[0]?.text.match(CLIENTS)?.[0]).toBeUndefined(); // the client's name, not the whole chunk, on failure
  // The clients are still in the bundle, for the providers that need them.
  expect(all.filter((c) => /SSOOIDCClient/.test(c.text)).length).toBeGreaterThan(0);
  expect(all.filter((c) => /STSClient/.test(c.text)).length).toBeGreaterThan(0);
});

test('ncc builds with no persistent cache, so an earlier build cannot shape the next one', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bundle-cache-'));
  try {
    writeFileSync(join(dir, 'main.mjs'), "import { join } from 'node:path';\nconsole.log(join('a', 'b'));\n");
    const cacheHome = join(dir, 'cache');
    const r = spawnSync(process.execPath, [join(repoRoot, 'scripts/bundle.ts'), '--ncc', join(dir, 'main.mjs'), join(dir, 'dist')], {
      cwd: repoRoot,
      env: { ...process.env, XDG_CACHE_HOME: cacheHome },
      encoding: 'utf8',
    });
    expect(r.status === 0 ? '' : `exit ${r.status}: ${r.stderr}`).toBe('');
    expect(readFileSync(join(dir, 'dist', 'index.js'), 'utf8')).toContain('console.log');
    // ncc's default cache is $XDG_CACHE_HOME/ncc/<hash of the working directory>.
    expect(existsSync(join(cacheHome, 'ncc'))).toBe(false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("each action's own build script is the repository's build of that action, so there is one way to bundle", () => {
  const actions = readdirSync(join(repoRoot, 'actions')).filter((a) => existsSync(join(repoRoot, 'actions', a, 'src', 'main.ts')));
  expect(actions.length).toBeGreaterThan(0);
  for (const action of actions) {
    const pkg = JSON.parse(readFileSync(join(repoRoot, 'actions', action, 'package.json'), 'utf8'));
    expect({ action, build: pkg.scripts?.build }).toEqual({ action, build: `node ../../scripts/build.ts --no-typecheck ${action}` });
  }
});
