import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { exec, retry } from '@tripo04os/common';
import { readSandboxEnv, SANDBOX_ENV_KEYS, SandboxControl, sandboxStatus, startSandbox, stopSandbox } from '../src/index.ts';

const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
const sandbox = (args: string[], env: NodeJS.ProcessEnv = process.env) => exec(process.execPath, [cli, ...args], { env });

/** Whether a process runs (a zombie waiting for init to reap it does not). */
function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/.test(stat);
  } catch {
    return false;
  }
}

const pidOf = async (file: string) => Number((await readFile(file, 'utf8')).trim());

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sandbox-cli-'));
});
afterAll(async () => {
  await sandbox(['down', '--dir', dir]);
  await rm(dir, { recursive: true, force: true });
});

test('up, status, a second up, a killed run recovered, down leaving no process', async () => {
  const up = await sandbox(['up', '--dir', dir]);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  const env = await readSandboxEnv(dir);
  for (const key of SANDBOX_ENV_KEYS) expect(env[key]).toBeTruthy();
  expect(up.stdout).not.toContain(env.AWS_SECRET_ACCESS_KEY);
  const health = await new SandboxControl(env.SANDBOX_CONTROL_URL).health();
  expect(health).toMatchObject({ ok: true, parts: { registry: env.SANDBOX_REGISTRY } });
  expect((await fetch(`http://${env.SANDBOX_REGISTRY}/v2/`)).status).toBe(401);
  expect(await readFile(join(dir, 'kubeconfig'), 'utf8')).toContain('certificate-authority-data');
  expect(await readFile(env.CONTAINERS_REGISTRIES_CONF, 'utf8')).toContain(`location = "${env.SANDBOX_REGISTRY}"\ninsecure = true`);

  const status = await sandbox(['status', '--dir', dir]);
  expect(status.code).toBe(0);
  expect(status.stdout).toContain(`running in ${dir}`);
  expect(status.stdout).toContain(`registry: ${env.SANDBOX_REGISTRY}`);
  expect(status.stdout).toContain('control endpoint answers');
  expect(status.stdout).toMatch(/kubernetes: https:\/\/127\.0\.0\.1:\d+/);

  const again = await sandbox(['up', '--dir', dir]);
  expect(again.code).toBe(1);
  expect(again.stderr).toContain(`a sandbox already runs in ${dir}`);

  // Kill the daemon the hard way: its registry child survives; `up` must clean up and start over.
  const daemon = await pidOf(join(dir, 'sandbox.pid'));
  const registry = await pidOf(join(dir, 'registry.pid'));
  const prometheus = await pidOf(join(dir, 'prometheus.pid'));
  expect((await fetch(`${env.SANDBOX_PROMETHEUS_URL}/-/ready`)).status).toBe(200);
  process.kill(daemon, 'SIGKILL');
  while (alive(daemon)) await new Promise((r) => setTimeout(r, 20));
  const stale = await sandbox(['status', '--dir', dir]);
  expect(stale.code).toBe(3);
  expect(stale.stdout).toContain('left by a killed run');
  const recovered = await sandbox(['up', '--dir', dir]);
  expect(recovered.stderr).toBe('');
  expect(recovered.code).toBe(0);
  expect(alive(registry)).toBe(false);
  expect(alive(prometheus)).toBe(false);
  const env2 = await readSandboxEnv(dir);
  expect((await fetch(`${env2.SANDBOX_CONTROL_URL}/health`)).status).toBe(200);

  const daemon2 = await pidOf(join(dir, 'sandbox.pid'));
  const registry2 = await pidOf(join(dir, 'registry.pid'));
  const prometheus2 = await pidOf(join(dir, 'prometheus.pid'));
  const down = await sandbox(['down', '--dir', dir]);
  expect(down.code).toBe(0);
  expect(down.stdout).toContain('stopped');
  expect(alive(daemon2)).toBe(false);
  expect(alive(registry2)).toBe(false);
  expect(alive(prometheus2)).toBe(false);
  await expect(fetch(`${env2.SANDBOX_PROMETHEUS_URL}/-/ready`)).rejects.toThrow();
  await expect(fetch(`${env2.SANDBOX_CONTROL_URL}/health`)).rejects.toThrow();
  expect((await sandbox(['status', '--dir', dir])).stdout).toContain('not running');
});

test('a sandbox started for an owner process stops by itself when the owner is killed', async () => {
  const other = await mkdtemp(join(tmpdir(), 'sandbox-owner-'));
  const owner = spawn('sleep', ['60'], { stdio: 'ignore' });
  try {
    await startSandbox({ dir: other, ownerPid: owner.pid! });
    // Up means Prometheus has scraped the sandbox already (its first scrape comes about 5 s
    // after it starts; a metric gate querying before that would see nothing).
    const prometheus = (await readSandboxEnv(other)).SANDBOX_PROMETHEUS_URL;
    const up = (await (await fetch(`${prometheus}/api/v1/query?query=up`)).json()) as { data: { result: { value: [number, string] }[] } };
    expect(up.data.result.map((r) => r.value[1])).toEqual(['1']);
    const daemon = await pidOf(join(other, 'sandbox.pid'));
    const registry = await pidOf(join(other, 'registry.pid'));
    expect(alive(daemon)).toBe(true);
    owner.kill('SIGKILL');
    // The daemon checks its owner every second.
    await retry(
      async () => {
        if (alive(daemon) || alive(registry)) throw new Error('still running');
      },
      { attempts: 20, baseDelayMs: 250, maxDelayMs: 500 },
    );
    expect((await sandboxStatus(other)).running).toBe(false);
  } finally {
    owner.kill('SIGKILL');
    await stopSandbox(other);
    await rm(other, { recursive: true, force: true });
  }
});

test('without the docker-registry binary, up fails naming the Debian package', async () => {
  const other = await mkdtemp(join(tmpdir(), 'sandbox-nobin-'));
  try {
    const r = await sandbox(['up', '--dir', other], { ...process.env, SANDBOX_REGISTRY_BIN: '/nonexistent/docker-registry' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('install the Debian package `docker-registry`');
  } finally {
    await rm(other, { recursive: true, force: true });
  }
});

test('a command without --dir prints the usage', async () => {
  const r = await sandbox(['up']);
  expect(r.code).toBe(2);
  expect(r.stderr).toContain('usage: npm run sandbox -- up [--cluster NAME]... --dir DIR | down --dir DIR | status --dir DIR');
});
