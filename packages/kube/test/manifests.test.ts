import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { parseImages } from '../src/images.ts';
import {
  applyOrder,
  defaultNamespace,
  loadManifests,
  manifestContainers,
  objectPath,
  parseManifests,
  substituteEnv,
  substituteImages,
} from '../src/manifests.ts';

const deployment = (name: string, image: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: ${name}
spec:
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      containers:
        - name: app
          image: ${image}
`;

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'manifests-'));
  await mkdir(join(dir, 'k8s/base'), { recursive: true });
  await writeFile(join(dir, 'k8s/base/deploy.yaml'), deployment('ai-support', 'reg.example.com/ai-support:old'));
  await writeFile(
    join(dir, 'k8s/base/all.yml'),
    `apiVersion: v1
kind: Service
metadata: { name: ai-support }
spec: { selector: { app: ai-support }, ports: [{ port: 80 }] }
---
# an empty document is skipped
---
apiVersion: v1
kind: Namespace
metadata: { name: tripo04os-staging }
---
apiVersion: v1
kind: ConfigMap
metadata: { name: app-config, namespace: tripo04os-staging }
data: { LOG_LEVEL: INFO }
`,
  );
  await writeFile(
    join(dir, 'k8s/env.yaml'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: env\ndata:\n  URL: "${API_URL}"\n  LITERAL: "$${KEEP}"\n',
  );
  await writeFile(join(dir, 'bad.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: [1, 2\n  b: 3\n');
  await writeFile(
    join(dir, 'ingress.yaml'),
    `${deployment('x', 'x:1')}---\napiVersion: networking.k8s.io/v1\nkind: Ingress\nmetadata: { name: web }\n`,
  );
  await writeFile(join(dir, 'notes.txt'), 'not yaml');
});

describe('loadManifests', () => {
  it('reads folders and globs, multi-document files, skipping empty documents', async () => {
    const objs = await loadManifests(['k8s/base'], { cwd: dir });
    expect(objs.map((o) => `${o.object.kind}/${o.object.metadata.name}@${o.file}:${o.line}`)).toEqual([
      'Service/ai-support@k8s/base/all.yml:1',
      'Namespace/tripo04os-staging@k8s/base/all.yml:8',
      'ConfigMap/app-config@k8s/base/all.yml:12',
      'Deployment/ai-support@k8s/base/deploy.yaml:1',
    ]);
    const globbed = await loadManifests(['k8s/**/*.yaml'], { cwd: dir, substitute: true, env: { API_URL: 'https://api' } });
    expect(globbed.map((o) => o.object.metadata.name).sort()).toEqual(['ai-support', 'env']);
  });

  it('orders objects Namespace, ServiceAccount/ConfigMap/Secret, Service, Deployment', async () => {
    const objs = await loadManifests(['k8s/base'], { cwd: dir });
    expect(applyOrder(objs).map((w) => w.map((o) => o.object.kind))).toEqual([['Namespace'], ['ConfigMap'], ['Service'], ['Deployment']]);
  });

  it('names the file and line of a YAML alias bomb instead of expanding it', async () => {
    const lines = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: bomb}',
      'data:',
      `  a: &a [${Array(9).fill('"lol"').join(', ')}]`,
    ];
    for (const [level, prev] of [...'bcdefghi'].map((l, n) => [l, 'abcdefgh'[n]]))
      lines.push(`  ${level}: &${level} [${Array(9).fill(`*${prev}`).join(', ')}]`);
    await expect(parseManifests(lines.join('\n'), 'bomb.yaml')).rejects.toThrow(
      'bomb.yaml:1: YAML error: Excessive alias count indicates a resource exhaustion attack',
    );
  });

  it('names the file and line of a YAML error', async () => {
    await expect(loadManifests(['bad.yaml'], { cwd: dir })).rejects.toThrow(/^bad\.yaml:7: YAML error: /);
  });

  it('rejects unknown kinds with file and line', async () => {
    await expect(loadManifests(['ingress.yaml'], { cwd: dir })).rejects.toThrow(
      /^ingress\.yaml:14: unknown kind networking\.k8s\.io\/v1 Ingress: this action applies v1 Namespace/,
    );
  });

  it('rejects missing files and globs that match nothing, naming the input', async () => {
    await expect(loadManifests(['nope.yaml'], { cwd: dir })).rejects.toThrow("Input 'manifests' has the value 'nope.yaml'");
    await expect(loadManifests(['*.json'], { cwd: dir })).rejects.toThrow("Input 'manifests' has the value '*.json'");
  });

  it('substitutes ${VAR} only when asked, keeps $${VAR}, and names unset variables with file and line', async () => {
    const plain = await loadManifests(['k8s/env.yaml'], { cwd: dir });
    expect(plain[0]?.object.data).toEqual({ URL: '${API_URL}', LITERAL: '$${KEEP}' });
    const subst = await loadManifests(['k8s/env.yaml'], { cwd: dir, substitute: true, env: { API_URL: 'https://api' } });
    expect(subst[0]?.object.data).toEqual({ URL: 'https://api', LITERAL: '${KEEP}' });
    await expect(loadManifests(['k8s/env.yaml'], { cwd: dir, substitute: true, env: {} })).rejects.toThrow(
      'k8s/env.yaml:6: ${API_URL} is used but API_URL is not set in the environment',
    );
    expect(substituteEnv('a: ${A}', { A: 'x' }, 'f')).toBe('a: x');
  });

  it('rejects the same object twice', async () => {
    await writeFile(join(dir, 'dup.yaml'), `${deployment('d', 'a:1')}---\n${deployment('d', 'a:2')}`);
    await expect(loadManifests(['dup.yaml'], { cwd: dir })).rejects.toThrow('dup.yaml:14: Deployment d is also defined at dup.yaml:1');
  });
});

describe('manifest objects', () => {
  it('replaces images whose repository matches an images entry, and only those', async () => {
    const objs = await parseManifests(`${deployment('a', 'reg.example.com/ai-support:old')}---\n${deployment('b', 'nginx:1')}`, 'm.yaml');
    const n = substituteImages(objs, parseImages(['whatever=reg.example.com/ai-support:new']));
    expect(n).toBe(1);
    expect(manifestContainers(objs[0]!.object).containers[0]?.image).toBe('reg.example.com/ai-support:new');
    expect(manifestContainers(objs[1]!.object).containers[0]?.image).toBe('nginx:1');
  });

  it('defaults the namespace of namespaced objects only', async () => {
    const objs = await parseManifests(
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: n}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: s}\n',
      'f',
    );
    defaultNamespace(objs, 'staging');
    expect(objs.map((o) => o.object.metadata.namespace)).toEqual([undefined, 'staging']);
  });

  it('knows where each kind lives', () => {
    expect(objectPath('Deployment', 'ns', 'api')).toBe('/apis/apps/v1/namespaces/ns/deployments/api');
    expect(objectPath('Namespace', undefined, 'ns')).toBe('/api/v1/namespaces/ns');
    expect(objectPath('Secret', 'ns')).toBe('/api/v1/namespaces/ns/secrets');
  });

  it('reads a v1 List as its items', async () => {
    const objs = await parseManifests(
      'apiVersion: v1\nkind: List\nitems:\n  - apiVersion: v1\n    kind: ConfigMap\n    metadata: {name: a}\n',
      'l.yaml',
    );
    expect(objs.map((o) => o.object.metadata.name)).toEqual(['a']);
  });
});
