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
