/**
 * The sandbox Prometheus: Debian's `prometheus` server as a child of the daemon, its data inside
 * DIR, scraping the control endpoint's `/metrics` (the simulated pods' application metrics) every
 * second. Started by `up` when the binary is there (SANDBOX_PROMETHEUS_BIN overrides the path,
 * SANDBOX_PROMETHEUS=0 turns it off); its URL goes to DIR/env as SANDBOX_PROMETHEUS_URL.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { access, constants, mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { freePort } from './http.ts';

export const PROMETHEUS_PACKAGE = 'prometheus';

/** The prometheus binary (/usr/bin/prometheus from the Debian package), or undefined. */
export async function findPrometheusBinary(env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  if (env.SANDBOX_PROMETHEUS === '0') return undefined;
  const candidates = env.SANDBOX_PROMETHEUS_BIN
    ? [env.SANDBOX_PROMETHEUS_BIN]
    : [...(env.PATH ?? '').split(delimiter).filter(Boolean), '/usr/bin'].map((d) => join(d, 'prometheus'));
  for (const file of candidates) {
    try {
      await access(file, constants.X_OK);
      return file;
    } catch {}
  }
  return undefined;
}

export interface PrometheusProcess {
  url: string;
  pid: number;
  close(): Promise<void>;
}

export async function startPrometheus(options: {
  dir: string;
  binary: string;
  /** host:port of the endpoint serving /metrics. */
  target: string;
  log?: (line: string) => void;
  timeoutMs?: number;
}): Promise<PrometheusProcess> {
  const root = join(options.dir, 'prometheus');
  await mkdir(join(root, 'data'), { recursive: true });
  const configFile = join(root, 'prometheus.yml');
  // JSON is YAML.
  await writeFile(
    configFile,
    JSON.stringify(
      {
        global: { scrape_interval: '1s', scrape_timeout: '900ms', evaluation_interval: '1s' },
        scrape_configs: [{ job_name: 'sandbox', honor_labels: true, static_configs: [{ targets: [options.target] }] }],
      },
      null,
      2,
    ),
  );
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn(
    options.binary,
    [
      `--config.file=${configFile}`,
      `--storage.tsdb.path=${join(root, 'data')}`,
      '--storage.tsdb.retention.time=1d',
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const log = options.log ?? (() => {});
  let exited = false;
  let tail = '';
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    tail = (tail + text).slice(-2000);
    for (const line of text.split('\n')) if (line.trim()) log(`prometheus: ${line.trim()}`);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      log(`prometheus: exited (${signal ?? code})`);
      resolve();
    });
  });
  const close = async () => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exit;
    clearTimeout(timer);
  };
  const deadline = Date.now() + (options.timeoutMs ?? 30_000);
  for (;;) {
    if (exited) throw new Error(`prometheus exited before it was ready: ${tail.trim().slice(-800)}`);
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      if (res.ok) break;
    } catch {}
    if (Date.now() > deadline) {
      await close();
      throw new Error(`prometheus was not ready within ${options.timeoutMs ?? 30_000} ms: ${tail.trim().slice(-800)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  // Ready is not scraping: Prometheus hands its targets to the scrape loop about 5 s after it
  // starts. Until the first scrape every query is empty, and a metric gate run then fails
  // closed on "empty result"; so the sandbox is up only once the target has been scraped.
  for (;;) {
    if (exited) throw new Error(`prometheus exited before its first scrape: ${tail.trim().slice(-800)}`);
    try {
      const res = await fetch(`${url}/api/v1/query?query=up`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { data?: { result?: { value: [number, string] }[] } };
      if (body.data?.result?.some((r) => r.value[1] === '1')) break;
    } catch {}
    if (Date.now() > deadline) {
      await close();
      throw new Error(`prometheus did not scrape ${options.target} within ${options.timeoutMs ?? 30_000} ms: ${tail.trim().slice(-800)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, pid: child.pid ?? 0, close };
}
