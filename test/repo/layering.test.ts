/**
 * The layering of DESIGN.md ("Direction of dependencies") is enforced by Biome (biome.json:
 * noRestrictedImports overrides, noImportCycles). Proven here on test/fixtures/layering, a tree laid
 * out like the repository with one file breaking each rule, linted with the repository's own
 * configuration: each bad file fails with the expected rule, the allowed files pass.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '@tripo04os/kit/harness';

interface Diagnostic {
  category: string;
  location: { path: { file: string } | string };
}

let diagnostics: { file: string; rule: string }[] = [];
let dir = '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'layering-'));
  cpSync(join(repoRoot, 'test/fixtures/layering'), dir, { recursive: true });
  const config = JSON.parse(readFileSync(join(repoRoot, 'biome.json'), 'utf8'));
  delete config.$schema;
  config.vcs = { enabled: false };
  config.files = { includes: ['**'] };
  writeFileSync(join(dir, 'biome.json'), JSON.stringify(config));
  const biome = join(repoRoot, 'node_modules/.bin/biome');
  const res = spawnSync(biome, ['lint', '--reporter=json', '--max-diagnostics=100', '.'], { cwd: dir, encoding: 'utf8' });
  const report = JSON.parse(res.stdout) as { diagnostics: Diagnostic[] };
  diagnostics = report.diagnostics.map((d) => {
    const p = d.location.path;
    return { file: (typeof p === 'string' ? p : p.file).replace(/^\.\//, ''), rule: d.category };
  });
}, 60_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const rulesOf = (file: string) => diagnostics.filter((d) => d.file === file).map((d) => d.rule);

test.each([
  ['packages/kube/src/uses-core.ts', 'a domain package importing @actions/core'],
  ['packages/image/src/uses-kit.ts', 'a domain package importing @tripo04os/kit'],
  ['packages/notify/src/uses-sandbox.ts', 'a domain package importing the sandbox'],
  ['actions/demo/src/uses-sandbox.ts', 'an action importing the sandbox'],
  ['bench/relative-src.ts', "a relative import into another workspace's src/"],
  ['packages/kube/src/relative-src.ts', "a package reaching into another package's src/"],
])('%s fails the lint (%s)', (file) => {
  expect(rulesOf(file)).toContain('lint/style/noRestrictedImports');
});

test('an import cycle fails the lint', () => {
  expect(rulesOf('packages/aws/src/cycle-a.ts')).toContain('lint/suspicious/noImportCycles');
});

test('what the layering allows passes', () => {
  expect(rulesOf('packages/kube/src/allowed.ts')).toEqual([]);
  expect(rulesOf('test/allowed.test.ts')).toEqual([]);
});
