// Stops the sandbox the global setup started (not one it reused).
import { rm } from 'node:fs/promises';
import { stopSandbox } from '@tripo04os/sandbox';

export default async function globalTeardown(): Promise<void> {
  const dir = process.env.SANDBOX_STARTED_BY_JEST;
  if (!dir) return;
  await stopSandbox(dir);
  await rm(dir, { recursive: true, force: true });
  delete process.env.SANDBOX_STARTED_BY_JEST;
}
