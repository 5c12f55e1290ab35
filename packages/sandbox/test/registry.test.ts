import { randomBytes } from 'node:crypto';
import { exec } from '@tripo04os/common';
import { parseImageReference, RegistryClient } from '../src/index.ts';
import { sandboxControl, sandboxEnv } from '../src/testing.ts';

const env = sandboxEnv();
const control = sandboxControl();
const client = new RegistryClient(env.SANDBOX_REGISTRY, env.SANDBOX_REGISTRY_USER, env.SANDBOX_REGISTRY_PASSWORD);
// The sandbox's registries.conf marks the loopback registry insecure (plain HTTP). Debian's
// skopeo 1.9 ignores CONTAINERS_REGISTRIES_CONF (buildah honours it), so it gets --registries-conf.
const skopeo = (args: string[]) => exec('skopeo', ['--registries-conf', env.CONTAINERS_REGISTRIES_CONF, ...args]);

test('POST /images pushes a real image that skopeo can inspect with the registry credentials', async () => {
  const repository = `svc-${randomBytes(4).toString('hex')}`;
  const pushed = await control.pushImage(repository, 'v1');
  expect(pushed.image).toBe(`${env.SANDBOX_REGISTRY}/${repository}:v1`);
  expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
  const r = await skopeo([
    'inspect',
    '--creds',
    `${env.SANDBOX_REGISTRY_USER}:${env.SANDBOX_REGISTRY_PASSWORD}`,
    `docker://${pushed.image}`,
  ]);
  expect(r.stderr).toBe('');
  const inspected = JSON.parse(r.stdout) as { Digest: string; RepoTags: string[]; Layers: string[] };
  expect(inspected.Digest).toBe(pushed.digest);
  expect(inspected.RepoTags).toEqual(['v1']);
  expect(inspected.Layers).toHaveLength(1);

  const denied = await skopeo(['inspect', '--creds', `${env.SANDBOX_REGISTRY_USER}:wrong`, `docker://${pushed.image}`]);
  expect(denied.code).not.toBe(0);
  expect(denied.stderr).toMatch(/unauthorized|authentication required/i);

  const v2 = await control.pushImage(repository, 'v2');
  expect(v2.digest).not.toBe(pushed.digest);
  expect(await client.tags(repository)).toEqual(['v1', 'v2']);
});

test('imageExists finds pushed images by tag and digest, and nothing on another host', async () => {
  const repository = `exists-${randomBytes(4).toString('hex')}`;
  const { image, digest } = await control.pushImage(repository, 'v1');
  expect(await client.imageExists(image)).toBe(true);
  expect(await client.imageExists(`${env.SANDBOX_REGISTRY}/${repository}@${digest}`)).toBe(true);
  expect(await client.imageExists(`${env.SANDBOX_REGISTRY}/${repository}:v1@${digest}`)).toBe(true);
  expect(await client.imageExists(`${env.SANDBOX_REGISTRY.replace('127.0.0.1', 'localhost')}/${repository}:v1`)).toBe(true);
  expect(await client.imageExists(`${env.SANDBOX_REGISTRY}/${repository}:missing`)).toBe(false);
  expect(await client.imageExists(`${env.SANDBOX_REGISTRY}/${repository}`)).toBe(false); // no :latest pushed
  expect(await client.imageExists(`docker.io/library/${repository}:v1`)).toBe(false);
  expect(await client.imageExists('nginx')).toBe(false);
});

test('image references are split into host, repository and tag or digest', () => {
  expect(parseImageReference('127.0.0.1:5000/team/svc:v1')).toEqual({ host: '127.0.0.1:5000', repository: 'team/svc', reference: 'v1' });
  expect(parseImageReference('127.0.0.1:5000/svc')).toEqual({ host: '127.0.0.1:5000', repository: 'svc', reference: 'latest' });
  expect(parseImageReference('r:1/svc:v1@sha256:ab')).toEqual({ host: 'r:1', repository: 'svc', reference: 'sha256:ab' });
  expect(parseImageReference('nginx')).toBeUndefined();
});

test('POST /images rejects a bad repository name', async () => {
  await expect(control.pushImage('Bad_Name', 'v1')).rejects.toMatchObject({ status: 400 });
});

test('the catalog is read page by page, as the registry allows (it refuses a page size above its maximum)', async () => {
  const names = [
    `cat-a-${randomBytes(3).toString('hex')}`,
    `cat-b-${randomBytes(3).toString('hex')}`,
    `cat-c-${randomBytes(3).toString('hex')}`,
  ];
  for (const n of names) await control.pushImage(n, 'v1');
  const whole = await client.repositories();
  expect(whole).toEqual(expect.arrayContaining(names));
  // Pages of two follow the Link header to the same list.
  expect(await client.repositories(2)).toEqual(whole);
});
