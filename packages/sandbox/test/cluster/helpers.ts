import { execFile, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureCertificates } from '../../src/certs.ts';
import { type KubeServer, type KubeServerOptions, startKubeServer } from '../../src/cluster/index.ts';

export const TOKEN = 'sandbox-test-token';
export const REGISTRY = '127.0.0.1:5999';

export interface Env {
  dir: string;
  server: KubeServer;
  ca: string;
  kubeconfig: string;
  images: Set<string>;
  close(): Promise<void>;
}

export async function startEnv(extra: Partial<KubeServerOptions> = {}): Promise<Env> {
  const dir = await mkdtemp(join(tmpdir(), 'k8s-test-'));
  const certs = await ensureCertificates(dir);
  const images = new Set<string>();
  const server = await startKubeServer({
    tls: { cert: certs.serverCert, key: certs.serverKey },
    authenticate: (t) => (t === TOKEN ? 'sandbox-admin' : undefined),
    imageExists: async (image) => images.has(image),
    defaultReadyDelayMs: 100,
    ...extra,
  });
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(
    kubeconfig,
    [
      'apiVersion: v1',
      'kind: Config',
      'clusters:',
      '- name: sandbox',
      '  cluster:',
      `    server: ${server.url}`,
      `    certificate-authority-data: ${Buffer.from(certs.caCert).toString('base64')}`,
      'users:',
      '- name: sandbox',
      '  user:',
      `    token: ${TOKEN}`,
      'contexts:',
      '- name: sandbox',
      '  context: {cluster: sandbox, user: sandbox}',
      'current-context: sandbox',
      '',
    ].join('\n'),
  );
  return {
    dir,
    server,
    ca: certs.caCert,
    kubeconfig,
    images,
    async close() {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

export interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function kubectlEnv(env: Env): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: env.dir, KUBECONFIG: env.kubeconfig, KUBECACHEDIR: join(env.dir, 'cache') };
}

/** Runs the real kubectl against the test server. */
export function kubectl(env: Env, args: string[], input?: string): Promise<Result> {
  return new Promise((resolve) => {
    const child = execFile('/usr/bin/kubectl', args, { env: kubectlEnv(env), timeout: 45_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr) });
    });
    if (input !== undefined) {
      child.stdin?.write(input);
      child.stdin?.end();
    }
  });
}

/** Starts a long-running kubectl (e.g. `get -w`) and collects its output lines. */
export function kubectlStream(
  env: Env,
  args: string[],
): { lines: string[]; waitFor(re: RegExp, ms?: number): Promise<string>; stop(): void } {
  const child = spawn('/usr/bin/kubectl', args, { env: kubectlEnv(env) });
  const lines: string[] = [];
  let buf = '';
  const waiters: { re: RegExp; resolve: (l: string) => void }[] = [];
  child.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let i = buf.indexOf('\n');
    while (i >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of [...waiters])
        if (w.re.test(line)) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve(line);
        }
      i = buf.indexOf('\n');
    }
  });
  return {
    lines,
    waitFor(re, ms = 15_000) {
      const hit = lines.find((l) => re.test(l));
      if (hit) return Promise.resolve(hit);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`no line matching ${re} in:\n${lines.join('\n')}`)), ms);
        waiters.push({
          re,
          resolve: (l) => {
            clearTimeout(t);
            resolve(l);
          },
        });
      });
    },
    stop() {
      child.kill();
    },
  };
}

export interface HttpResult {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected freely
  json: any;
}

/** One HTTPS request to the API server (JSON body unless `contentType` says otherwise). */
export function api(
  env: Env,
  method: string,
  path: string,
  body?: unknown,
  opts: { contentType?: string; token?: string | null; accept?: string } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, env.server.url);
    const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
    if (opts.token !== null) headers.Authorization = `Bearer ${opts.token ?? TOKEN}`;
    let data: string | undefined;
    if (body !== undefined) {
      data = typeof body === 'string' ? body : JSON.stringify(body);
      headers['Content-Type'] = opts.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(data));
    }
    const req = request(url, { method, headers, ca: env.ca }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {}
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(data);
  });
}

/** Opens a watch and collects its events until `count` arrived or the stream ended. */
export function watchEvents(
  env: Env,
  path: string,
  count: number,
  ms = 10_000,
): Promise<{ type: string; object: { metadata: { name: string; resourceVersion: string } } & Record<string, unknown> }[]> {
  return new Promise((resolve, reject) => {
    const events: { type: string; object: never }[] = [];
    const req = request(new URL(path, env.server.url), { headers: { Authorization: `Bearer ${TOKEN}` }, ca: env.ca }, (res) => {
      let buf = '';
      res.on('data', (c: Buffer) => {
        buf += c.toString();
        let i = buf.indexOf('\n');
        while (i >= 0) {
          events.push(JSON.parse(buf.slice(0, i)));
          buf = buf.slice(i + 1);
          i = buf.indexOf('\n');
        }
        if (events.length >= count) {
          clearTimeout(t);
          req.destroy();
          resolve(events);
        }
      });
      res.on('end', () => {
        clearTimeout(t);
        resolve(events);
      });
    });
    const t = setTimeout(() => {
      req.destroy();
      resolve(events);
    }, ms);
    req.on('error', (e) => {
      if (events.length < count) reject(e);
    });
    req.end();
  });
}

/** Polls `fn` until it returns a truthy value (test-side waiting for simulated time to pass). */
export async function eventually<T>(
  fn: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 15_000,
  what = 'condition',
): Promise<T> {
  const end = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
