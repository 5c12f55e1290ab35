/** DIR/env: one KEY=VALUE a line, written by `up`, read by tests, the demo and other tools. */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Every key `up` writes to DIR/env (see README). */
export const SANDBOX_ENV_KEYS = [
  'KUBECONFIG',
  'AWS_REGION',
  'AWS_ACCESS_KEY_ID',
  'AWS_SECRET_ACCESS_KEY',
  'AWS_ENDPOINT_URL_ECR',
  'AWS_ENDPOINT_URL_EKS',
  'AWS_ENDPOINT_URL_STS',
  'SANDBOX_EKS_CLUSTER',
  'SANDBOX_REGISTRY',
  'SANDBOX_REGISTRY_USER',
  'SANDBOX_REGISTRY_PASSWORD',
  'SANDBOX_CA_FILE',
  'SANDBOX_WEBHOOK_URL',
  'SANDBOX_SMTP_HOST',
  'SANDBOX_SMTP_PORT',
  'SANDBOX_SMTP_USER',
  'SANDBOX_SMTP_PASSWORD',
  'SANDBOX_CONTROL_URL',
  /** Empty when Debian's prometheus is not installed. */
  'SANDBOX_PROMETHEUS_URL',
  'CONTAINERS_REGISTRIES_CONF',
] as const;

export type SandboxEnvKey = (typeof SANDBOX_ENV_KEYS)[number];
export type SandboxEnv = Record<SandboxEnvKey, string>;

export function envFile(dir: string): string {
  return join(dir, 'env');
}

export function formatEnv(env: SandboxEnv): string {
  return `${SANDBOX_ENV_KEYS.map((k) => `${k}=${env[k]}`).join('\n')}\n`;
}

export function parseEnv(text: string, source = 'env'): SandboxEnv {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (!line.trim() || line.startsWith('#')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  const missing = SANDBOX_ENV_KEYS.filter((k) => out[k] === undefined);
  if (missing.length) throw new Error(`${source} lacks ${missing.join(', ')}`);
  return out as SandboxEnv;
}

/** Parses DIR/env. */
export async function readSandboxEnv(dir: string): Promise<SandboxEnv> {
  const file = envFile(dir);
  return parseEnv(await readFile(file, 'utf8'), file);
}

/** Parses DIR/env synchronously (for test helpers called at module top level). */
export function readSandboxEnvSync(dir: string): SandboxEnv {
  const file = envFile(dir);
  return parseEnv(readFileSync(file, 'utf8'), file);
}
