import { type EksTokenOptions, verifyEksToken } from '../src/aws/eks-token.ts';
import { makeEksToken } from '../src/aws/eks-token-sign.ts';

const credentials = { accessKeyId: 'AKIASANDBOXTEST00001', secretAccessKey: 'sandbox-secret-key-for-tests' };
const verifier: EksTokenOptions = {
  clusterName: 'sandbox',
  credentials,
  accountId: '000000000000',
  userName: 'sandbox',
  extraHosts: ['127.0.0.1:4566'],
};
const base = { clusterName: 'sandbox', credentials, region: 'eu-west-1' };

test('a token presigned with the sandbox credentials for this cluster is accepted', async () => {
  const token = await makeEksToken(base);
  expect(token).toMatch(/^k8s-aws-v1\.[A-Za-z0-9_-]+$/);
  expect(verifyEksToken(token, verifier)).toEqual({
    ok: true,
    arn: 'arn:aws:iam::000000000000:user/sandbox',
    accountId: '000000000000',
    userId: expect.stringMatching(/^AIDA/),
  });
  // The global endpoint and the sandbox STS endpoint (plain HTTP on loopback) work too.
  expect(verifyEksToken(await makeEksToken({ ...base, region: 'us-east-1', host: 'sts.amazonaws.com' }), verifier).ok).toBe(true);
  expect(verifyEksToken(await makeEksToken({ ...base, host: '127.0.0.1:4566', protocol: 'http:' }), verifier).ok).toBe(true);
  // Still valid 14 minutes after signing; X-Amz-Expires=60 does not shorten it (as aws-iam-authenticator).
  const signedAt = new Date(Date.now() - 14 * 60_000);
  expect(verifyEksToken(await makeEksToken({ ...base, signingDate: signedAt }), verifier).ok).toBe(true);
});

test.each([
  ['wrong credentials', { credentials: { ...credentials, secretAccessKey: 'wrong' } }, /signature we calculated does not match/],
  [
    'an unknown access key',
    { credentials: { ...credentials, accessKeyId: 'AKIAOTHER00000000000' } },
    /security token included in the request is invalid/,
  ],
  ['another cluster', { clusterName: 'production' }, /signature we calculated does not match/],
  ['an expired token', { signingDate: new Date(Date.now() - 16 * 60_000) }, /token expired/],
  ['X-Amz-Expires over 60', { expiresIn: 900 }, /X-Amz-Expires parameter in pre-signed URL must be <= 60/],
  ['a parameter off the allow-list', { extraQuery: { 'X-Amz-Foo': '1' } }, /non-allowlisted query parameter X-Amz-Foo/],
  ['another action', { extraQuery: { Action: 'AssumeRole' } }, /unexpected action/],
  ['another version', { extraQuery: { Version: '2012-01-01' } }, /unexpected version/],
  ['x-k8s-aws-id not signed', { skipClusterHeader: true }, /did not sign the x-k8s-aws-id header/],
  ['another host', { host: 'sts.example.com' }, /unexpected hostname sts.example.com/],
  ['plain HTTP to AWS', { protocol: 'http:' as const }, /unexpected scheme http:/],
])('%s is rejected', async (_name, change, reason) => {
  const token = await makeEksToken({ ...base, ...change });
  const r = verifyEksToken(token, verifier);
  expect(r.ok).toBe(false);
  expect(r.ok ? '' : r.reason).toMatch(reason);
});

test('tokens that are not EKS tokens are rejected', async () => {
  const token = await makeEksToken(base);
  const url = Buffer.from(token.slice('k8s-aws-v1.'.length), 'base64url').toString();
  expect(verifyEksToken(`k8s-aws-v1.${Buffer.from(url).toString('base64')}`, verifier)).toMatchObject({ ok: false }); // padded/standard base64
  expect(verifyEksToken(`k8s-aws-v2.${token.slice(11)}`, verifier)).toMatchObject({
    ok: false,
    reason: expect.stringMatching(/k8s-aws-v1/),
  });
  expect(verifyEksToken(`k8s-aws-v1.${Buffer.from(url.replace('/?', '/x?')).toString('base64url')}`, verifier)).toMatchObject({
    ok: false,
    reason: expect.stringMatching(/unexpected path/),
  });
  const tampered = url.replace('Action=GetCallerIdentity', 'Action=GetCallerIdentity&Action=GetCallerIdentity');
  expect(verifyEksToken(`k8s-aws-v1.${Buffer.from(tampered).toString('base64url')}`, verifier)).toMatchObject({
    ok: false,
    reason: expect.stringMatching(/more than once/),
  });
});

test("the API server's authenticate maps the sandbox token to sandbox-admin and an EKS token to the IAM ARN", async () => {
  const { sandboxAuthenticator } = await import('../src/daemon.ts');
  const authenticate = sandboxAuthenticator({ sandboxToken: 'sandbox-token', awsUrl: 'http://127.0.0.1:4566', ...credentials });
  expect(authenticate('sandbox-token')).toBe('sandbox-admin');
  expect(authenticate(await makeEksToken(base))).toBe('arn:aws:iam::000000000000:user/sandbox');
  expect(authenticate(await makeEksToken({ ...base, host: '127.0.0.1:4566', protocol: 'http:' }))).toBe(
    'arn:aws:iam::000000000000:user/sandbox',
  );
  expect(authenticate(await makeEksToken({ ...base, clusterName: 'other' }))).toBeUndefined();
  expect(authenticate('sandbox-token-but-longer')).toBeUndefined();
  expect(authenticate('')).toBeUndefined();
});
