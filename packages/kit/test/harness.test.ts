/**
 * The runner harness, proven on the fixture action test/fixtures/echo-action: bundled with ncc
 * (as the real actions are) into a temporary folder, then run the way the runner runs it.
 */
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundle } from '../../../scripts/bundle.ts';
import { checkAction } from '../../../scripts/checks/index.ts';
import { leaks, parseFileCommand, type RunResult, repoRoot, runAction } from '../src/harness.ts';

const fixture = join(repoRoot, 'test/fixtures/echo-action');
let action: string;

beforeAll(async () => {
  action = await mkdtemp(join(tmpdir(), 'echo-action-'));
  await copyFile(join(fixture, 'action.yml'), join(action, 'action.yml'));
  await bundle(join(fixture, 'src/main.ts'), join(action, 'dist'), { quiet: true });
}, 120_000);

afterAll(async () => {
  if (action) await rm(action, { recursive: true, force: true });
});

test('the bundled fixture passes the action.yml check like a real action', async () => {
  expect(await checkAction(action, { specFile: join(fixture, 'src/inputs.ts') })).toEqual([]);
});

describe('runAction on the echo fixture', () => {
  let ok: RunResult;
  beforeAll(async () => {
    ok = await runAction({
      action,
      inputs: { greeting: 'hello', times: 2 },
      event: { name: 'push', payload: { ref: 'refs/heads/main' } },
    });
  });

  test('exits 0 under Node 24, the runtime action.yml names', () => {
    expect(ok.exitCode).toBe(0);
    expect(ok.errors).toEqual([]);
    expect(ok.outputs['node-version']).toMatch(/^v24\./);
  });

  test('reads outputs, multi-line ones included', () => {
    expect(ok.outputs.said).toBe('hello\nhello');
    expect(ok.outputs.count).toBe('2');
    expect(ok.outputs.event).toBe('push:refs/heads/main');
  });

  test('fills defaults from action.yml and keeps dashes in INPUT_ names', () => {
    expect(ok.outputs['retry-count']).toBe('3');
    const names = JSON.parse(ok.outputs['input-names'] as string) as string[];
    expect(names).toEqual(['INPUT_GREETING', 'INPUT_RETRY-COUNT', 'INPUT_TIMES', 'INPUT_TOKEN', 'INPUT_WAIT-MS']);
  });

  test('evaluates ${{ github.token }} in a default as the runner does, and masks the token', async () => {
    expect(ok.outputs['token-set']).toBe('false');
    const r = await runAction({ action, inputs: { greeting: 'x' }, context: { GITHUB_TOKEN: 'ghs_harness0token' }, post: false });
    expect(r.outputs['token-set']).toBe('true');
    expect(r.rawLog).toContain('token: ghs_harness0token');
    expect(r.log).toContain('token: ***');
    expect(leaks(r, 'ghs_harness0token')).toEqual([]);
  });

  test('a default expression the harness cannot evaluate fails loudly, unless the input is given', async () => {
    const dir = join(action, 'odd');
    await mkdir(dir);
    await writeFile(
      join(dir, 'action.yml'),
      'name: odd\ndescription: d\ninputs:\n  greeting:\n    description: d\n    default: ${{ secrets.X }}\nruns:\n  using: node24\n  main: ../dist/index.js\n',
    );
    await expect(runAction({ action: dir })).rejects.toThrow(
      "the default of input 'greeting' is ${{ secrets.X }}, which the harness cannot evaluate",
    );
    expect((await runAction({ action: dir, inputs: { greeting: 'given' } })).outputs.said).toBe('given');
  });

  test('an input given by the step wins over the default', async () => {
    const r = await runAction({ action, inputs: { greeting: 'hi', 'retry-count': 0 }, post: false });
    expect(r.outputs['retry-count']).toBe('0');
    expect(r.outputs.count).toBe('1');
  });

  test('returns the summary markdown', () => {
    expect(ok.summary).toBe('### Echo\n\n| greeting | times |\n| --- | --- |\n| hello | 2 |\n\n');
  });

  test('shows groups and log lines as the runner does', () => {
    expect(ok.log).toContain('▸ Greeting\nhello\nhello');
    expect(ok.log).not.toContain('::group::');
    expect(ok.rawLog).toContain('::group::Greeting');
  });

  test('returns exported variables and the saved state, and runs the post step with STATE_*', () => {
    expect(ok.exportedEnv).toEqual({ ECHO_GREETED: 'hello' });
    expect(ok.state).toEqual({ isPost: 'true', greeted: 'hello' });
    expect(ok.post?.exitCode).toBe(0);
    expect(ok.post?.log).toContain('post sees state: greeted=hello');
    expect(ok.post?.log).toContain('post sees env: ECHO_GREETED=hello');
    expect(ok.path).toEqual(['/opt/echo/bin']);
    expect(ok.post?.log).toContain('post sees PATH: /opt/echo/bin');
  });

  test('the step does not see the test process inputs or state', async () => {
    process.env.INPUT_PASSWORD = 'from-the-test-process';
    process.env.STATE_greeted = 'stale';
    try {
      const r = await runAction({ action, inputs: { greeting: 'x' } });
      expect(r.log).not.toContain('password is');
      expect(r.post?.log).toContain('post sees state: greeted=x');
    } finally {
      delete process.env.INPUT_PASSWORD;
      delete process.env.STATE_greeted;
    }
  });
});

