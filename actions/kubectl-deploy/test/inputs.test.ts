import { readFileSync } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { leaks, runAction } from '@tripo04os/kit/harness';
import { parse, stringify } from 'yaml';
import { actionDir, awsEnv, cluster, deployAction, env, expectExit, kubectl, kubectlApply, pushImages, unique } from './helpers.ts';

/** Bad input and access errors: one line each, before anything in the cluster changes. */
describe('bad input and access errors', () => {
  let ns: string;
  let v1: string;
  let v2: string;
  let dir: string;
  let rvBefore: string;
  let forbidden: Server;
  let forbiddenUrl: string;
  const kubeconfig = parse(readFileSync(env.KUBECONFIG, 'utf8')) as {
    clusters: { cluster: { server: string; 'certificate-authority-data'?: string } }[];
    users: { user: { token: string } }[];
  };
  const withServer = (server: string, token?: string, ca = true) => {
    const k = structuredClone(kubeconfig);
    const c = k.clusters[0]!.cluster;
    c.server = server;
    if (!ca) {
      delete c['certificate-authority-data'];
      (c as Record<string, unknown>)['insecure-skip-tls-verify'] = true;
    }
    if (token) k.users[0]!.user.token = token;
    return stringify(k);
  };

  beforeAll(async () => {
    ns = unique('kd-inputs');
    [v1, v2] = (await pushImages('kd-inputs', 'v1', 'v2')) as [string, string];
    await cluster(ns, { api: v1 });
    await kubectlApply(`apiVersion: apps/v1
kind: Deployment
metadata: { name: two, namespace: ${ns} }
spec:
  selector: { matchLabels: { app: two } }
  template:
    metadata: { labels: { app: two } }
    spec:
      containers:
        - { name: web, image: ${v1} }
        - { name: proxy, image: ${env.SANDBOX_REGISTRY}/envoy:1 }
`);
    rvBefore = await kubectl('-n', ns, 'get', 'deployment', 'api', '-o', 'jsonpath={.metadata.resourceVersion}');
    dir = await mkdtemp(join(tmpdir(), 'kd-inputs-'));
    await writeFile(join(dir, 'broken.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  key: a: b\n  other: c\n');
    // A "billion laughs": nine aliases of nine aliases, eight levels deep (issue 10, item 13).
    const bomb = ['apiVersion: v1', 'kind: ConfigMap', 'metadata: {name: ok}', '---', 'apiVersion: v1', 'kind: ConfigMap'];
    bomb.push('metadata: {name: bomb}', 'data:', `  a: &a [${Array(9).fill('"lol"').join(', ')}]`);
    for (const [level, prev] of ['b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].map((l, n) => [l, 'abcdefgh'[n]])) {
      bomb.push(`  ${level}: &${level} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    }
    await writeFile(join(dir, 'bomb.yaml'), `${bomb.join('\n')}\n`);
    await writeFile(
      join(dir, 'ingress.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: {name: web}\n',
    );
    forbidden = createServer((_req, res) => {
      res.writeHead(403, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          kind: 'Status',
          apiVersion: 'v1',
          status: 'Failure',
          reason: 'Forbidden',
          code: 403,
          message: `deployments.apps "api" is forbidden: User "ci-deployer" cannot get resource "deployments" in API group "apps" in the namespace "${ns}"`,
        }),
      );
    });
    await new Promise<void>((r) => forbidden.listen(0, '127.0.0.1', r));
    forbiddenUrl = `http://127.0.0.1:${(forbidden.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((r) => forbidden.close(r));
    // Nothing above changed the Deployment.
    expect(await kubectl('-n', ns, 'get', 'deployment', 'api', '-o', 'jsonpath={.metadata.resourceVersion}')).toBe(rvBefore);
  });

  const cases: [string, () => Record<string, string | number | boolean>, RegExp | string][] = [
    [
      'a malformed images line',
      () => ({ images: `api ${v2}` }),
      `Input 'images' has the value 'api ${env.SANDBOX_REGISTRY}/kd-inputs:v2': expected lines of the form deployment=image`,
    ],
    [
      'an invalid image reference',
      () => ({ images: `api=${v2}\napi-2=Registry/API:v2` }),
      "'Registry/API:v2' is not a valid image reference",
    ],
    [
      'an unknown Deployment',
      () => ({ images: `api=${v2}\nnope=${v2}` }),
      /^Deployment 'nope' not found in namespace 'kd-inputs-[0-9a-f]+' \(input 'images'\)$/,
    ],
    [
      'an unknown namespace',
      () => ({ images: `api=${v2}`, namespace: 'no-such-namespace' }),
      "Namespace 'no-such-namespace' does not exist (input 'namespace')",
    ],
    [
      'an ambiguous container',
      () => ({ images: `api=${v2}\ntwo=${env.SANDBOX_REGISTRY}/other:2` }),
      "Deployment 'two' has containers web, proxy and none runs",
    ],
    ['a YAML error, with file and line', () => ({ images: `api=${v2}`, manifests: 'broken.yaml' }), /^broken\.yaml:6: YAML error: /],
    [
      'a YAML alias bomb, with file and line (issue 10, item 13)',
      () => ({ images: `api=${v2}`, manifests: 'bomb.yaml' }),
      /^bomb\.yaml:5: YAML error: Excessive alias count/,
    ],
    [
      'an unknown kind, with file and line',
      () => ({ images: `api=${v2}`, manifests: 'ingress.yaml' }),
      /^ingress\.yaml:5: unknown kind networking\.k8s\.io\/v1 Ingress/,
    ],
    [
      'a missing secret variable',
      () => ({ images: `api=${v2}`, secret: 's', 'secret-env': 'NOT_SET_ANYWHERE' }),
      "Input 'secret-env' has the value 'NOT_SET_ANYWHERE'",
    ],
    [
      'an unknown EKS cluster',
      () => ({ images: `api=${v2}`, 'cluster-name': 'tripo04os-nowhere' }),
      "unknown EKS cluster 'tripo04os-nowhere' in region us-east-1",
    ],
    ['a bad timeout', () => ({ images: `api=${v2}`, timeout: 'soon' }), "Input 'timeout' has the value 'soon': expected a duration"],
    [
      'a bad health-check-expect',
      () => ({ images: `api=${v2}`, 'health-check-expect': '2xx' }),
      "Input 'health-check-expect' has the value '2xx'",
    ],
    [
      'an inverted health-check-expect, refused before anything changes (issue 10, item 1)',
      () => ({ images: `api=${v2}`, 'health-check-url': 'http://127.0.0.1:9/health', 'health-check-expect': '300-200' }),
      "Input 'health-check-expect' has the value '300-200': expected a range with the low end first, such as 200-300",
    ],
    [
      'an unknown strategy',
      () => ({ images: `api=${v2}`, strategy: 'canary' }),
      "Input 'strategy' has the value 'canary': expected one of rolling, blue-green",
    ],
  ];

  it.each(cases)('%s', async (_name, inputs, message) => {
    const r = await runAction({
      action: actionDir,
      cwd: dir,
      inputs: { 'cluster-name': env.SANDBOX_EKS_CLUSTER, namespace: ns, ...inputs() },
      env: awsEnv,
      timeoutMs: 60_000,
    });
    expectExit(r, 1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(message); // a string: contained; a RegExp: matched
    expect(r.errors[0]).not.toContain('\n');
    expect(leaks(r, env.AWS_SECRET_ACCESS_KEY)).toEqual([]);
  });

  it('no AWS credentials: one line saying what to run, though the token is signed beside DescribeCluster', async () => {
    const home = await mkdtemp(join(tmpdir(), 'kd-no-creds-'));
    const r = await runAction({
      action: actionDir,
      inputs: { 'cluster-name': env.SANDBOX_EKS_CLUSTER, namespace: ns, images: `api=${v2}` },
      env: {
        ...awsEnv,
        AWS_ACCESS_KEY_ID: undefined,
        AWS_SECRET_ACCESS_KEY: undefined,
        AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
        AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
        AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
        // Only loopback in tests: no instance metadata, and no shared files to find.
        AWS_EC2_METADATA_DISABLED: 'true',
        HOME: home,
        AWS_CONFIG_FILE: join(home, 'config'),
        AWS_SHARED_CREDENTIALS_FILE: join(home, 'credentials'),
      },
      timeoutMs: 60_000,
    });
    expectExit(r, 1);
    expect(r.errors).toEqual([
      'No AWS credentials found: run aws-actions/configure-aws-credentials (role-to-assume with OIDC, or access keys) before this step',
    ]);
    expect(r.log).not.toMatch(/Unhandled|UnhandledPromiseRejection/);
  });

  it('an unreachable API server', async () => {
    // A port nothing listens on: take a free one and close it again.
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const r = await runAction({
      action: actionDir,
      inputs: { kubeconfig: withServer(`https://127.0.0.1:${port}`), namespace: ns, images: `api=${v2}` },
      env: { KUBECONFIG: undefined },
    });
    expectExit(r, 1);
    expect(r.errors).toEqual([`Cannot reach the Kubernetes API server at https://127.0.0.1:${port}: ECONNREFUSED`]);
  });

  it('401: names the identity whose credentials were rejected and gives credential advice, not RBAC (issue 10, item 17)', async () => {
    const server = kubeconfig.clusters[0]!.cluster.server;
    const r = await runAction({
      action: actionDir,
      inputs: { kubeconfig: withServer(server, 'sandbox-wrong-token'), namespace: ns, images: `api=${v2}` },
      env: { KUBECONFIG: undefined },
    });
    expectExit(r, 1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain(
      `The Kubernetes API server at ${server} rejected the credentials of user 'sandbox-admin' of kubeconfig context 'sandbox' (401 Unauthorized)`,
    );
    expect(r.errors[0]).toContain(
      "check that the kubeconfig user's token, client certificate or exec plugin is current (not expired or revoked) and meant for this cluster",
    );
    expect(r.errors[0]).not.toMatch(/RBAC|aws-auth/); // permissions are 403's advice
    expect(leaks(r, 'sandbox-wrong-token')).toEqual([]);
  });

  it('403: names the identity that was denied and what to check', async () => {
    const r = await runAction({
      action: actionDir,
      inputs: { kubeconfig: withServer(forbiddenUrl, undefined, false), namespace: ns, images: `api=${v2}` },
      env: { KUBECONFIG: undefined },
    });
    expectExit(r, 1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toContain("user 'sandbox-admin' of kubeconfig context 'sandbox' is not allowed to get deployments in namespace");
    expect(r.errors[0]).toContain('User "ci-deployer" cannot get resource "deployments"');
    expect(r.errors[0]).toContain('check the RBAC bindings of that user (and, on EKS, its access entry or the aws-auth ConfigMap)');
    expect(r.errors[0]).not.toContain('expired'); // credentials are 401's advice
    expect(leaks(r, kubeconfig.users[0]!.user.token)).toEqual([]);
  });

  it('no access configured at all', async () => {
    const r = await runAction({
      action: actionDir,
      inputs: { images: `api=${v2}` },
      env: { KUBECONFIG: undefined, AWS_REGION: undefined },
    });
    expectExit(r, 1);
    expect(r.errors).toEqual([
      "Input 'cluster-name' has no value: set cluster-name (EKS), kubeconfig, or the KUBECONFIG environment variable",
    ]);
  });

  it('runs with the KUBECONFIG file and a context, too', async () => {
    const r = await deployAction(
      { 'cluster-name': '', context: 'sandbox', namespace: ns, images: `api=${v1}`, annotate: false },
      { KUBECONFIG: env.KUBECONFIG },
    );
    expectExit(r, 0);
    expect(r.outputs.result).toContain('"status":"unchanged"');
    const bad = await deployAction(
      { 'cluster-name': '', context: 'prod', namespace: ns, images: `api=${v1}` },
      { KUBECONFIG: env.KUBECONFIG },
    );
    expectExit(bad, 1);
    expect(bad.errors).toEqual(["Input 'context' has the value 'prod': expected one of the kubeconfig's contexts (sandbox)"]);
  });
});
