import { errorMessage, InputError, UserError } from '../src/errors.ts';
import { exec, hasCommand } from '../src/exec.ts';
import { recordingLogger, silentLogger } from '../src/logger.ts';

describe('exec', () => {
  test('collects stdout, stderr and the exit code, and never throws on failure', async () => {
    const r = await exec('sh', ['-c', 'echo out; echo err >&2; exit 3']);
    expect(r).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
  });
  test('writes input to stdin and streams output', async () => {
    const chunks: string[] = [];
    const r = await exec('cat', [], { input: 'secret-from-stdin', onStdout: (c) => chunks.push(c) });
    expect(r.stdout).toBe('secret-from-stdin');
    expect(chunks.join('')).toBe('secret-from-stdin');
  });
  test('arguments are not read by a shell', async () => {
    const r = await exec('echo', ['$HOME; rm -rf /']);
    expect(r.stdout).toBe('$HOME; rm -rf /\n');
  });
  test('a missing program rejects', async () => {
    await expect(exec('no-such-program-xyz', [])).rejects.toThrow(/ENOENT/);
  });
  test('hasCommand looks on the PATH', async () => {
    expect(await hasCommand('sh')).toBe(true);
    expect(await hasCommand('no-such-program-xyz')).toBe(false);
    expect(await hasCommand('sh', { PATH: '' })).toBe(false);
  });
});

describe('errors', () => {
  test('InputError names the input, the value and what is accepted, on one line', () => {
    const e = new InputError('strategy', 'blue green\nx', 'expected one of rolling, blue-green');
    expect(e).toBeInstanceOf(UserError);
    expect(e.input).toBe('strategy');
    expect(e.message).toBe("Input 'strategy' has the value 'blue green\\nx': expected one of rolling, blue-green");
    expect(new InputError('x', '', 'it is required').message).toBe("Input 'x' has no value: it is required");
  });
  test('errorMessage of anything thrown', () => {
    expect(errorMessage(new Error('a'))).toBe('a');
    expect(errorMessage('b')).toBe('b');
    expect(errorMessage(42)).toBe('42');
  });
});

describe('loggers', () => {
  test('recordingLogger keeps lines, groups and masks', async () => {
    const log = recordingLogger();
    const v = await log.group('Phase', async () => {
      log.info('inside');
      log.warning('careful');
      log.mask('s3cret');
      return 7;
    });
    expect(v).toBe(7);
    expect(log.lines).toEqual(['group: Phase', 'inside', 'warning: careful']);
    expect(log.masked).toEqual(['s3cret']);
  });
  test('silentLogger still runs the group body', async () => {
    expect(await silentLogger.group('x', async () => 'done')).toBe('done');
  });
});
