import { errorMessage, type Logger, UserError } from '@tripo04os/common';
import * as core from './commands.ts';
import { type InputSpec, type Inputs, readInputs } from './inputs.ts';

/** The Logger that domain packages get when they run inside an action. */
export const runnerLogger: Logger = {
  debug: (m) => core.debug(m),
  info: (m) => core.info(m),
  warning: (m) => core.warning(m),
  error: (m) => core.error(m),
  notice: (m) => core.notice(m),
  group: (name, fn) => core.group(name, fn),
  mask: (s) => mask(s),
};

/** Masks a secret (and each of its lines, since the runner masks line by line). */
export function mask(secret: string | undefined): void {
  if (!secret) return;
  core.setSecret(secret);
  if (secret.includes('\n')) {
    for (const line of secret.split(/\r?\n/)) if (line.trim().length >= 4) core.setSecret(line.trim());
  }
}

/** Reads an action's inputs from the runner, masking secret ones before anything can print them. */
export function readActionInputs<const S extends InputSpec>(spec: S): Inputs<S> {
  return readInputs(spec, { mask, warn: (m) => core.warning(m) });
}

/** Runs fn inside a collapsible log group (one per phase). */
export function group<T>(name: string, fn: () => Promise<T>): Promise<T> {
  return core.group(name, fn);
}

/** Sets an output; objects and arrays are written as JSON. */
export function setOutput(name: string, value: unknown): void {
  core.setOutput(name, typeof value === 'string' ? value : JSON.stringify(value));
}

export function saveState(name: string, value: string): void {
  core.saveState(name, value);
}

export function getState(name: string): string {
  return core.getState(name);
}

export const isPost = (): boolean => core.getState('isPost') === 'true';

/** Puts a folder first on the PATH of this step and the following ones. */
export function addPath(dir: string): void {
  core.addPath(dir);
}

/** Exports an environment variable to the following steps. */
export function exportVariable(name: string, value: string): void {
  core.exportVariable(name, value);
}

/**
 * Runs an action's main function: any error fails the step with its one-line message
 * (and the stack in debug output for errors that are not a UserError). Then the process ends
 * (`exit: false` keeps it, for tests): nothing may keep the step alive once the work is done,
 * and a stray socket or timer left by a library must not hang the job.
 */
export async function run(main: () => Promise<void>, options: { exit?: boolean } = {}): Promise<void> {
  try {
    await main();
  } catch (err) {
    if (!(err instanceof UserError) && err instanceof Error && err.stack) core.debug(err.stack);
    core.setFailed(errorMessage(err));
  }
  if (options.exit ?? true) process.exit(process.exitCode ?? 0);
}
