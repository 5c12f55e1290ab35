/**
 * The sandbox: seconds for `up` (the CLI as users run it, with a fresh DIR and with a DIR whose
 * CA already exists) and `down`; API server requests per second for get and list; and how long
 * 20 Deployments × 3 replicas with a 1 s ready delay take to become available (close to 1 s
 * when the controller is not the bottleneck).
 */
import { spawnSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readSandboxEnv, SandboxControl, startSandbox, stopSandbox } from '@tripo04os/sandbox';
import { measure, median } from './lib/stats.ts';

const cli = join(import.meta.dirname, '../packages/sandbox/src/cli.ts');
const sandbox = (...args: string[]) => {
  const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`sandbox ${args.join(' ')}: ${r.stderr}`);
};

const dirs: string[] = [];
const fresh = async () => {
  const d = await mkdtemp(join(tmpdir(), 'bench-sandbox-'));
  dirs.push(d);
  return d;
};
try {
  const secs = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(', ');
  const coldUps: number[] = [];
  for (let i = 0; i < 3; i++) {
    const d = await fresh();
    const t0 = performance.now();
    sandbox('up', '--dir', d);
    coldUps.push(performance.now() - t0);
    sandbox('down', '--dir', d);
  }
  console.log(`\`up\` with a fresh DIR (CLI; makes the CA too): median ${(median(coldUps) / 1000).toFixed(2)} s (${secs(coldUps)})`);
  const warm = await fresh();
  sandbox('up', '--dir', warm);
  sandbox('down', '--dir', warm);
  const ups: number[] = [];
  const downs: number[] = [];
  const cpus: number[] = [];
  const { readFile: read } = await import('node:fs/promises');
  for (let i = 0; i < 3; i++) {
    let t0 = performance.now();
    sandbox('up', '--dir', warm);
    ups.push(performance.now() - t0);
    const lines = (await read(join(warm, 'sandbox.log'), 'utf8')).split('\n').filter((l) => l.includes(' up in '));
    cpus.push(Number(/(\d+) ms CPU/.exec(lines.at(-1) ?? '')?.[1] ?? Number.NaN));
    t0 = performance.now();
    sandbox('down', '--dir', warm);
    downs.push(performance.now() - t0);
  }
  console.log(`\`up\` with an existing DIR (CLI): median ${(median(ups) / 1000).toFixed(2)} s (${secs(ups)})`);
  console.log(
    `daemon CPU time until every part answers: median ${median(cpus)} ms (load-independent; the rest of \`up\` is two Node starts and waiting)`,
  );
  console.log(`\`down\` (CLI): median ${(median(downs) / 1000).toFixed(2)} s`);
  await measure('startSandbox() + stopSandbox() from a running Node (as the jest global setup)', 3, async () => {
    await startSandbox({ dir: warm });
    await stopSandbox(warm);
  });

  // The API server.
  const dir = await fresh();
  await startSandbox({ dir });
  try {
    const env = await readSandboxEnv(dir);
    const { parse } = await import('yaml');
    const { readFile } = await import('node:fs/promises');
    const kc = parse(await readFile(env.KUBECONFIG, 'utf8')) as {
      clusters: { cluster: { server: string } }[];
      users: { user: { token: string } }[];
    };
    const server = kc.clusters[0]!.cluster.server;
    const token = kc.users[0]!.user.token;
    const ca = await readFile(env.SANDBOX_CA_FILE, 'utf8');
    const agent = new Agent({ keepAlive: true, maxSockets: 16, ca });
    const call = (method: string, path: string, body?: unknown) =>
      new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          `${server}${path}`,
          { method, agent, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' } },
          (res) => {
            let data = '';
            res.setEncoding('utf8').on('data', (c: string) => (data += c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
          },
        );
        req.on('error', reject);
        req.end(body === undefined ? undefined : JSON.stringify(body));
      });
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'bench' } });
    for (let i = 0; i < 50; i++)
      await call('POST', '/api/v1/namespaces/bench/configmaps', {
        metadata: { name: `cm-${i}`, labels: { bench: 'yes' } },
        data: { i: String(i) },
      });
    const rps = async (label: string, path: string, total: number) => {
      let next = 0;
      const t0 = performance.now();
      await Promise.all(
        Array.from({ length: 16 }, async () => {
          while (next++ < total) {
            const r = await call('GET', path);
            if (r.status !== 200) throw new Error(`${path}: ${r.status}`);
          }
        }),
      );
      const s = (performance.now() - t0) / 1000;
      console.log(`API server ${label}: ${(total / s).toFixed(0)} requests/s (${total} requests, 16 at a time)`);
    };
    await rps('get one ConfigMap', '/api/v1/namespaces/bench/configmaps/cm-7', 2000);
    await rps('list 50 ConfigMaps', '/api/v1/namespaces/bench/configmaps', 1000);
    await rps('list with a labelSelector', '/api/v1/namespaces/bench/configmaps?labelSelector=bench%3Dyes', 1000);

    // 20 Deployments × 3 replicas, ready delay 1 s.
    const control = new SandboxControl(env.SANDBOX_CONTROL_URL);
    const { image } = await control.pushImage('bench', 'v1');
    await control.setBehaviour({ image, readyDelayMs: 1000 });
    const available = new Map<string, number>();
    let done: () => void = () => {};
    const allAvailable = new Promise<void>((r) => (done = r));
    const watch = request(
      `${server}/apis/apps/v1/namespaces/bench/deployments?watch=true`,
      { agent: new Agent({ ca }), headers: { authorization: `Bearer ${token}` } },
      (res) => {
        let buf = '';
        res.setEncoding('utf8').on('data', (c: string) => {
          buf += c;
          let nl = buf.indexOf('\n');
          while (nl >= 0) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            nl = buf.indexOf('\n');
            if (!line.trim()) continue;
            const e = JSON.parse(line) as {
              object: {
                metadata: { name: string; generation?: number };
                status?: { availableReplicas?: number; updatedReplicas?: number; observedGeneration?: number };
              };
            };
            const st = e.object.status ?? {};
            available.set(
              e.object.metadata.name,
              st.availableReplicas === 3 && st.updatedReplicas === 3 && (st.observedGeneration ?? 0) >= (e.object.metadata.generation ?? 1)
                ? 1
                : 0,
            );
            if (available.size === 20 && [...available.values()].every((v) => v === 1)) done();
          }
        });
      },
    );
    watch.end();
    await new Promise((r) => setTimeout(r, 100));
    const t0 = performance.now();
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        call('POST', '/apis/apps/v1/namespaces/bench/deployments', {
          metadata: { name: `d${i}` },
          spec: {
            replicas: 3,
            selector: { matchLabels: { app: `d${i}` } },
            template: { metadata: { labels: { app: `d${i}` } }, spec: { containers: [{ name: 'app', image }] } },
          },
        }).then((r) => {
          if (r.status !== 201) throw new Error(`create d${i}: ${r.status} ${r.body}`);
        }),
      ),
    );
    const created = performance.now();
    await allAvailable;
    const total = (performance.now() - t0) / 1000;
    console.log(
      `20 Deployments × 3 replicas (ready delay 1 s) available after ${total.toFixed(2)} s (creating them took ${((created - t0) / 1000).toFixed(2)} s; the ready delay alone is 1.00 s)`,
    );
    watch.destroy();
    agent.destroy();
  } finally {
    await stopSandbox(dir);
  }
} finally {
  for (const d of dirs) {
    await stopSandbox(d).catch(() => {});
    await rm(d, { recursive: true, force: true });
  }
}
