import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { escapeUri, verifySigV4 } from '../src/aws/sigv4.ts';

const credentials = { accessKeyId: 'AKIASANDBOXTEST00001', secretAccessKey: 'sandbox-secret' };
const signer = (service = 'eks', secretAccessKey = credentials.secretAccessKey) =>
  new SignatureV4({ credentials: { ...credentials, secretAccessKey }, region: 'us-east-1', service, sha256: Sha256 });

/** What goes on the wire for a signed HttpRequest (as @smithy/node-http-handler builds it). */
function wire(req: HttpRequest) {
  const rawQuery = Object.entries(req.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${escapeUri(k)}=${escapeUri(x)}`) : [`${escapeUri(k)}=${escapeUri(String(v))}`]))
    .join('&');
  const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), v]));
  return { method: req.method, rawPath: req.path, rawQuery, headers, body: Buffer.from((req.body as string | undefined) ?? '') };
}

const request = (over: Partial<ConstructorParameters<typeof HttpRequest>[0]> = {}) =>
  new HttpRequest({
    method: 'GET',
    protocol: 'http:',
    hostname: '127.0.0.1',
    port: 4566,
    path: '/clusters/my%20cluster/a.b',
    query: { x: 'a b', y: ['2', '1'], 'z*': "it's ~ok" },
    headers: { host: '127.0.0.1:4566', 'x-custom': '  spaced   value ' },
    ...over,
  });

test('requests signed by the AWS SDK signer verify, with encoded paths, repeated and odd query values', async () => {
  const signed = (await signer().sign(request())) as HttpRequest;
  expect(verifySigV4(wire(signed), credentials)).toMatchObject({
    ok: true,
    service: 'eks',
    region: 'us-east-1',
    accessKeyId: credentials.accessKeyId,
  });
  const post = (await signer('ecr').sign(
    request({
      method: 'POST',
      path: '/',
      query: {},
      body: '{"a":1}',
      headers: { host: '127.0.0.1:4566', 'content-type': 'application/x-amz-json-1.1' },
    }),
  )) as HttpRequest;
  expect(verifySigV4(wire(post), credentials)).toMatchObject({ ok: true, service: 'ecr' });
});

test('a changed body, path, query or header, a wrong key, an old date or no signature fail', async () => {
  const post = (await signer('ecr').sign(request({ method: 'POST', path: '/', query: {}, body: '{"a":1}' }))) as HttpRequest;
  const ok = wire(post);
  expect(verifySigV4(ok, credentials).ok).toBe(true);
  // Without an x-amz-content-sha256 header (the SDK service clients send none) the body is hashed.
  const noHashHeader = wire(
    (await signer('ecr').sign(request({ method: 'POST', path: '/', query: {}, body: '{"a":1}' }), {
      unsignableHeaders: new Set(['x-amz-content-sha256']),
    })) as HttpRequest,
  );
  delete noHashHeader.headers['x-amz-content-sha256'];
  expect(verifySigV4(noHashHeader, credentials).ok).toBe(true);
  expect(verifySigV4({ ...noHashHeader, body: Buffer.from('{"a":2}') }, credentials)).toMatchObject({ ok: false, failure: 'mismatch' });
  expect(verifySigV4({ ...ok, body: Buffer.from('{"a":2}') }, credentials)).toMatchObject({ ok: false, failure: 'mismatch' });
  const get = wire((await signer().sign(request())) as HttpRequest);
  expect(verifySigV4({ ...get, rawPath: '/clusters/other' }, credentials)).toMatchObject({ ok: false, failure: 'mismatch' });
  expect(verifySigV4({ ...get, rawQuery: `${get.rawQuery}&extra=1` }, credentials)).toMatchObject({ ok: false, failure: 'mismatch' });
  expect(verifySigV4({ ...get, headers: { ...get.headers, 'x-custom': 'other' } }, credentials)).toMatchObject({
    ok: false,
    failure: 'mismatch',
  });
  const wrong = wire((await signer('eks', 'wrong').sign(request())) as HttpRequest);
  expect(verifySigV4(wrong, credentials)).toMatchObject({ ok: false, failure: 'mismatch' });
  expect(verifySigV4(get, { ...credentials, accessKeyId: 'AKIAOTHER' })).toMatchObject({ ok: false, failure: 'unknown-key' });
  const old = wire((await signer().sign(request(), { signingDate: new Date(Date.now() - 20 * 60_000) })) as HttpRequest);
  expect(verifySigV4(old, credentials)).toMatchObject({ ok: false, failure: 'expired' });
  expect(verifySigV4({ ...get, headers: { host: '127.0.0.1:4566' } }, credentials)).toMatchObject({ ok: false, failure: 'missing' });
});

test('presigned URLs verify until X-Amz-Expires', async () => {
  const presigned = (await signer('sts').presign(request({ path: '/', query: { Action: 'GetCallerIdentity', Version: '2011-06-15' } }), {
    expiresIn: 60,
  })) as HttpRequest;
  expect(verifySigV4(wire(presigned), credentials)).toMatchObject({ ok: true, service: 'sts' });
  expect(verifySigV4(wire(presigned), credentials, { now: Date.now() + 61_000 })).toMatchObject({ ok: false, failure: 'expired' });
});
