import { InputError } from '@tripo04os/common';
import { checkInputs, defineInputs, maskEarly } from '../src/early.ts';
import { mask } from '../src/runner.ts';

/** Captures the workflow commands written to stdout while fn runs. */
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

const spec = defineInputs({
  token: { type: 'string', secret: true, description: 'a secret' },
  count: { type: 'integer', min: 1, default: 1, description: 'a number' },
});
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
  process.exitCode = undefined;
});

test('good inputs: the check gets them and a mask; secrets are masked at once; nothing else is written', async () => {
  process.env.INPUT_TOKEN = 'tok-123456';
  process.env.INPUT_COUNT = '3';
  let result: unknown;
  const out = await stdoutOf(async () => {
    result = await checkInputs(spec, (inputs, m) => {
      m(`${inputs.token}-derived`);
      return inputs.count * 2;
    });
  });
  expect(result).toBe(6);
  expect(out).toBe('::add-mask::tok-123456\n::add-mask::tok-123456-derived\n');
  expect(process.exitCode).toBeUndefined();
});

test('a bad input or a failed check: the secrets masked first, then the one error line, exit code 1', async () => {
  process.env.INPUT_TOKEN = 'tok-123456';
  process.env.INPUT_COUNT = '0';
  let result: unknown = 'unset';
  const bad = await stdoutOf(async () => {
    result = await checkInputs(spec, () => 1);
  });
  expect(result).toBeUndefined();
  expect(bad).toBe("::add-mask::tok-123456\n::error::Input 'count' has the value '0': expected a whole number of at least 1\n");
  expect(process.exitCode).toBe(1);

  process.env.INPUT_COUNT = '2';
  const refused = await stdoutOf(() =>
    checkInputs(spec, () => {
      throw new InputError('token', '***', 'expected another token');
    }),
  );
  expect(refused).toBe("::add-mask::tok-123456\n::error::Input 'token' has the value '***': expected another token\n");
});

test('maskEarly writes what kit’s mask writes', async () => {
  const secret = '-----BEGIN KEY-----\nabcdefgh\nxy\n-----END KEY-----';
  expect(await stdoutOf(() => maskEarly(secret))).toBe(await stdoutOf(() => mask(secret)));
});

test('saveStateEarly writes the state file as kit (@actions/core) does, and isPostEarly reads it back', async () => {
  const { mkdtemp, readFile, writeFile } = await import('node:fs/promises');
  const { tmpdir } = await import('node:os');
  const { join } = await import('node:path');
  const { saveStateEarly, isPostEarly } = await import('../src/early.ts');
  const { saveState } = await import('../src/runner.ts');
  const dir = await mkdtemp(join(tmpdir(), 'early-state-'));
  const parse = (text: string) => {
    // name<<delimiter\nvalue\ndelimiter
    const m = [...text.matchAll(/^(.+)<<(.+)\n([\s\S]*?)\n\2$/gm)];
    return m.map(([, k, , v]) => [k, v]);
  };
  process.env.GITHUB_STATE = join(dir, 'early');
  await writeFile(process.env.GITHUB_STATE, '');
  saveStateEarly('isPost', 'true');
  const early = await readFile(process.env.GITHUB_STATE, 'utf8');
  process.env.GITHUB_STATE = join(dir, 'kit');
  await writeFile(process.env.GITHUB_STATE, '');
  saveState('isPost', 'true');
  expect(parse(early)).toEqual([['isPost', 'true']]);
  expect(parse(early)).toEqual(parse(await readFile(process.env.GITHUB_STATE, 'utf8')));
  delete process.env.STATE_isPost;
  expect(isPostEarly()).toBe(false);
  process.env.STATE_isPost = 'true';
  expect(isPostEarly()).toBe(true);
});
