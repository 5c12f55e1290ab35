import { randomBytes } from 'node:crypto';
import { exec, retry } from '@tripo04os/common';
import { sandboxControl, sandboxEnv } from '../src/testing.ts';

const env = sandboxEnv();
const control = sandboxControl();
const kubectl = (args: string[], input?: string) =>
  exec('kubectl', ['--kubeconfig', env.KUBECONFIG, ...args], input === undefined ? {} : { input });

test('the real kubectl with DIR/kubeconfig reaches the API server (CA embedded, sandbox token)', async () => {
  const r = await kubectl(['get', 'namespaces', '-o', 'name']);
  expect(r.stderr).toBe('');
  expect(r.stdout.split('\n')).toEqual(expect.arrayContaining(['namespace/default', 'namespace/kube-system']));
  const anonymous = await exec('kubectl', ['--kubeconfig', env.KUBECONFIG, '--token', 'wrong', 'get', 'namespaces']);
  expect(anonymous.code).not.toBe(0);
  expect(anonymous.stderr).toMatch(/Unauthorized|must be logged in/);
});

test('control /behaviours and /services delegate to the API server', async () => {
  const ns = `ctl-${randomBytes(3).toString('hex')}`;
  const { image } = await control.pushImage(`behave-${ns}`, 'v1');
  await control.setBehaviour({ image, readyDelayMs: 50, healthStatus: 200, version: '9.9.9' });
  expect(await control.behaviours()).toEqual(expect.arrayContaining([expect.objectContaining({ image, version: '9.9.9' })]));
  const manifest = `apiVersion: v1
kind: Namespace
metadata: {name: ${ns}}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: ${ns}}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: "${image}"}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: ${ns}}
spec: {selector: {app: web}, ports: [{port: 80}]}
`;
  const applied = await kubectl(['apply', '--validate=false', '-f', '-'], manifest);
  expect(applied.stderr).toBe('');
  const rollout = await kubectl(['rollout', 'status', '-n', ns, 'deployment/web', '--timeout=30s']);
  expect(rollout.stdout).toContain('successfully rolled out');
  // The Service's loopback port opens just after the Service is stored.
  const { value: service } = await retry(
    async () => {
      const found = (await control.services()).find((s) => s.namespace === ns && s.name === 'web');
      if (!found) throw new Error(`no URL for service ${ns}/web yet`);
      return found;
    },
    { attempts: 8, baseDelayMs: 50 },
  );
  expect(service?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  const health = await fetch(`${service?.url}/health`);
  expect(health.status).toBe(200);
  expect(await health.json()).toMatchObject({ image, version: '9.9.9' });
  await kubectl(['delete', 'namespace', ns, '--wait=false']);
});
