/**
 * For tests: the sandbox the jest global setup started for the whole run (SANDBOX_DIR).
 *   import { sandboxEnv, sandboxControl } from '@tripo04os/sandbox/testing';
 */
import { SandboxControl } from './control-client.ts';
import { readSandboxEnvSync, type SandboxEnv } from './env.ts';

export function sandboxDir(): string {
  const dir = process.env.SANDBOX_DIR;
  if (!dir && process.env.SANDBOX_ERROR) throw new Error(`The sandbox did not start: ${process.env.SANDBOX_ERROR}`);
  if (!dir) throw new Error('SANDBOX_DIR is not set: run the tests through jest (test/global-setup.ts starts the sandbox)');
  return dir;
}

/** The parsed DIR/env of the shared sandbox. */
export function sandboxEnv(): SandboxEnv {
  return readSandboxEnvSync(sandboxDir());
}

/** A control client for the shared sandbox. */
export function sandboxControl(): SandboxControl {
  return new SandboxControl(sandboxEnv().SANDBOX_CONTROL_URL);
}
