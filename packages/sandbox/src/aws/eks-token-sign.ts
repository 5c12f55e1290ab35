/**
 * Makes an EKS bearer token the way `aws eks get-token` does (presigned STS GetCallerIdentity
 * with the signed header x-k8s-aws-id), with @smithy/signature-v4. For tests and the demo.
 */
import { Sha256 } from '@aws-crypto/sha256-js';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { EKS_TOKEN_PREFIX } from './eks-token.ts';
import { type Credentials, escapeUri } from './sigv4.ts';

export interface MakeEksTokenOptions {
  clusterName: string;
  credentials: Credentials;
  region: string;
  /** Default sts.<region>.amazonaws.com over https. */
  host?: string;
  protocol?: 'https:' | 'http:';
  signingDate?: Date;
  expiresIn?: number;
  /** Extra query parameters (to test the allow-list). */
  extraQuery?: Record<string, string>;
  /** Leave x-k8s-aws-id out of the signed headers. */
  skipClusterHeader?: boolean;
}

export async function makeEksToken(o: MakeEksTokenOptions): Promise<string> {
  const host = o.host ?? `sts.${o.region}.amazonaws.com`;
  const signer = new SignatureV4({ credentials: o.credentials, region: o.region, service: 'sts', sha256: Sha256 });
  const request = new HttpRequest({
    method: 'GET',
    protocol: o.protocol ?? 'https:',
    hostname: host.split(':')[0]!,
    ...(host.includes(':') ? { port: Number(host.split(':')[1]) } : {}),
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15', ...o.extraQuery },
    headers: { host, ...(o.skipClusterHeader ? {} : { 'x-k8s-aws-id': o.clusterName }) },
  });
  const signed = await signer.presign(request, { expiresIn: o.expiresIn ?? 60, ...(o.signingDate ? { signingDate: o.signingDate } : {}) });
  const query = Object.entries(signed.query ?? {})
    .map(([k, v]) => `${escapeUri(k)}=${escapeUri(String(v))}`)
    .join('&');
  const url = `${o.protocol ?? 'https:'}//${host}/?${query}`;
  return EKS_TOKEN_PREFIX + Buffer.from(url).toString('base64url');
}
