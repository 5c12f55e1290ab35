/** Shared setup for the end-to-end tests: the bundled action against the sandbox's EKS. */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { exec } from '@tripo04os/common';
import { type RunResult, repoRoot, runAction } from '@tripo04os/kit/harness';
import { sandboxControl, sandboxEnv } from '@tripo04os/sandbox/testing';
import { parse, stringify } from 'yaml';

export const env = sandboxEnv();
export const control = sandboxControl();
export const actionDir = join(repoRoot, 'kubectl-deploy');

/** The step's environment after configure-aws-credentials: keys, region and endpoints; no kubeconfig. */
export const awsEnv: Record<string, string | undefined> = {
  AWS_REGION: env.AWS_REGION,
  AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
  AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
  AWS_ENDPOINT_URL_EKS: env.AWS_ENDPOINT_URL_EKS,
  AWS_ENDPOINT_URL_STS: env.AWS_ENDPOINT_URL_STS,
  KUBECONFIG: undefined,
  AWS_PROFILE: undefined,
  AWS_SESSION_TOKEN: undefined,
};

/** Runs the bundled action through the runner harness, authenticating through the sandbox's EKS and STS. */
export function deployAction(
  inputs: Record<string, string | number | boolean>,
  extraEnv: Record<string, string | undefined> = {},
): Promise<RunResult> {
  return runAction({
    action: actionDir,
    inputs: { 'cluster-name': env.SANDBOX_EKS_CLUSTER, 'failure-grace': '2s', timeout: '2m', ...inputs },
    env: { ...awsEnv, ...extraEnv },
    timeoutMs: 150_000,
  });
}

/** The real kubectl with the sandbox kubeconfig. */
export async function kubectl(...args: string[]): Promise<string> {
  const r = await exec('/usr/bin/kubectl', args, { env: { ...process.env, KUBECONFIG: env.KUBECONFIG } });
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

export async function kubectlApply(yaml: string): Promise<void> {
  const r = await exec('/usr/bin/kubectl', ['apply', '-f', '-'], { env: { ...process.env, KUBECONFIG: env.KUBECONFIG }, input: yaml });
  if (r.code !== 0) throw new Error(`kubectl apply: ${r.stderr}`);
}

export function unique(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

/** Pushes `repo:tag` for each tag; returns the references. */
export async function pushImages(repo: string, ...tags: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const t of tags) out.push((await control.pushImage(repo, t)).image);
  return out;
}

export function deploymentYaml(ns: string, name: string, image: string, replicas = 2, container = 'app'): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name}, namespace: ${ns} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: ${container}
          image: ${image}
`;
}

/** A namespace with Deployments already rolled out (revision 1). */
export async function cluster(ns: string, deployments: Record<string, string>): Promise<void> {
  await kubectlApply(`apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`);
  await kubectlApply(
    Object.entries(deployments)
      .map(([name, image]) => deploymentYaml(ns, name, image))
      .join('---\n'),
  );
  for (const name of Object.keys(deployments)) await kubectl('-n', ns, 'rollout', 'status', `deployment/${name}`, '--timeout=60s');
}

export async function imageOf(ns: string, name: string): Promise<string> {
  return kubectl('-n', ns, 'get', 'deployment', name, '-o', 'jsonpath={.spec.template.spec.containers[*].image}');
}

export interface ResultEntry {
  namespace: string;
  name: string;
  imagesBefore: Record<string, string>;
  imagesAfter: Record<string, string>;
  revisionBefore: number | null;
  revisionAfter: number | null;
  status: string;
  seconds: number;
}

export function result(r: RunResult): ResultEntry[] {
  return JSON.parse(r.outputs.result ?? '[]') as ResultEntry[];
}

/** Fails with the log when the run did not end as expected. */
export function expectExit(r: RunResult, code: number): void {
  if (r.exitCode !== code) throw new Error(`exit ${r.exitCode}, expected ${code}\n${r.log}`);
}

/** The sandbox kubeconfig with another server (plain HTTP, no CA) and optionally another token, as kubeconfig content. */
export function kubeconfigFor(server: string, token?: string): string {
  const k = parse(readFileSync(env.KUBECONFIG, 'utf8')) as {
    clusters: { cluster: Record<string, unknown> }[];
    users: { user: { token: string } }[];
  };
  const c = k.clusters[0]!.cluster;
  c.server = server;
  delete c['certificate-authority-data'];
  c['insecure-skip-tls-verify'] = true;
  if (token) k.users[0]!.user.token = token;
  return stringify(k);
}

export interface ApiProxy {
  /** Kubeconfig content that goes through the proxy. */
  kubeconfig: string;
  /** Requests the proxy answered with a fault. */
  faults: string[];
  /** Every request, `METHOD url`, in the order they came. */
  seen: string[];
  close(): Promise<void>;
}

/** What the proxy answers a request `fault` picks: by default a 500 (a fault injected between the action and the cluster). */
export interface Fault {
  code: number;
  reason: string;
  message: string;
}

/**
 * A plain-HTTP proxy in front of the sandbox API server (watches streamed through) that answers
 * `answer` (a 500 unless given) to the requests `fault` picks.
 */
export async function apiProxy(
  fault: (req: IncomingMessage) => boolean,
  answer: Fault = { code: 500, reason: 'InternalError', message: 'injected fault' },
): Promise<ApiProxy> {
  const k = parse(readFileSync(env.KUBECONFIG, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data': string } }[];
  };
  const upstream = new URL(k.clusters[0]!.cluster.server);
  const ca = Buffer.from(k.clusters[0]!.cluster['certificate-authority-data'], 'base64');
  const faults: string[] = [];
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (fault(req)) {
      faults.push(`${req.method} ${req.url}`);
      req.resume();
      res.writeHead(answer.code, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', status: 'Failure', ...answer }));
      return;
    }
    const out = httpsRequest(
      {
        host: upstream.hostname,
        port: upstream.port,
        path: req.url,
        method: req.method,
        headers: { ...req.headers, host: upstream.host },
        ca,
      },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    out.on('error', () => res.destroy());
    req.pipe(out);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    kubeconfig: kubeconfigFor(url),
    faults,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A local HTTP server for health checks: `answer` picks the status of each request; requests are recorded. */
export async function healthServer(
  answer: (req: IncomingMessage) => number,
): Promise<{ url: string; seen: IncomingMessage[]; close(): Promise<void> }> {
  const seen: IncomingMessage[] = [];
  const server = createServer((req, res) => {
    seen.push(req);
    res.writeHead(answer(req));
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/health`,
    seen,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}
