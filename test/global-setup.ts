// Starts ONE sandbox for the whole jest run; workers find it through SANDBOX_DIR
// (use sandboxEnv() / sandboxControl() from '@tripo04os/sandbox/testing').
// When SANDBOX_DIR already names a running sandbox (`npm run sandbox -- up --dir DIR`), it is reused.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sandboxStatus, startSandbox } from '@tripo04os/sandbox';

export default async function globalSetup(): Promise<void> {
  const existing = process.env.SANDBOX_DIR;
  if (existing && (await sandboxStatus(existing)).running) {
    process.env.SANDBOX_REUSED = '1';
    return;
  }
  const dir = await mkdtemp(join(tmpdir(), 'tripo04os-sandbox-'));
  process.env.SANDBOX_STARTED_BY_JEST = dir;
  try {
    // ownerPid: the sandbox stops by itself should this jest process be killed before teardown.
    await startSandbox({ dir, ownerPid: process.pid });
    process.env.SANDBOX_DIR = dir;
  } catch (err) {
    // Unit tests still run; every test that asks for the sandbox (sandboxEnv()) fails with this reason.
    const reason = err instanceof Error ? err.message : String(err);
    process.env.SANDBOX_ERROR = reason;
    process.stderr.write(`\nThe sandbox did not start: ${reason}\n`);
  }
}