describe('masking', () => {
  const password = 'hunter2-very-secret';
  const early = 'printed-before-mask';
  let r: RunResult;
  beforeAll(async () => {
    r = await runAction({ action, inputs: { greeting: 'hello', password, early } });
  });

  test('a secret input never appears in the log, though the action printed it', () => {
    expect(r.exitCode).toBe(0);
    expect(r.rawLog).toContain(`password is ${password}`);
    expect(r.log).toContain('password is ***');
    expect(r.log).not.toContain(password);
    expect(r.masked).toEqual(expect.arrayContaining([password, early]));
    expect(leaks(r, password)).toEqual([]);
  });

  test('a value printed before it was masked does show: the harness is honest', () => {
    expect(r.log).toContain(`early: ${early}`);
    expect(r.log).toContain('early again: ***');
    expect(leaks(r, early)).toEqual(['log']);
  });

  test('leaks names every place a value shows', () => {
    expect(leaks(r, 'hello')).toEqual(['log', 'post log', 'summary', 'output said', 'state greeted', 'env ECHO_GREETED']);
    expect(leaks(r, '')).toEqual([]);
  });
});

describe('a failing input', () => {
  test('exit code 1 and one error annotation naming the input, value and what is accepted', async () => {
    const r = await runAction({ action, inputs: { greeting: 'hello', times: 9 } });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual(["Input 'times' has the value '9': expected a whole number from 1 to 5"]);
    expect(r.annotations).toHaveLength(1);
    expect(r.log).toContain("Error: Input 'times' has the value '9'");
    expect(r.outputs).toEqual({});
    // The post step still runs (post-if: always()) and knows it is the post step.
    expect(r.post?.exitCode).toBe(0);
    expect(r.post?.log).toContain('post sees state: greeted=');
  });

  test('a missing required input', async () => {
    const r = await runAction({ action, inputs: {}, post: false });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual(["Input 'greeting' has no value: it is required"]);
    expect(r.post).toBeUndefined();
  });

  test('an env override can remove a runner variable (here the event payload path)', async () => {
    const r = await runAction({ action, inputs: { greeting: 'x' }, env: { GITHUB_EVENT_PATH: undefined }, post: false });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
  });
});

test('a step that outlives timeoutMs is killed and fails', async () => {
  const r = await runAction({ action, inputs: { greeting: 'x', 'wait-ms': 60_000 }, timeoutMs: 1500, post: false });
  expect(r.exitCode).toBe(128);
  expect(r.log).toContain('waiting');
  expect(r.log).toContain('[harness] killed after 1500 ms');
  expect(r.durationMs).toBeLessThan(30_000);
});

describe('the runtime', () => {
  test('an action on another Node than the one running the tests is refused, not run on the wrong runtime', async () => {
    const dir = join(action, 'node20');
    await mkdir(dir);
    await writeFile(join(dir, 'action.yml'), 'name: n\ndescription: d\nruns:\n  using: node20\n  main: ../dist/index.js\n');
    await expect(runAction({ action: dir })).rejects.toThrow(/runs on node20, but the harness runs Node 24\./);
  });
  test('a runtime that is not JavaScript is refused', async () => {
    const dir = join(action, 'docker');
    await mkdir(dir);
    await writeFile(join(dir, 'action.yml'), 'name: n\ndescription: d\nruns:\n  using: docker\n  image: Dockerfile\n');
    await expect(runAction({ action: dir })).rejects.toThrow(/runs.using docker is not a JavaScript runtime/);
  });
});

describe('parseFileCommand', () => {
  test('name=value and heredoc forms', () => {
    expect(parseFileCommand('a=1\nb<<EOF\nline 1\nline 2\nEOF\nc=x=y\r\nd<<ghadelimiter_1\n\nghadelimiter_1\n')).toEqual({
      a: '1',
      b: 'line 1\nline 2',
      c: 'x=y',
      d: '',
    });
  });
  test('a value with << after = is a plain value', () => {
    expect(parseFileCommand('k=a<<b\n')).toEqual({ k: 'a<<b' });
  });
});
