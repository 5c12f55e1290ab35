/**
 * `services:` without containers: postgres:N and redis:N run as local processes from Debian's
 * `postgresql` and `redis-server` packages on free loopback ports, with the image's environment
 * (POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB), waited for until healthy, and stopped and
 * removed at job end (also on failure and Ctrl-C). Steps reach them on 127.0.0.1 at
 * job.services.NAME.ports['CONTAINER_PORT'].
 * https://docs.github.com/en/actions/tutorials/use-containerized-services/use-docker-service-containers
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Json } from './expr.ts';

export const SERVICE_IMAGES = ['postgres', 'redis'];

export interface ServiceHandle {
  context: Record<string, unknown>;
  env: Record<string, string>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
let exitHook = false;
function track(p: ChildProcess): void {
  live.add(p);
  p.on('exit', () => live.delete(p));
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => {
      for (const c of live) {
        try {
          c.kill('SIGKILL');
        } catch {}
      }
    });
  }
}

/** image → kind and version, or a message saying what is accepted. */
export function serviceImage(image: string): { kind: 'postgres' | 'redis'; version: string } | string {
  const m = /^(?:docker\.io\/)?(?:library\/)?(postgres|redis)(?::([\w.-]+))?$/.exec(image.trim());
  if (!m)
    return `services: image ${image}: only postgres:N and redis:N can run here (as local processes from Debian's postgresql and redis-server)`;
  return { kind: m[1] as 'postgres' | 'redis', version: m[2] ?? 'latest' };
}

export function freePort(preferred?: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', (e) => (preferred ? freePort().then(resolve, reject) : reject(e)));
    s.listen(preferred ?? 0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function pgBin(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  for (const v of versions) if (existsSync(join(root, v, 'bin', 'postgres'))) return join(root, v, 'bin');
  throw new Error("services: postgres: Debian's postgresql is not installed (bash scripts/setup.sh installs it)");
}

/** initdb refuses to run as root: run PostgreSQL as `postgres` (or `nobody`). */
function pgUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  for (const u of ['postgres', 'nobody']) {
    try {
      const uid = Number(execFileSync('id', ['-u', u], { encoding: 'utf8' }).trim());
      const gid = Number(execFileSync('id', ['-g', u], { encoding: 'utf8' }).trim());
      return { uid, gid };
    } catch {}
  }
  throw new Error('services: postgres: running as root and neither the postgres nor the nobody user exists');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function tcpUp(port: number, probe?: string, expect?: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    let buf = '';
    const done = (ok: boolean) => {
      s.destroy();
      resolve(ok);
    };
    s.setTimeout(1000, () => done(false));
    s.once('error', () => done(false));
    s.once('connect', () => {
      if (!probe) return done(true);
      s.write(probe);
    });
    s.on('data', (d) => {
      buf += d.toString();
      if (expect && buf.includes(expect)) done(true);
    });
  });
}

async function waitHealthy(name: string, check: () => Promise<boolean>, proc: ChildProcess, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`services: ${name}: exited with code ${proc.exitCode} before it was healthy`);
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`services: ${name}: not healthy after ${timeoutMs / 1000} s`);
}

function ownerOf(dir: string, user: { uid: number; gid: number } | undefined): void {
  if (user) chownSync(dir, user.uid, user.gid);
}

