/**
 * The first moments of an action: read and check the inputs, and on a bad one fail the step with
 * its one line, before the domain packages, the AWS SDK or anything heavy loads (issue 15); an
 * action imports this module statically and the rest lazily. It writes the runner's commands
 * through `commands.ts` (`@actions/core`'s writers by file), as the rest of kit does.
 */
import { errorMessage } from '@tripo04os/common';
import { error, getState, saveState, warning } from './commands.ts';
import { type InputSpec, type Inputs, readInputs } from './inputs.ts';
import { mask } from './runner.ts';

export { defineInputs, type InputSpec, type Inputs } from './inputs.ts';

/** Masks a secret as kit's `mask` does (the whole value, and each line of a multi-line one). */
export const maskEarly = mask;

/** Saves a value for the post step: kit's `saveState`. */
export const saveStateEarly = saveState;

/** Whether this run is the action's post step (the main step saved `isPost`): kit's `isPost`. */
export const isPostEarly = (): boolean => getState('isPost') === 'true';

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
    const inputs = readInputs(spec, { mask: maskEarly, warn: warning });
    return await check(inputs, maskEarly);
  } catch (err) {
    process.exitCode = 1;
    error(errorMessage(err));
    return undefined;
  }
}
