/** Where Debian's docker-registry is (kept apart from registry.ts so `up` loads little). */
import { access, constants } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

export const REGISTRY_PACKAGE = 'docker-registry';

/** Finds the docker-registry binary (/usr/bin/docker-registry from the Debian package; SANDBOX_REGISTRY_BIN overrides). */
export async function findRegistryBinary(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const override = env.SANDBOX_REGISTRY_BIN;
  if (override) {
    try {
      await access(override, constants.X_OK);
      return override;
    } catch {
      return undefined;
    }
  }
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin'];
  for (const d of dirs) {
    const file = join(d, 'docker-registry');
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}
