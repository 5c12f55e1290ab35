/**
 * The file commands kit writes itself (file-command.js's format, without its `node:crypto`):
 * what the runner reads back, a fresh random delimiter each time, and a step's start that does
 * not load `node:crypto`.
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { prepareKeyValueMessage, randomHex, saveState, setOutput } from '../src/commands.ts';
import { parseFileCommand, repoRoot } from '../src/harness.ts';

const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

test('outputs and state read back as written, multi-line values and all', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'kit-commands-'));
  process.env.GITHUB_OUTPUT = join(dir, 'output');
  process.env.GITHUB_STATE = join(dir, 'state');
  await writeFile(process.env.GITHUB_OUTPUT, '');
  await writeFile(process.env.GITHUB_STATE, '');
  setOutput('digest', 'sha256:abc');
  setOutput('summary', 'line one\nline two\n\nafter a blank line');
  setOutput('json', { a: 1 } as unknown as string);
  saveState('logout', '{"registry":"r:5000"}');
  expect(parseFileCommand(await readFile(process.env.GITHUB_OUTPUT, 'utf8'))).toEqual({
    digest: 'sha256:abc',
    summary: 'line one\nline two\n\nafter a blank line',
    json: '{"a":1}',
  });
  expect(parseFileCommand(await readFile(process.env.GITHUB_STATE, 'utf8'))).toEqual({ logout: '{"registry":"r:5000"}' });
});

test('each value gets a delimiter of its own: 128 random bits, never the same twice', () => {
  const delimiters = Array.from({ length: 200 }, () => /^k<<(ghadelimiter_[0-9a-f]+)\n/.exec(prepareKeyValueMessage('k', 'v'))?.[1]);
  for (const d of delimiters) expect(d).toMatch(/^ghadelimiter_[0-9a-f]{32}$/);
  expect(new Set(delimiters).size).toBe(200);
  // Every hex digit turns up in every position over 200 draws of a uniform source (a constant or
  // a counter would not).
  const hex = Array.from({ length: 200 }, () => randomHex());
  for (let i = 0; i < 32; i += 8) expect(new Set(hex.map((h) => h[i])).size).toBeGreaterThan(10);
});

test('a step that saves state and sets outputs does not load node:crypto', () => {
  const dir = join(tmpdir(), `kit-commands-child-${process.pid}`);
  const script = `
    import { mkdirSync, writeFileSync } from 'node:fs';
    mkdirSync(${JSON.stringify(dir)}, { recursive: true });
    for (const f of ['output', 'state']) writeFileSync(${JSON.stringify(dir)} + '/' + f, '');
    process.env.GITHUB_OUTPUT = ${JSON.stringify(dir)} + '/output';
    process.env.GITHUB_STATE = ${JSON.stringify(dir)} + '/state';
    const { saveState, setOutput } = await import(${JSON.stringify(join(repoRoot, 'packages/kit/src/commands.ts'))});
    saveState('isPost', 'true');
    setOutput('digest', 'sha256:abc');
    console.log(JSON.stringify(process.moduleLoadList.filter((m) => /crypto/.test(m))));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  expect(r.stderr).not.toMatch(/Error/);
  expect(JSON.parse(r.stdout)).toEqual([]);
});
