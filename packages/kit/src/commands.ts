/**
 * The runner's workflow commands, as `@actions/core` writes them: its command writer and job
 * summary, imported by file. `@actions/core`'s index (`core.js`) also loads its OIDC client
 * (`@actions/http-client` with undici, a 427 KB chunk in each bundle) and, through `platform.js`,
 * `@actions/exec`, none of which an action here uses: about 30–40 ms of every step's start
 * (issue 15). What is here is `core.js`'s own thin layer over those files, function for function;
 * the escaping and the summary stay `@actions/core`'s. The file commands (`GITHUB_OUTPUT`,
 * `GITHUB_STATE`, …) are written here in `file-command.js`'s format: that file imports
 * `node:crypto` for the delimiter's `randomUUID`, and loading `node:crypto` costs 11–14 ms, at the
 * start of every step, since the first thing an action does is save its state (see randomHex).
 */
import { appendFileSync, closeSync, existsSync, openSync, readSync } from 'node:fs';
import { EOL } from 'node:os';
import { delimiter } from 'node:path';
import { issue, issueCommand } from '../../../node_modules/@actions/core/lib/command.js';
import { summary } from '../../../node_modules/@actions/core/lib/summary.js';
import { toCommandValue } from '../../../node_modules/@actions/core/lib/utils.js';

/**
 * 16 random bytes (hex) from the kernel's generator, /dev/urandom: what `node:crypto` draws from
 * too, without loading it. Where there is no /dev/urandom (Windows), `node:crypto`'s.
 */
export function randomHex(): string {
  const bytes = Buffer.alloc(16);
  try {
    const fd = openSync('/dev/urandom', 'r');
    try {
      if (readSync(fd, bytes, 0, 16, null) === 16) return bytes.toString('hex');
    } finally {
      closeSync(fd);
    }
  } catch {}
  return process.getBuiltinModule('node:crypto').randomBytes(16).toString('hex');
}

/** Appends one command to the runner's file for it (`GITHUB_OUTPUT`, `GITHUB_STATE`, …), as file-command.js does. */
function issueFileCommand(command: string, message: string): void {
  const filePath = process.env[`GITHUB_${command}`];
  if (!filePath) throw new Error(`Unable to find environment variable for file command ${command}`);
  if (!existsSync(filePath)) throw new Error(`Missing file at path: ${filePath}`);
  appendFileSync(filePath, `${toCommandValue(message)}${EOL}`, { encoding: 'utf8' });
}

/** `name<<delimiter`, the value, the delimiter: a random delimiter neither may contain, as file-command.js writes it. */
export function prepareKeyValueMessage(key: string, value: string): string {
  const delimiter = `ghadelimiter_${randomHex()}`;
  const convertedValue = toCommandValue(value);
  if (key.includes(delimiter)) throw new Error(`Unexpected input: name should not contain the delimiter "${delimiter}"`);
  if (convertedValue.includes(delimiter)) throw new Error(`Unexpected input: value should not contain the delimiter "${delimiter}"`);
  return `${key}<<${delimiter}${EOL}${convertedValue}${EOL}${delimiter}`;
}

export { summary };

export function debug(message: string): void {
  issueCommand('debug', {}, message);
}

export function info(message: string): void {
  process.stdout.write(message + EOL);
}

export function warning(message: string): void {
  issueCommand('warning', {}, message);
}

export function error(message: string): void {
  issueCommand('error', {}, message);
}

export function notice(message: string): void {
  issueCommand('notice', {}, message);
}

/** Fails the step: exit code 1 and the message as an error annotation. */
export function setFailed(message: string): void {
  process.exitCode = 1;
  error(message);
}

/** Registers a value the runner masks in the log. */
export function setSecret(secret: string): void {
  issueCommand('add-mask', {}, secret);
}

export async function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  issue('group', name);
  try {
    return await fn();
  } finally {
    issue('endgroup');
  }
}

export function setOutput(name: string, value: string): void {
  if (process.env.GITHUB_OUTPUT) issueFileCommand('OUTPUT', prepareKeyValueMessage(name, value));
  else {
    process.stdout.write(EOL);
    issueCommand('set-output', { name }, toCommandValue(value));
  }
}

export function saveState(name: string, value: string): void {
  if (process.env.GITHUB_STATE) issueFileCommand('STATE', prepareKeyValueMessage(name, value));
  else issueCommand('save-state', { name }, toCommandValue(value));
}

export function getState(name: string): string {
  return process.env[`STATE_${name}`] || '';
}

export function exportVariable(name: string, value: string): void {
  process.env[name] = value;
  if (process.env.GITHUB_ENV) issueFileCommand('ENV', prepareKeyValueMessage(name, value));
  else issueCommand('set-env', { name }, value);
}

export function addPath(dir: string): void {
  if (process.env.GITHUB_PATH) issueFileCommand('PATH', dir);
  else issueCommand('add-path', {}, dir);
  process.env.PATH = `${dir}${delimiter}${process.env.PATH}`;
}
