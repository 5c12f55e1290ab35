import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, UserError } from '@tripo04os/common';
import { defineInputs } from '../src/inputs.ts';
import { mask, readActionInputs, run, setOutput } from '../src/runner.ts';

/** Captures what @actions/core writes to stdout (workflow commands) while fn runs. */
async function stdoutOf(fn: () => unknown): Promise<string> {
  const chunks: string[] = [];
  const write = process.stdout.write;
  process.stdout.write = ((c: string | Uint8Array) => {
    chunks.push(String(c));
    return true;
  }) as typeof process.stdout.write;
  try {
    await fn();
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

let dir: string;
const saved = { ...process.env };
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'runner-'));
  process.env.GITHUB_OUTPUT = join(dir, 'output');
  await writeFile(process.env.GITHUB_OUTPUT, '');
});
afterEach(async () => {
  process.env = { ...saved };
  process.exitCode = undefined;
  await rm(dir, { recursive: true, force: true });
});

describe('mask', () => {
  test('masks the whole value and each line of a multi-line secret (short lines left out)', async () => {
    const out = await stdoutOf(() => mask('-----BEGIN KEY-----\nabcdefgh\nxy\n-----END KEY-----'));
    const masked = out
      .split('\n')
      .filter((l) => l.startsWith('::add-mask::'))
      .map((l) => l.slice('::add-mask::'.length));
    expect(masked).toEqual([
      '-----BEGIN KEY-----%0Aabcdefgh%0Axy%0A-----END KEY-----',
      '-----BEGIN KEY-----',
      'abcdefgh',
      '-----END KEY-----',
    ]);
  });
  test('nothing to mask for an empty or missing value', async () => {
    expect(await stdoutOf(() => mask(''))).toBe('');
    expect(await stdoutOf(() => mask(undefined))).toBe('');
  });
});

describe('readActionInputs', () => {
  test('masks a secret input before anything else, and warns about deprecated ones', async () => {
    process.env.INPUT_TOKEN = 's3cr3t-token';
    process.env.INPUT_OLD = 'x';
    const spec = defineInputs({
      token: { type: 'string', description: 'd', secret: true },
      old: { type: 'string', description: 'd', deprecationMessage: 'use token' },
    });
    let inputs: unknown;
    const out = await stdoutOf(() => {
      inputs = readActionInputs(spec);
    });
    expect(inputs).toEqual({ token: 's3cr3t-token', old: 'x' });
    expect(out).toContain('::add-mask::s3cr3t-token');
    expect(out).toContain("::warning::Input 'old' is deprecated: use token");
  });
});

describe('setOutput', () => {
  test('strings as they are, other values as JSON, multi-line through the file command', async () => {
    await stdoutOf(() => {
      setOutput('a', 'one\ntwo');
      setOutput('b', { tags: ['x', 'y'] });
      setOutput('c', 3);
    });
    const text = await readFile(process.env.GITHUB_OUTPUT as string, 'utf8');
    const { parseFileCommand } = await import('../src/harness.ts');
    expect(parseFileCommand(text)).toEqual({ a: 'one\ntwo', b: '{"tags":["x","y"]}', c: '3' });
  });
});

describe('run', () => {
  test('a UserError fails the step with its one line and no stack', async () => {
    process.env.RUNNER_DEBUG = '1';
    const out = await stdoutOf(() => run(async () => Promise.reject(new InputError('times', '9', 'expected 1 to 5')), { exit: false }));
    expect(out).toBe("::error::Input 'times' has the value '9': expected 1 to 5\n");
    expect(process.exitCode).toBe(1);
  });
  test('any other error fails with its message, the stack going to debug output', async () => {
    const out = await stdoutOf(() => run(async () => Promise.reject(new TypeError('boom')), { exit: false }));
    expect(out).toMatch(/^::debug::TypeError: boom%0A {4}at /);
    expect(out).toContain('::error::boom\n');
    expect(process.exitCode).toBe(1);
  });
  test('success leaves the exit code alone', async () => {
    expect(await stdoutOf(() => run(async () => {}, { exit: false }))).toBe('');
    expect(process.exitCode).toBeUndefined();
    expect(new UserError('x').name).toBe('UserError');
  });
});
