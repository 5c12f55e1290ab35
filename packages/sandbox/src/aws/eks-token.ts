/**
 * EKS bearer tokens, verified the way aws-iam-authenticator does (pkg/token Verify), except
 * that the signature is recomputed locally with the sandbox credentials instead of asking STS:
 * `k8s-aws-v1.` + base64url (no padding) of a presigned
 * `GET https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15&X-Amz-…`
 * whose signed headers include `x-k8s-aws-id: <cluster name>`.
 */
import { type Credentials, parseAmzDate, verifySigV4 } from './sigv4.ts';

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** aws-iam-authenticator: tokens are valid for 15 minutes from X-Amz-Date. */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60 * 1000;
const MAX_TOKEN_LENGTH = 4096;
const ALLOWED_PARAMETERS = new Set([
  'action',
  'version',
  'x-amz-algorithm',
  'x-amz-credential',
  'x-amz-date',
  'x-amz-expires',
  'x-amz-security-token',
  'x-amz-signature',
  'x-amz-signedheaders',
]);
const STS_HOST = /^sts(\.[a-z0-9-]+)?\.amazonaws\.com(\.cn)?$/;

export interface EksTokenOptions {
  clusterName: string;
  credentials: Credentials;
  accountId: string;
  /** The IAM user the sandbox credentials belong to (for the ARN). */
  userName: string;
  /** Extra host[:port]s accepted besides sts(.region).amazonaws.com, e.g. the sandbox STS endpoint (http allowed). */
  extraHosts?: string[];
  now?: number;
}

export type EksTokenResult = { ok: true; arn: string; accountId: string; userId: string } | { ok: false; reason: string };

export function isEksToken(token: string): boolean {
  return token.startsWith(EKS_TOKEN_PREFIX);
}

export function verifyEksToken(token: string, options: EksTokenOptions): EksTokenResult {
  const fail = (reason: string): EksTokenResult => ({ ok: false, reason });
  if (!isEksToken(token)) return fail('token does not start with k8s-aws-v1.');
  if (token.length > MAX_TOKEN_LENGTH) return fail('token is too large');
  const encoded = token.slice(EKS_TOKEN_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(encoded)) return fail('token is not base64url without padding');
  let url: URL;
  try {
    url = new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
  } catch {
    return fail('token does not hold a URL');
  }
  const extra = options.extraHosts ?? [];
  const sandboxHost = extra.includes(url.host);
  if (url.protocol !== 'https:' && !(sandboxHost && url.protocol === 'http:')) return fail(`unexpected scheme ${url.protocol}`);
  if (!sandboxHost && !STS_HOST.test(url.hostname)) return fail(`unexpected hostname ${url.hostname} in pre-signed URL`);
  if (!sandboxHost && url.port) return fail(`unexpected port in pre-signed URL`);
  if (url.pathname !== '/') return fail('unexpected path in pre-signed URL');
  const rawQuery = url.search.slice(1);
  const lower = new Map<string, string>();
  for (const [k, v] of new URLSearchParams(rawQuery)) {
    const key = k.toLowerCase();
    if (!ALLOWED_PARAMETERS.has(key)) return fail(`non-allowlisted query parameter ${k}`);
    if (lower.has(key)) return fail(`query parameter ${k} given more than once`);
    lower.set(key, v);
  }
  if (lower.get('action') !== 'GetCallerIdentity') return fail('unexpected action parameter in pre-signed URL');
  if (lower.get('version') !== '2011-06-15') return fail('unexpected version parameter in pre-signed URL');
  const signedHeaders = (lower.get('x-amz-signedheaders') ?? '').split(';');
  if (!signedHeaders.includes('x-k8s-aws-id')) return fail('client did not sign the x-k8s-aws-id header in the pre-signed URL');
  const expires = Number(lower.get('x-amz-expires'));
  if (!Number.isInteger(expires) || expires < 0) return fail('X-Amz-Expires is missing or not a number');
  if (expires > 60) return fail('X-Amz-Expires parameter in pre-signed URL must be <= 60');
  const date = parseAmzDate(lower.get('x-amz-date') ?? '');
  if (!date) return fail('X-Amz-Date is missing or malformed');
  const now = options.now ?? Date.now();
  if (now > date.getTime() + EKS_TOKEN_LIFETIME_MS) return fail('token expired');
  if (date.getTime() > now + EKS_TOKEN_LIFETIME_MS) return fail('X-Amz-Date is in the future');
  // As aws-iam-authenticator does when it forwards the URL to STS: the header carries the
  // cluster this server is, so a token made for another cluster fails the signature.
  const result = verifySigV4(
    {
      method: 'GET',
      rawPath: url.pathname,
      rawQuery,
      headers: { host: url.host, 'x-k8s-aws-id': options.clusterName },
      body: Buffer.alloc(0),
    },
    options.credentials,
    { now, presignedExpiresMs: EKS_TOKEN_LIFETIME_MS },
  );
  if (!result.ok) return fail(`STS would reject the pre-signed URL: ${result.message}`);
  if (result.service !== 'sts') return fail(`the pre-signed URL is signed for ${result.service}, not sts`);
  return {
    ok: true,
    arn: `arn:aws:iam::${options.accountId}:user/${options.userName}`,
    accountId: options.accountId,
    userId: userIdFor(options.credentials.accessKeyId),
  };
}

/** The IAM unique ID the sandbox gives its user (stable for a key). */
export function userIdFor(accessKeyId: string): string {
  return `AIDA${accessKeyId.slice(4, 20).padEnd(16, 'X')}`;
}
