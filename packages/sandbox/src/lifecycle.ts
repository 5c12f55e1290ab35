/**
 * `up`, `down` and `status`: the daemon runs detached in the background; DIR holds its pid,
 * the registry child's pid, its log and state. A DIR left by a killed run is recovered.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DaemonInfo } from './daemon.ts';
import { readSandboxEnv, type SandboxEnv } from './env.ts';
import { logFile, pidFile, prometheusPidFile, registryPidFile, stateFile } from './paths.ts';
import { findRegistryBinary, REGISTRY_PACKAGE } from './registry-binary.ts';

export interface Sandbox {
  dir: string;
  env: SandboxEnv;
}

export interface SandboxStatus {
  dir: string;
  running: boolean;
  pid?: number;
  registryPid?: number;
  /** Each part and where it listens (from DIR/state.json). */
  parts?: Record<string, string>;
  /** Whether the daemon's control endpoint answered just now (with `deep`). */
  answering?: boolean;
  /** Whether the docker-registry child runs. */
  registryRunning?: boolean;
  /** Whether a previous run was killed and left its files behind. */
  stale?: boolean;
}

async function readPid(file: string): Promise<number | undefined> {
  try {
    const n = Number.parseInt((await readFile(file, 'utf8')).trim(), 10);
    return Number.isInteger(n) && n > 0 ? n : undefined;
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs (a zombie waiting to be reaped does not). */
export async function running(pid: number): Promise<boolean> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) [ZX]/s.test(stat);
  } catch {
    return false;
  }
}

/** Whether `pid` runs and its command line mentions `marker` (guards against reused pids). */
async function alive(pid: number, marker: string): Promise<boolean> {
  if (!(await running(pid))) return false;
  try {
    const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
    return cmdline.includes(marker);
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends SIGTERM, waits for the process to go (SIGKILL after `graceMs`). */
async function terminate(pid: number, graceMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + graceMs;
  let killed = false;
  while (await running(pid)) {
    if (!killed && Date.now() > deadline) {
      killed = true;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {}
    }
    await sleep(20);
  }
}

const cliFile = fileURLToPath(new URL('./cli.ts', import.meta.url));

/** A Node that strips TypeScript types (22.18+/23.6+), for the daemon. */
function nodeBinary(): string {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  if (major >= 23 || (major === 22 && minor >= 18)) return process.execPath;
  return fileURLToPath(new URL('../../../node_modules/.bin/node', import.meta.url));
}

export async function sandboxStatus(dirArg: string, options: { deep?: boolean } = {}): Promise<SandboxStatus> {
  const dir = resolve(dirArg);
  const pid = await readPid(pidFile(dir));
  const registryPid = await readPid(registryPidFile(dir));
  if (pid === undefined)
    return { dir, running: false, ...(registryPid && (await alive(registryPid, dir)) ? { stale: true, registryPid } : {}) };
  if (!(await alive(pid, dir))) return { dir, running: false, stale: true, pid };
  const status: SandboxStatus = { dir, running: true, pid };
  if (registryPid) {
    status.registryPid = registryPid;
    status.registryRunning = await alive(registryPid, dir);
  }
  try {
    const state = JSON.parse(await readFile(stateFile(dir), 'utf8')) as { parts?: Record<string, string> };
    if (state.parts) status.parts = state.parts;
  } catch {}
  if (options.deep && status.parts?.control) {
    try {
      const res = await fetch(`${status.parts.control}/health`, { signal: AbortSignal.timeout(3000) });
      status.answering = res.ok;
    } catch {
      status.answering = false;
    }
  }
  return status;
}

/** Removes what a killed run left: a registry child still running, pid and state files. */
async function recover(dir: string): Promise<void> {
  await stopChildren(dir);
  await Promise.all([pidFile(dir), registryPidFile(dir), prometheusPidFile(dir), stateFile(dir)].map((f) => rm(f, { force: true })));
}

/** Stops the registry and Prometheus children (a killed daemon leaves them); true when one ran. */
async function stopChildren(dir: string): Promise<boolean> {
  let stopped = false;
  for (const file of [registryPidFile(dir), prometheusPidFile(dir)]) {
    const pid = await readPid(file);
    if (pid && (await alive(pid, dir))) {
      await terminate(pid, 5000);
      stopped = true;
    }
  }
  return stopped;
}

export interface StartOptions {
  dir: string;
  /** How long to wait for every part to answer (default 60 s). */
  timeoutMs?: number;
  /** Stop the sandbox by itself when this process ends (the jest global setup passes its own pid). */
  ownerPid?: number;
}

/** Starts the sandbox daemon in the background (same as `up`); resolves once every part answers. */
export async function startSandbox(options: StartOptions): Promise<Sandbox> {
  const dir = resolve(options.dir);
  await mkdir(dir, { recursive: true });
  const status = await sandboxStatus(dir);
  if (status.running) {
    throw new Error(`a sandbox already runs in ${dir} (pid ${status.pid}); stop it first with: npm run sandbox -- down --dir ${dir}`);
  }
  if (status.stale) await recover(dir);
  if (!(await findRegistryBinary())) {
    throw new Error(
      `the sandbox needs ${process.env.SANDBOX_REGISTRY_BIN ?? '/usr/bin/docker-registry'}: install the Debian package \`${REGISTRY_PACKAGE}\` (apt-get install ${REGISTRY_PACKAGE})`,
    );
  }
  await rm(stateFile(dir), { force: true });
  const logFd = openSync(logFile(dir), 'a');
  const args = [cliFile, 'daemon', '--dir', dir, ...(options.ownerPid ? ['--owner', String(options.ownerPid)] : [])];
  const child = spawn(nodeBinary(), args, {
    detached: true,
    stdio: ['ignore', logFd, logFd, 'ipc'],
    cwd: dir,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  closeSync(logFd);
  const timeoutMs = options.timeoutMs ?? 60_000;
  try {
    await new Promise<DaemonInfo>((resolvePromise, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`the sandbox did not come up within ${timeoutMs} ms; see ${logFile(dir)}`)),
        timeoutMs,
      );
      child.once('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        reject(new Error(`the sandbox daemon exited (${signal ?? code}) before it was up; see ${logFile(dir)}`));
      });
      child.on('message', (m: { type?: string; info?: DaemonInfo; message?: string }) => {
        if (m.type === 'ready' && m.info) {
          clearTimeout(timer);
          resolvePromise(m.info);
        } else if (m.type === 'error') {
          clearTimeout(timer);
          reject(new Error(`the sandbox failed to start: ${m.message}`));
        }
      });
    });
  } catch (err) {
    if (child.pid && child.exitCode === null) {
      try {
        process.kill(child.pid, 'SIGTERM');
      } catch {}
    }
    child.removeAllListeners();
    if (child.connected) child.disconnect();
    child.unref();
    throw err;
  }
  child.removeAllListeners();
  child.disconnect();
  child.unref();
  return { dir, env: await readSandboxEnv(dir) };
}

/** Stops the daemon and its registry and Prometheus children (same as `down`); true when something was running. */
export async function stopSandbox(dirArg: string): Promise<boolean> {
  const dir = resolve(dirArg);
  const pid = await readPid(pidFile(dir));
  let stopped = false;
  if (pid && (await alive(pid, dir))) {
    await terminate(pid, 10_000);
    stopped = true;
  }
  if (await stopChildren(dir)) stopped = true;
  await Promise.all([pidFile(dir), registryPidFile(dir), prometheusPidFile(dir), stateFile(dir)].map((f) => rm(f, { force: true })));
  return stopped;
}
