/**
 * The registry client against the sandbox's real registry (Debian's docker-registry, basic auth,
 * plain HTTP on loopback): the digest the action reads back when a builder does not report one.
 */
import { describe, expect, test } from '@jest/globals';
import { sandboxControl, sandboxEnv } from '@tripo04os/sandbox/testing';
import { clientFor, RegistryClient } from '../src/index.ts';

describe('RegistryClient against the sandbox registry', () => {
  test('manifest digest and tag list of a pushed image', async () => {
    const env = sandboxEnv();
    const repo = `registry-client-${Date.now().toString(36)}`;
    const pushed = await sandboxControl().pushImage(repo, '1.0.0');
    const { client, repository } = clientFor(`${env.SANDBOX_REGISTRY}/${repo}`, {
      credentials: { username: env.SANDBOX_REGISTRY_USER, password: env.SANDBOX_REGISTRY_PASSWORD },
    });
    expect(repository).toBe(repo);
    expect(await client.manifestDigest(repository, '1.0.0')).toBe(pushed.digest);
    expect(await client.manifestDigest(repository, 'missing')).toBeUndefined();
    expect(await client.listTags(repository)).toEqual(['1.0.0']);
  });

  test('a tag moved by digest: the manifest read as stored and put under another tag, nothing uploaded', async () => {
    const env = sandboxEnv();
    const repo = `registry-move-${Date.now().toString(36)}`;
    const pushed = await sandboxControl().pushImage(repo, 'sha-1234567');
    const { client, repository } = clientFor(`${env.SANDBOX_REGISTRY}/${repo}`, {
      credentials: { username: env.SANDBOX_REGISTRY_USER, password: env.SANDBOX_REGISTRY_PASSWORD },
    });
    const manifest = await client.getManifest(repository, pushed.digest);
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(await client.putManifest(repository, 'main', manifest)).toBe(pushed.digest);
    expect(await client.manifestDigest(repository, 'main')).toBe(pushed.digest);
    expect((await client.listTags(repository)).sort()).toEqual(['main', 'sha-1234567']);
    // A manifest the registry refuses (its blobs are unknown in this repository) fails in one line.
    await expect(client.putManifest(`${repository}-other`, 'main', manifest)).rejects.toThrow(
      /^moving .+:main: the registry answered 400 \(MANIFEST_BLOB_UNKNOWN/,
    );
  });

  test('without credentials the registry says no, in one line', async () => {
    const env = sandboxEnv();
    await expect(new RegistryClient(env.SANDBOX_REGISTRY).manifestDigest('anything', 'x')).rejects.toThrow(/the registry answered 401$/);
  });
});