export async function startServices(
  spec: Record<string, Record<string, Json>>,
  o: { log: (line: string) => void; signal?: AbortSignal },
): Promise<ServiceHandle> {
  // Its own folder under the system temp (traversable, so PostgreSQL may run as another user).
  const base = mkdtempSync(join(tmpdir(), 'workflow-services-'));
  chmodSync(base, 0o755);
  const procs: { name: string; proc: ChildProcess; dir: string }[] = [];
  const context: Record<string, unknown> = {};
  const env: Record<string, string> = {};
  const stop = async () => {
    for (const p of procs.reverse()) {
      if (p.proc.exitCode === null) {
        p.proc.kill('SIGTERM');
        await Promise.race([new Promise((r) => p.proc.once('exit', r)), sleep(5000)]);
        if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
      }
      rmSync(p.dir, { recursive: true, force: true });
      o.log(`service ${p.name}: stopped and removed`);
    }
    rmSync(base, { recursive: true, force: true });
  };
  try {
    for (const [name, s] of Object.entries(spec)) {
      const image = typeof s === 'string' ? s : String((s as Record<string, Json>).image ?? '');
      const kind = serviceImage(image);
      if (typeof kind === 'string') throw new Error(kind);
      const senv = ((typeof s === 'object' && s && (s as Record<string, Json>).env) || {}) as Record<string, Json>;
      const ports = ((typeof s === 'object' && s && (s as Record<string, Json>).ports) || []) as Json[];
      const containerPort = kind.kind === 'postgres' ? 5432 : 6379;
      const portMap: Record<string, string> = {};
      let hostPort: number | undefined;
      for (const p of ports) {
        const [h, c] = String(p).includes(':') ? String(p).split(':') : [undefined, String(p)];
        const cport = Number(String(c).replace(/\/tcp$/, ''));
        if (cport === containerPort && h) hostPort = Number(h);
      }
      const port = await freePort(hostPort);
      if (hostPort && port !== hostPort) o.log(`service ${name}: host port ${hostPort} is taken; using ${port}`);
      portMap[String(containerPort)] = String(port);
      for (const p of ports) {
        const c = String(p)
          .split(':')
          .pop()
          ?.replace(/\/tcp$/, '') as string;
        if (!(c in portMap)) portMap[c] = String(await freePort());
      }
      const dir = join(base, name);
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir, { recursive: true });
      if (kind.kind === 'postgres') {
        const bin = pgBin();
        const installed = bin.split('/').at(-2) as string;
        const wantMajor = kind.version.split(/[.-]/)[0] as string;
        if (/^\d+$/.test(wantMajor) && wantMajor !== installed)
          o.log(`service ${name}: ${image} asked for PostgreSQL ${wantMajor}; this machine has ${installed}`);
        const user = pgUser();
        const pgUserName = String(senv.POSTGRES_USER ?? 'postgres');
        const password = String(senv.POSTGRES_PASSWORD ?? '');
        const db = String(senv.POSTGRES_DB ?? pgUserName);
        if (!password && senv.POSTGRES_HOST_AUTH_METHOD !== 'trust')
          throw new Error(
            `services: ${name}: POSTGRES_PASSWORD is not set (the postgres image refuses to start without it, unless POSTGRES_HOST_AUTH_METHOD=trust)`,
          );
        ownerOf(dir, user);
        const data = join(dir, 'data');
        const pwfile = join(dir, 'pw');
        writeFileSync(pwfile, password || 'trust');
        ownerOf(pwfile, user);
        const auth = password ? 'scram-sha-256' : 'trust';
        execFileSync(
          join(bin, 'initdb'),
          ['-D', data, '-U', pgUserName, `--pwfile=${pwfile}`, `--auth=${auth}`, '-E', 'UTF8', '--no-sync'],
          {
            stdio: 'pipe',
            ...(user ?? {}),
          },
        );
        const proc = spawn(
          join(bin, 'postgres'),
          ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off'],
          { stdio: 'ignore', ...(user ?? {}) },
        );
        track(proc);
        procs.push({ name, proc, dir });
        o.log(`service ${name}: ${image} → PostgreSQL ${installed} (Debian) on 127.0.0.1:${port}`);
        const pgEnv = { ...process.env, PGPASSWORD: password };
        await waitHealthy(
          name,
          async () => {
            try {
              execFileSync(join(bin, 'pg_isready'), ['-h', '127.0.0.1', '-p', String(port), '-U', pgUserName], {
                stdio: 'ignore',
                env: pgEnv,
              });
              return true;
            } catch {
              return false;
            }
          },
          proc,
        );
        if (db !== 'postgres') {
          execFileSync(join(bin, 'createdb'), ['-h', '127.0.0.1', '-p', String(port), '-U', pgUserName, db], { stdio: 'pipe', env: pgEnv });
        }
      } else {
        const proc = spawn(
          'redis-server',
          ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no'],
          { stdio: 'ignore' },
        );
        track(proc);
        procs.push({ name, proc, dir });
        proc.once('error', () => {});
        o.log(`service ${name}: ${image} → redis-server (Debian) on 127.0.0.1:${port}`);
        await waitHealthy(name, () => tcpUp(port, 'PING\r\n', '+PONG'), proc);
      }
      o.log(`service ${name}: healthy`);
      context[name] = { id: `local-${name}`, network: 'host', ports: portMap };
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { context, env, stop };
}
