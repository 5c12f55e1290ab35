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

  test('without credentials the registry says no, in one line', async () => {
    const env = sandboxEnv();
    await expect(new RegistryClient(env.SANDBOX_REGISTRY).manifestDigest('anything', 'x')).rejects.toThrow(/the registry answered 401$/);
  });
});
