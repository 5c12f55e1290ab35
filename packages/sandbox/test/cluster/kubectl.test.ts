/**
 * The real kubectl (/usr/bin/kubectl) against the sandbox API server: the commands the issue
 * names, with the outputs and exit codes a real cluster gives.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Env, eventually, kubectl, kubectlStream, REGISTRY, startEnv } from './helpers.ts';

let env: Env;
const V1 = `${REGISTRY}/svc:v1`;
const V2 = `${REGISTRY}/svc:v2`;
const MISSING = `${REGISTRY}/svc:missing`;

beforeAll(async () => {
  env = await startEnv();
  env.images.add(V1);
  env.images.add(V2);
  env.images.add(`${REGISTRY}/crash:v1`);
});
afterAll(async () => {
  await env.close();
});

async function ok(args: string[], input?: string): Promise<string> {
  const r = await kubectl(env, args, input);
  if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return r.stdout;
}

test('create namespace, and an invalid name is refused with 422 Invalid', async () => {
  expect(await ok(['create', 'namespace', 'team-a'])).toContain('namespace/team-a created');
  const out = await ok(['get', 'namespaces']);
  expect(out).toMatch(/^NAME\s+STATUS\s+AGE/);
  expect(out).toMatch(/team-a\s+Active/);
  const bad = await kubectl(env, ['create', 'namespace', 'Bad_Name']);
  expect(bad.code).not.toBe(0);
  expect(bad.stderr).toContain('The Namespace "Bad_Name" is invalid: metadata.name: Invalid value: "Bad_Name"');
  const again = await kubectl(env, ['create', 'namespace', 'team-a']);
  expect(again.stderr).toContain('Error from server (AlreadyExists): namespaces "team-a" already exists');
});

test('a bad token is reported as Unauthorized; the sandbox token may do everything', async () => {
  const r = await kubectl(env, ['--token', 'wrong', 'get', 'pods']);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('Unauthorized');
  expect((await ok(['auth', 'can-i', 'create', 'deployments', '-n', 'kube-system'])).trim()).toBe('yes');
  expect(await ok(['version'])).toContain('Server Version: v1.32.0-sandbox');
});

test('create deployment, rollout status, failed rollout to a missing image, progress deadline, undo, history', async () => {
  await ok(['create', 'namespace', 'roll']);
  await ok(['create', 'deployment', 'web', `--image=${V1}`, '--replicas=3', '-n', 'roll']);
  const status = await ok(['rollout', 'status', 'deploy/web', '-n', 'roll', '--timeout=20s']);
  expect(status).toContain('deployment "web" successfully rolled out');
  const rs = JSON.parse(await ok(['get', 'rs', '-n', 'roll', '-o', 'json'])).items;
  expect(rs).toHaveLength(1);
  const hash = rs[0].metadata.labels['pod-template-hash'];
  expect(rs[0].metadata.name).toBe(`web-${hash}`);
  expect(rs[0].metadata.annotations['deployment.kubernetes.io/revision']).toBe('1');
  expect(rs[0].metadata.ownerReferences[0]).toMatchObject({ kind: 'Deployment', name: 'web', controller: true });

  await ok(['set', 'image', 'deploy/web', `svc=${MISSING}`, '-n', 'roll']);
  const failed = await kubectl(env, ['rollout', 'status', 'deploy/web', '-n', 'roll', '--timeout=2s']);
  expect(failed.code).not.toBe(0);
  expect(failed.stdout).toContain('1 out of 3 new replicas have been updated');
  const pods = await eventually(async () => {
    const out = await ok(['get', 'pods', '-n', 'roll']);
    return /ImagePullBackOff/.test(out) ? out : undefined;
  });
  expect(pods.match(/\s1\/1\s+Running/g)).toHaveLength(3); // the old pods stay up (maxUnavailable rounds down to 0)

  await ok(['patch', 'deploy/web', '-n', 'roll', '-p', '{"spec":{"progressDeadlineSeconds":3}}']);
  await ok(['wait', '--for=condition=Progressing=False', 'deploy/web', '-n', 'roll', '--timeout=20s']);
  expect(await ok(['get', 'deploy/web', '-n', 'roll', '-o', 'jsonpath={.status.conditions[?(@.type=="Progressing")].reason}'])).toBe(
    'ProgressDeadlineExceeded',
  );
  const exceeded = await kubectl(env, ['rollout', 'status', 'deploy/web', '-n', 'roll', '--timeout=5s']);
  expect(exceeded.code).not.toBe(0);
  expect(exceeded.stderr).toContain('deployment "web" exceeded its progress deadline');

  expect(await ok(['rollout', 'undo', 'deploy/web', '-n', 'roll'])).toContain('rolled back');
  expect(await ok(['rollout', 'status', 'deploy/web', '-n', 'roll', '--timeout=20s'])).toContain('successfully rolled out');
  expect(await ok(['get', 'deploy/web', '-n', 'roll', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toBe(V1);
  const rsAfter = JSON.parse(await ok(['get', 'rs', '-n', 'roll', '-o', 'json'])).items;
  const back = rsAfter.find((r: { metadata: { name: string } }) => r.metadata.name === `web-${hash}`);
  expect(back.metadata.annotations['deployment.kubernetes.io/revision']).toBe('3');
  expect(back.spec.replicas).toBe(3);

  const history = await ok(['rollout', 'history', 'deploy/web', '-n', 'roll']);
  expect(history).toMatch(/REVISION\s+CHANGE-CAUSE/);
  expect(history).toMatch(/^2\s+<none>/m);
  expect(history).toMatch(/^3\s+<none>/m);
  expect(history).not.toMatch(/^1\s/m);

  expect(await ok(['scale', 'deploy/web', '-n', 'roll', '--replicas=5'])).toContain('scaled');
  await ok(['rollout', 'status', 'deploy/web', '-n', 'roll', '--timeout=20s']);
  expect(await ok(['get', 'deploy/web', '-n', 'roll', '-o', 'jsonpath={.status.readyReplicas}/{.status.availableReplicas}'])).toBe('5/5');
  const events = await ok(['get', 'events', '-n', 'roll', '--field-selector', 'involvedObject.kind=Deployment']);
  expect(events).toContain('ScalingReplicaSet');
  expect(events).toContain('ProgressDeadlineExceeded');
});

test('get -w streams changes', async () => {
  await ok(['create', 'namespace', 'watching']);
  await ok(['create', 'deployment', 'live', `--image=${V2}`, '-n', 'watching']);
  await ok(['rollout', 'status', 'deploy/live', '-n', 'watching', '--timeout=20s']);
  const w = kubectlStream(env, ['get', 'pods', '-n', 'watching', '-w']);
  try {
    const first = (await w.waitFor(/^live-\w+-\w+\s+1\/1\s+Running/)).split(/\s+/)[0];
    await ok(['scale', 'deploy/live', '-n', 'watching', '--replicas=2']);
    const added = (await w.waitFor(new RegExp(`^(?!${first})live-\\w+-\\w+\\s+0/1\\s+(Pending|ContainerCreating|Running)`))).split(
      /\s+/,
    )[0];
    await w.waitFor(new RegExp(`^${added}\\s+1/1\\s+Running`));
    expect(w.lines[0]).toMatch(/^NAME\s+READY\s+STATUS\s+RESTARTS\s+AGE/);
  } finally {
    w.stop();
  }
});

test('create secret generic', async () => {
  expect(await ok(['create', 'secret', 'generic', 'creds', '--from-literal=user=admin', '--from-literal=password=s3cret'])).toContain(
    'secret/creds created',
  );
  const data = JSON.parse(await ok(['get', 'secret', 'creds', '-o', 'jsonpath={.data}']));
  expect(Buffer.from(data.password, 'base64').toString()).toBe('s3cret');
  expect(await ok(['get', 'secret', 'creds'])).toMatch(/creds\s+Opaque\s+2/);
});

function stack(mode: string, image: string): string {
  return `apiVersion: v1
kind: Namespace
metadata:
  name: shop
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: shop
data:
  MODE: ${mode}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: cart
  namespace: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: cart}
  template:
    metadata:
      labels: {app: cart}
    spec:
      containers:
      - name: cart
        image: ${image}
        ports: [{containerPort: 8080}]
        envFrom: [{configMapRef: {name: settings}}]
---
apiVersion: v1
kind: Service
metadata:
  name: cart
  namespace: shop
spec:
  selector: {app: cart}
  ports: [{port: 80, targetPort: 8080}]
`;
}

test('apply -f client side, then --server-side, of a Namespace, ConfigMap, Deployment and Service', async () => {
  const file = join(env.dir, 'stack.yaml');
  await writeFile(file, stack('production', V1));
  const first = await ok(['apply', '-f', file]);
  expect(first).toContain('namespace/shop created');
  expect(first).toContain('configmap/settings created');
  expect(first).toContain('deployment.apps/cart created');
  expect(first).toContain('service/cart created');
  await ok(['rollout', 'status', 'deploy/cart', '-n', 'shop', '--timeout=20s']);
  const again = await ok(['apply', '-f', file]);
  expect(again).toContain('deployment.apps/cart unchanged');

  await writeFile(file, stack('staging', V2));
  const second = await ok(['apply', '-f', file]);
  expect(second).toContain('configmap/settings configured');
  expect(second).toContain('deployment.apps/cart configured');
  await ok(['rollout', 'status', 'deploy/cart', '-n', 'shop', '--timeout=20s']);
  expect(await ok(['get', 'cm', 'settings', '-n', 'shop', '-o', 'jsonpath={.data.MODE}'])).toBe('staging');

  await writeFile(file, stack('canary', V1));
  const ssa = await ok(['apply', '--server-side', '--force-conflicts', '-f', file]);
  expect(ssa).toContain('deployment.apps/cart serverside-applied');
  await ok(['rollout', 'status', 'deploy/cart', '-n', 'shop', '--timeout=20s']);
  const d = JSON.parse(await ok(['get', 'deploy', 'cart', '-n', 'shop', '-o', 'json', '--show-managed-fields']));
  expect(d.spec.template.spec.containers[0].image).toBe(V1);
  expect(d.metadata.managedFields).toEqual(expect.arrayContaining([expect.objectContaining({ manager: 'kubectl', operation: 'Apply' })]));
  expect(await ok(['get', 'cm', 'settings', '-n', 'shop', '-o', 'jsonpath={.data.MODE}'])).toBe('canary');
  expect(env.server.services()).toEqual(expect.arrayContaining([expect.objectContaining({ namespace: 'shop', name: 'cart' })]));
});

test('logs --previous of a crash-looping pod', async () => {
  env.server.behaviours.set({ image: `${REGISTRY}/crash`, crashLoop: true });
  await ok(['run', 'crashy', `--image=${REGISTRY}/crash:v1`]);
  await eventually(
    async () => Number(await ok(['get', 'pod', 'crashy', '-o', 'jsonpath={.status.containerStatuses[0].restartCount}'])) >= 2,
    20_000,
    'restarts',
  );
  const pods = await ok(['get', 'pods', 'crashy']);
  expect(pods).toMatch(/crashy\s+0\/1\s+(CrashLoopBackOff|Running)\s+[2-9]/);
  const prev = await ok(['logs', 'crashy', '--previous']);
  expect(prev).toMatch(/starting .*crash:v1/);
  expect(prev).toContain('fatal: the application exited with an error');
  expect((await ok(['logs', 'crashy', '--previous', '--tail=1'])).trim().split('\n')).toHaveLength(1);
  const last = JSON.parse(await ok(['get', 'pod', 'crashy', '-o', 'jsonpath={.status.containerStatuses[0].lastState}']));
  expect(last.terminated).toMatchObject({ exitCode: 1, reason: 'Error' });

  // with restartPolicy Never the pod fails instead of restarting
  await ok(['run', 'once', '--restart=Never', `--image=${REGISTRY}/crash:v1`]);
  await eventually(
    async () => (await ok(['get', 'pod', 'once', '-o', 'jsonpath={.status.phase}'])) === 'Failed',
    20_000,
    'pod once Failed',
  );
  expect(await ok(['get', 'pod', 'once'])).toMatch(/once\s+0\/1\s+Error\s+0/);
  expect(await ok(['logs', 'once'])).toContain('fatal: the application exited with an error');
});
