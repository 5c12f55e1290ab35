import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import {
  isValidImageName,
  isValidRepositoryName,
  parseWwwAuthenticate,
  RegistryClient,
  registryOf,
  repositoryPathOf,
} from '../src/index.ts';

// A registry stand-in on loopback speaking the distribution API's auth handshake: basic auth on
// /basic/*, bearer tokens (with a token endpoint) on everything else.
const DIGEST = `sha256:${'c'.repeat(64)}`;
const requests: { method: string; url: string; auth?: string; accept?: string }[] = [];
let failNext = 0;
let server: Server;
let host: string;

function basicOk(req: IncomingMessage) {
  return req.headers.authorization === `Basic ${Buffer.from('user:secret').toString('base64')}`;
}

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', auth: req.headers.authorization, accept: req.headers.accept });
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/v2/') return res.writeHead(401).end();
    if (url.pathname === '/token') {
      if (!basicOk(req)) return res.writeHead(401).end();
      return res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token: `tok-${url.searchParams.get('scope')}` }));
    }
    if (failNext > 0) {
      failNext--;
      return res.writeHead(503, { 'retry-after': '0' }).end();
    }
    const basic = url.pathname.startsWith('/v2/basic/');
    const authorized = basic ? basicOk(req) : req.headers.authorization?.startsWith('Bearer tok-repository:');
    if (!authorized) {
      const challenge = basic
        ? 'Basic realm="registry"'
        : `Bearer realm="http://${host}/token",service="stand-in",scope="repository:${url.pathname.split('/')[2]}:pull"`;
      return res.writeHead(401, { 'www-authenticate': challenge }).end();
    }
    if (url.pathname.endsWith('/manifests/missing')) return res.writeHead(404).end();
    if (url.pathname.includes('/manifests/')) return res.writeHead(200, { 'docker-content-digest': DIGEST }).end();
    if (url.pathname.endsWith('/tags/list')) {
      if (!url.searchParams.get('last')) {
        return res
          .writeHead(200, { link: `</v2/app/tags/list?n=2&last=b>; rel="next"`, 'content-type': 'application/json' })
          .end(JSON.stringify({ name: 'app', tags: ['a', 'b'] }));
      }
      return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ name: 'app', tags: ['c'] }));
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  return new Promise<void>((r) => server.close(() => r()));
});

const credentials = { username: 'user', password: 'secret' };

describe('RegistryClient', () => {
  test('bearer token flow, Accept for docker v2 and OCI manifests', async () => {
    requests.length = 0;
    const c = new RegistryClient(host, { credentials });
    expect(await c.manifestDigest('app', '1.2.3')).toBe(DIGEST);
    const head = requests.filter((r) => r.method === 'HEAD');
    expect(head.at(-1)?.auth).toBe('Bearer tok-repository:app:pull');
    expect(head.at(-1)?.accept).toContain('application/vnd.docker.distribution.manifest.v2+json');
    expect(head.at(-1)?.accept).toContain('application/vnd.oci.image.manifest.v1+json');
    expect(requests.find((r) => r.url.startsWith('/token'))?.auth).toMatch(/^Basic /);
  });

  test('basic auth when the registry asks for it', async () => {
    const c = new RegistryClient(host, { credentials });
    expect(await c.manifestDigest('basic/app', 'x')).toBe(DIGEST);
  });

  test('a missing tag is undefined', async () => {
    expect(await new RegistryClient(host, { credentials }).manifestDigest('app', 'missing')).toBeUndefined();
  });

  test('transient 503 answers are retried', async () => {
    failNext = 2;
    expect(await new RegistryClient(host, { credentials }).manifestDigest('app', '1')).toBe(DIGEST);
    expect(failNext).toBe(0);
  });

  test('wrong credentials fail with one line', async () => {
    await expect(
      new RegistryClient(host, { credentials: { username: 'user', password: 'nope' } }).manifestDigest('basic/app', 'x'),
    ).rejects.toThrow(`reading the digest of ${host}/basic/app:x: the registry answered 401`);
  });

  test('tag list follows Link pages', async () => {
    expect(await new RegistryClient(host, { credentials }).listTags('app')).toEqual(['a', 'b', 'c']);
  });
});

describe('names', () => {
  test('parseWwwAuthenticate', () => {
    expect(
      parseWwwAuthenticate('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/x:pull"'),
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/x:pull' },
    });
  });
  test.each([
    ['tripo04os-ai-support', true],
    ['team/ai_support.v2', true],
    ['a', false],
    ['Tripo04os', false],
    ['bad//name', false],
    ['-lead', false],
    ['name:tag', false],
  ])('ECR repository name %s', (name, ok) => {
    expect(isValidRepositoryName(name)).toBe(ok);
  });
  test.each([
    ['ghcr.io/tripo04os/app', true],
    ['127.0.0.1:5000/app', true],
    ['app', true],
    ['Ghcr.io/org/app', true],
    ['ghcr.io/Org/app', false],
    ['ghcr.io/org/app:tag', false],
  ])('image name %s', (name, ok) => {
    expect(isValidImageName(name)).toBe(ok);
  });
  test.each([
    ['ghcr.io/o/app', 'ghcr.io', 'o/app'],
    ['127.0.0.1:5000/app', '127.0.0.1:5000', 'app'],
    ['localhost/app', 'localhost', 'app'],
    ['nginx', 'docker.io', 'library/nginx'],
    ['me/app', 'docker.io', 'me/app'],
  ])('registry of %s', (image, reg, path) => {
    expect(registryOf(image)).toBe(reg);
    expect(repositoryPathOf(image)).toBe(path);
  });
});
