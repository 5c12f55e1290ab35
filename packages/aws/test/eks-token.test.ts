import { Sha256 } from '@aws-crypto/sha256-js';
import { describe, expect, it } from '@jest/globals';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { createEksToken, EKS_TOKEN_PREFIX, eksTokenProvider, stsHost } from '../src/eks.ts';

const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };
const date = new Date('2026-11-27T04:30:00Z');

function decode(token: string): URL {
  expect(token.startsWith(EKS_TOKEN_PREFIX)).toBe(true);
  const body = token.slice(EKS_TOKEN_PREFIX.length);
  expect(body).toMatch(/^[A-Za-z0-9_-]+$/); // base64url without padding
  return new URL(Buffer.from(body, 'base64url').toString('utf8'));
}

describe('EKS token', () => {
  it('is a presigned STS GetCallerIdentity URL for the regional STS host', async () => {
    const t = await createEksToken({ clusterName: 'tripo04os-staging', region: 'us-east-1', credentials, signingDate: date });
    const url = decode(t.token);
    expect(url.toString()).toBe(t.url);
    expect(url.protocol).toBe('https:');
    expect(url.host).toBe('sts.us-east-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    const q = url.searchParams;
    expect(q.get('Action')).toBe('GetCallerIdentity');
    expect(q.get('Version')).toBe('2011-06-15');
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-Date')).toBe('20261127T043000Z');
    expect(q.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261127/us-east-1/sts/aws4_request');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(q.get('X-Amz-Signature')).toMatch(/^[0-9a-f]{64}$/);
    expect(t.expiresAt.getTime() - date.getTime()).toBe(15 * 60_000);
  });

  it('carries a signature that SigV4 recomputes for the cluster name header', async () => {
    const t = await createEksToken({ clusterName: 'tripo04os-staging', region: 'eu-west-1', credentials, signingDate: date });
    const url = decode(t.token);
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) if (!k.startsWith('X-Amz-')) query[k] = v;
    const signer = new SignatureV4({ credentials, region: 'eu-west-1', service: 'sts', sha256: Sha256 });
    const again = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: url.host,
        path: '/',
        query,
        headers: { host: url.host, 'x-k8s-aws-id': 'tripo04os-staging' },
      }),
      { expiresIn: 60, signingDate: date },
    );
    expect(url.searchParams.get('X-Amz-Signature')).toBe(again.query?.['X-Amz-Signature']);
    // Another cluster name gives another signature: the header is really signed.
    const other = await signer.presign(
      new HttpRequest({
        method: 'GET',
        protocol: 'https:',
        hostname: url.host,
        path: '/',
        query,
        headers: { host: url.host, 'x-k8s-aws-id': 'other' },
      }),
      { expiresIn: 60, signingDate: date },
    );
    expect(url.searchParams.get('X-Amz-Signature')).not.toBe(other.query?.['X-Amz-Signature']);
  });

  it('includes the session token of temporary (OIDC) credentials', async () => {
    const t = await createEksToken({
      clusterName: 'c',
      region: 'us-east-1',
      credentials: { ...credentials, sessionToken: 'SESSION/TOKEN+=' },
      signingDate: date,
    });
    expect(decode(t.token).searchParams.get('X-Amz-Security-Token')).toBe('SESSION/TOKEN+=');
  });

  it('uses the China partition host in cn- regions', () => {
    expect(stsHost('cn-north-1')).toBe('sts.cn-north-1.amazonaws.com.cn');
    expect(stsHost('ap-southeast-2')).toBe('sts.ap-southeast-2.amazonaws.com');
  });

  it('is refreshed by the provider before it expires', async () => {
    let now = date.getTime();
    const seen: string[] = [];
    const p = eksTokenProvider({
      clusterName: 'c',
      region: 'us-east-1',
      credentials: async () => credentials,
      now: () => now,
      onToken: (t) => seen.push(t),
    });
    const first = await p.getToken();
    now += 5 * 60_000;
    expect(await p.getToken()).toBe(first); // 10 min left: still good
    expect(p.signed).toBe(1);
    now += 5 * 60_000 + 1000; // under 5 min left: sign a new one
    const second = await p.getToken();
    expect(second).not.toBe(first);
    expect(p.signed).toBe(2);
    expect(decode(second).searchParams.get('X-Amz-Date')).toBe('20261127T044001Z');
    expect(seen).toEqual([first, second]);
  });
});
