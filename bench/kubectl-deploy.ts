/**
 * kubectl-deploy against its own sandbox:
 *  1. wall time of the bundled action rolling out 1, 4 and 20 Deployments whose new pods turn
 *     ready after 2 s, divided by 2 s (parallel watches: target <= 1.2 for 20);
 *  2. API requests per Deployment at ready delays of 2 s and 10 s, counted by an HTTPS proxy in
 *     front of the API server (watches, not polling: the count must not grow with the delay);
 *  3. the bundle's cold start (to its first error on a bad input) beyond a bare `node -e 0`
 *     (interleaved, median of 20 each; target <= 80 ms), and the bundle's size.
 * Run: node_modules/.bin/node bench/kubectl-deploy.ts [--runs N] [--action DIR] [--against DIR]
 * --runs N: runs per count of Deployments (default 5; the figure is their median).
 * --action DIR runs another copy of the action (DIR/kubectl-deploy/action.yml and the bundle it
 * names), e.g. `git archive COMMIT kubectl-deploy actions/kubectl-deploy/dist | tar -x -C DIR`;
 * --against DIR runs such a copy alternately with the first (1, 4 and 20 Deployments), so
 * before and after meet the same load.
 */
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { request as httpsRequest, createServer as httpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { repoRoot, runAction } from '@tripo04os/kit/harness';
import { readSandboxEnv, SandboxControl, startSandbox, stopSandbox } from '@tripo04os/sandbox';
import { parse, stringify } from 'yaml';
import { kubectlFor } from './lib/kubectl.ts';
import { median } from './lib/stats.ts';

const READY_MS = 2000;
const { values: flags } = parseArgs({ options: { runs: { type: 'string' }, action: { type: 'string' }, against: { type: 'string' } } });
const actionRoot = flags.action ?? repoRoot;
const againstRoot = flags.against;
const runs = Number(flags.runs) || 5;
const action = join(actionRoot, 'kubectl-deploy');

const dir = await mkdtemp(join(tmpdir(), 'bench-kubectl-deploy-'));
await startSandbox({ dir, ownerPid: process.pid });
try {
  const env = await readSandboxEnv(dir);
  const control = new SandboxControl(env.SANDBOX_CONTROL_URL);
  const kubectl = kubectlFor(env.KUBECONFIG);
  const [v1] = [(await control.pushImage('bench-svc', 'v1')).image];
  await control.setBehaviour({ image: v1 as string, readyDelayMs: 100 });
  const images: Record<number, string> = {};
  for (const delay of [2000, 10_000]) {
    images[delay] = (await control.pushImage('bench-svc', `ready-${delay}`)).image;
    await control.setBehaviour({ image: images[delay] as string, readyDelayMs: delay });
  }

  /** A fresh namespace with n Deployments (1 replica each) rolled out on v1. */
  const setup = (n: number): { ns: string; names: string[] } => {
    const ns = `bench-${n}-${randomBytes(3).toString('hex')}`;
    const names = Array.from({ length: n }, (_, i) => `svc-${i}`);
    const docs = [`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`];
    for (const name of names) {
      docs.push(`apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${ns} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec: { containers: [{ name: app, image: ${v1} }] }
`);
    }
    kubectl(['apply', '-f', '-'], docs.join('---\n'));
    for (const name of names) kubectl(['-n', ns, 'rollout', 'status', `deployment/${name}`, '--timeout=60s']);
    return { ns, names };
  };

  const awsEnv = {
    AWS_REGION: env.AWS_REGION,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    AWS_ENDPOINT_URL_EKS: env.AWS_ENDPOINT_URL_EKS,
    AWS_ENDPOINT_URL_STS: env.AWS_ENDPOINT_URL_STS,
    KUBECONFIG: undefined,
  };

  console.log(`kubectl-deploy: parallel rollouts through EKS auth, new pods ready after ${READY_MS} ms (1 replica each)`);
  const copies = [action, ...(againstRoot ? [join(againstRoot, 'kubectl-deploy')] : [])];
  for (const n of [1, 4, 20]) {
    const times = copies.map((): number[] => []);
    const phases = copies.map((): number[] => []);
    for (let run = 0; run < runs; run++) {
      // Each copy goes first in every other run, so neither always follows the other.
      const order = run % 2 === 0 ? [...copies.entries()] : [...copies.entries()].reverse();
      for (const [c, copy] of order) {
        const { ns, names } = setup(n);
        const r = await runAction({
          action: copy,
          inputs: { 'cluster-name': env.SANDBOX_EKS_CLUSTER, namespace: ns, images: names.map((x) => `${x}=${images[2000]}`).join('\n') },
          env: awsEnv,
          timeoutMs: 120_000,
        });
        if (r.exitCode !== 0) throw new Error(`run failed:\n${r.log}`);
        times[c]?.push(r.durationMs);
        // The rollout phase alone: from the first patch to the last Deployment done (the result's seconds).
        phases[c]?.push(Math.max(...(JSON.parse(r.outputs.result ?? '[]') as { seconds: number }[]).map((x) => x.seconds * 1000)));
      }
    }
    for (const [c, copy] of copies.entries()) {
      const m = median(times[c] as number[]);
      const ph = median(phases[c] as number[]);
      const who = copies.length > 1 ? ` [${c === 0 ? 'this' : 'against'}: ${copy}]` : '';
      console.log(
        `  ${String(n).padStart(2)} deployments: wall ${m.toFixed(0)} ms (median of ${runs}, min ${Math.min(...(times[c] as number[])).toFixed(0)}), wall / ${READY_MS} ms = ${(m / READY_MS).toFixed(2)}; rollout phase alone ${ph.toFixed(0)} ms = ${(ph / READY_MS).toFixed(2)} x ${READY_MS} ms${who}`,
      );
    }
  }

  // A counting HTTPS proxy in front of the API server (same certificate, so the kubeconfig only changes its server).
  const kc = parse(readFileSync(env.KUBECONFIG, 'utf8')) as { clusters: { cluster: { server: string } }[] };
  const upstream = new URL(kc.clusters[0]?.cluster.server as string);
  const ca = readFileSync(env.SANDBOX_CA_FILE);
  let counted: string[] = [];
  const proxy = httpsServer(
    { cert: readFileSync(join(dir, 'pki/server.crt')), key: readFileSync(join(dir, 'pki/server.key')) },
    (req, res) => {
      counted.push(`${req.method} ${req.url}`);
      const up = httpsRequest(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers, ca },
        (u) => {
          res.writeHead(u.statusCode ?? 502, u.headers);
          u.pipe(res);
        },
      );
      up.on('error', () => res.destroy());
      req.pipe(up);
    },
  );
  await new Promise<void>((r) => proxy.listen(0, '127.0.0.1', r));
  kc.clusters[0]!.cluster.server = `https://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
  const kubeconfig = stringify(kc);

  console.log('API requests per Deployment (counting proxy; 4 Deployments, 1 replica each):');
  for (const delay of [2000, 10_000]) {
    const { ns, names } = setup(4);
    counted = [];
    const r = await runAction({
      action,
      inputs: { kubeconfig, namespace: ns, images: names.map((x) => `${x}=${images[delay]}`).join('\n') },
      env: { KUBECONFIG: undefined },
      timeoutMs: 120_000,
    });
    if (r.exitCode !== 0) throw new Error(`run failed:\n${r.log}`);
    const kinds = new Map<string, number>();
    for (const c of counted) {
      const k = c
        .replace(/\?.*/, '')
        .replace(/\/svc-\d+$/, '/NAME')
        .replace(/^(\w+) .*\/(deployments|pods|replicasets|namespaces)(\/NAME)?$/, '$1 $2$3');
      const watch = c.includes('watch=true') ? ' (watch)' : '';
      kinds.set(k + watch, (kinds.get(k + watch) ?? 0) + 1);
    }
    const detail = [...kinds].map(([k, v]) => `${k} ×${v}`).join(', ');
    console.log(
      `  ready after ${String(delay / 1000).padStart(2)} s: ${(counted.length / names.length).toFixed(2)} requests per Deployment (${counted.length} in all, wall ${r.durationMs} ms): ${detail}`,
    );
  }
  proxy.close();

  // Cold start: the bundle to its first input error, beyond a bare `node -e 0` measured in the
  // same loop (interleaved, so load on the machine hits both alike): median of 20 each.
  const bundle = join(actionRoot, 'actions/kubectl-deploy/dist/index.js');
  const timed = (args: string[], inputs: Record<string, string> = {}) => {
    const t0 = performance.now();
    const r = spawnSync(process.execPath, args, { env: { PATH: process.env.PATH, ...inputs }, encoding: 'utf8' });
    const wall = performance.now() - t0;
    if (args[0] === bundle && !(r.status === 1 && r.stdout.includes("::error::Input 'images'")))
      throw new Error(`expected an input error:\n${r.stdout}${r.stderr}`);
    return wall;
  };
  const cold: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < 20; i++) {
    bare.push(timed(['-e', '0']));
    cold.push(timed([bundle], { INPUT_IMAGES: 'not a valid line' }));
  }
  console.log(
    `cold start to the first input error: median ${median(cold).toFixed(0)} ms, node -e 0 ${median(bare).toFixed(0)} ms: +${(median(cold) - median(bare)).toFixed(0)} ms beyond bare node (20 runs each, interleaved; target <= 80 ms)`,
  );
  const distDir = join(actionRoot, 'actions/kubectl-deploy/dist');
  const sizes = readdirSync(distDir).map((f) => [f, statSync(join(distDir, f)).size] as const);
  const js = sizes.filter(([f]) => f.endsWith('.js')).reduce((n, [, b]) => n + b, 0);
  console.log(
    `bundle size: index.js ${((sizes.find(([f]) => f === 'index.js')?.[1] ?? 0) / 1024).toFixed(0)} KiB loaded at start, ${(js / 1024).toFixed(0)} KiB of JavaScript in dist/ (${sizes.length} files)`,
  );
} finally {
  await stopSandbox(dir);
  await rm(dir, { recursive: true, force: true });
}
