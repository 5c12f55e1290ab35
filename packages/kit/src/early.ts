/**
 * The first moments of an action, before `@actions/core` loads: read and check the inputs, and
 * on a bad one fail the step with its one line. Loading `@actions/core` (its HTTP client and
 * undici come with it) costs about 200 ms of CPU, which a user with a typo in an input should not
 * wait for (issue 15); an action imports this module statically and the rest of kit lazily.
 * Only the runner's command writers are taken from `@actions/core`, by file (its `exports` map
 * offers no path to them alone), so the escaping and the commands are `@actions/core`'s own.
 */
import { errorMessage } from '@tripo04os/common';
import { issueCommand } from '../../../node_modules/@actions/core/lib/command.js';
import { issueFileCommand, prepareKeyValueMessage } from '../../../node_modules/@actions/core/lib/file-command.js';
import { type InputSpec, type Inputs, readInputs } from './inputs.ts';

export { defineInputs, type InputSpec, type Inputs } from './inputs.ts';

/** Masks a secret the way kit's `mask` does (the whole value, and each line of a multi-line one). */
export function maskEarly(secret: string | undefined): void {
  if (!secret) return;
  issueCommand('add-mask', {}, secret);
  if (secret.includes('\n')) {
    for (const line of secret.split(/\r?\n/)) if (line.trim().length >= 4) issueCommand('add-mask', {}, line.trim());
  }
}

/** Saves a value for the post step, as kit's `saveState` (`@actions/core`'s) does. */
export function saveStateEarly(name: string, value: string): void {
  if (process.env.GITHUB_STATE) issueFileCommand('STATE', prepareKeyValueMessage(name, value));
  else issueCommand('save-state', { name }, value);
}

/** Whether this run is the action's post step (the main step saved `isPost`), as kit's `isPost`. */
export const isPostEarly = (): boolean => (process.env.STATE_isPost ?? '') === 'true';

/**
 * Reads an action's inputs (secret ones masked at once) and runs `check` on them, which may use
 * the same `mask` for secrets it derives. Any error fails the step with its one-line message
 * and gives undefined: the caller stops there, without having loaded anything else.
 */
export async function checkInputs<const S extends InputSpec, T>(
  spec: S,
  check: (inputs: Inputs<S>, mask: (secret: string) => void) => T | Promise<T>,
): Promise<T | undefined> {
  try {
    const inputs = readInputs(spec, { mask: maskEarly, warn: (m) => issueCommand('warning', {}, m) });
    return await check(inputs, maskEarly);
  } catch (err) {
    process.exitCode = 1;
    issueCommand('error', {}, errorMessage(err));
    return undefined;
  }
}
