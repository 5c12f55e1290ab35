/**
 * EKS access without the aws CLI: DescribeCluster for the endpoint and CA, and the bearer token
 * `aws eks get-token` would print (a presigned STS GetCallerIdentity URL, as
 * aws-iam-authenticator verifies it), refreshed before it expires. Credentials come from the
 * SDK's default chain, so it works after aws-actions/configure-aws-credentials (OIDC or keys).
 * The SDK modules are imported lazily to keep an action's cold start low.
 */
import { errorMessage, UserError } from '@tripo04os/common';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  expiration?: Date;
}
export type CredentialsProvider = () => Promise<AwsCredentials>;

export interface EksCluster {
  name: string;
  arn?: string;
  status?: string;
  /** API server URL. */
  endpoint: string;
  /** Cluster CA (PEM, base64) as in kubeconfig's certificate-authority-data. */
  caData: string;
}

/** The default credential chain (env, web identity/OIDC, SSO, shared files, container, IMDS), memoised. */
export async function defaultCredentials(): Promise<CredentialsProvider> {
  const { defaultProvider } = await import('@aws-sdk/credential-provider-node');
  return defaultProvider() as CredentialsProvider;
}

function credentialsError(err: unknown): UserError | undefined {
  const name = (err as { name?: string })?.name ?? '';
  if (name === 'CredentialsProviderError' || /Could not load credentials/i.test(errorMessage(err))) {
    return new UserError(
      'No AWS credentials found: run aws-actions/configure-aws-credentials (role-to-assume with OIDC, or access keys) before this step',
    );
  }
  return undefined;
}

/** EKS DescribeCluster: the endpoint and CA of a cluster. An unknown cluster is one clear line. */
export async function describeEksCluster(name: string, region: string, credentials?: CredentialsProvider): Promise<EksCluster> {
  const { EKSClient, DescribeClusterCommand } = await import('@aws-sdk/client-eks');
  const client = new EKSClient({ region, ...(credentials ? { credentials } : {}), maxAttempts: 3 });
  try {
    const out = await client.send(new DescribeClusterCommand({ name }));
    const c = out.cluster;
    if (!c?.endpoint || !c.certificateAuthority?.data) {
      throw new UserError(`EKS cluster '${name}' in ${region} has no endpoint yet (status ${c?.status ?? 'unknown'})`);
    }
    return { name, arn: c.arn, status: c.status, endpoint: c.endpoint, caData: c.certificateAuthority.data };
  } catch (err) {
    if (err instanceof UserError) throw err;
    const code = (err as { name?: string }).name;
    if (code === 'ResourceNotFoundException') {
      throw new UserError(`unknown EKS cluster '${name}' in region ${region}: check the input cluster-name and region`);
    }
    const cred = credentialsError(err);
    if (cred) throw cred;
    if (code === 'UnrecognizedClientException' || code === 'InvalidSignatureException' || code === 'ExpiredTokenException') {
      throw new UserError(
        `AWS rejected the credentials while describing EKS cluster '${name}' (${code}): check the keys or the role set up by aws-actions/configure-aws-credentials`,
      );
    }
    if (code === 'AccessDeniedException') {
      const who = await callerIdentity(region, credentials).catch(() => undefined);
      throw new UserError(
        `${who ?? 'The AWS identity'} may not describe EKS cluster '${name}' (${code}): allow eks:DescribeCluster in its IAM policy`,
      );
    }
    throw new UserError(`EKS DescribeCluster '${name}' in ${region} failed: ${errorMessage(err)}`);
  } finally {
    client.destroy();
  }
}

/** The ARN of the identity the credentials belong to (STS GetCallerIdentity). */
export async function callerIdentity(region: string, credentials?: CredentialsProvider): Promise<string | undefined> {
  const { STSClient, GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  const client = new STSClient({ region, ...(credentials ? { credentials } : {}), maxAttempts: 2 });
  try {
    return (await client.send(new GetCallerIdentityCommand({}))).Arn;
  } finally {
    client.destroy();
  }
}

/** The regional STS host a token is presigned for (aws-iam-authenticator accepts only these). */
export function stsHost(region: string): string {
  return region.startsWith('cn-') ? `sts.${region}.amazonaws.com.cn` : `sts.${region}.amazonaws.com`;
}

export const EKS_TOKEN_PREFIX = 'k8s-aws-v1.';
/** aws-iam-authenticator accepts a token for 15 minutes from its X-Amz-Date. */
export const EKS_TOKEN_LIFETIME_MS = 15 * 60_000;

export interface EksToken {
  token: string;
  /** The presigned URL inside the token. */
  url: string;
  signedAt: Date;
  expiresAt: Date;
}

function uriEscape(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/**
 * An EKS bearer token: `k8s-aws-v1.` + base64url (no padding) of a SigV4-presigned
 * `GET https://sts.<region>.amazonaws.com/?Action=GetCallerIdentity&Version=2011-06-15` with the
 * signed header `x-k8s-aws-id: <cluster>` and `X-Amz-Expires=60`.
 */
export async function createEksToken(options: {
  clusterName: string;
  region: string;
  credentials: CredentialsProvider | AwsCredentials;
  signingDate?: Date;
}): Promise<EksToken> {
  const [{ SignatureV4 }, { Sha256 }, { HttpRequest }] = await Promise.all([
    import('@smithy/signature-v4'),
    // Node's own SHA-256 (the SDK's, already loaded with it), not a JavaScript one.
    import('@smithy/core/checksum'),
    import('@smithy/protocol-http'),
  ]);
  const host = stsHost(options.region);
  const signer = new SignatureV4({ credentials: options.credentials, region: options.region, service: 'sts', sha256: Sha256 });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname: host,
    path: '/',
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
    headers: { host, 'x-k8s-aws-id': options.clusterName },
  });
  const signingDate = options.signingDate ?? new Date();
  let signed: Awaited<ReturnType<typeof signer.presign>>;
  try {
    signed = await signer.presign(request, { expiresIn: 60, signingDate });
  } catch (err) {
    throw credentialsError(err) ?? err;
  }
  const query = Object.entries(signed.query ?? {})
    .flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => [k, x]) : [[k, v as string]]))
    .sort(([a], [b]) => ((a as string) < (b as string) ? -1 : 1))
    .map(([k, v]) => `${uriEscape(k as string)}=${uriEscape(v as string)}`)
    .join('&');
  const url = `https://${host}/?${query}`;
  const signedAt = new Date(Math.floor(signingDate.getTime() / 1000) * 1000);
  return {
    token: EKS_TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url'),
    url,
    signedAt,
    expiresAt: new Date(signedAt.getTime() + EKS_TOKEN_LIFETIME_MS),
  };
}

export interface EksTokenProvider {
  /** A token valid for at least `minValidityMs` more (a new one is signed when needed). */
  getToken(): Promise<string>;
  /** How many tokens were signed (for tests). */
  readonly signed: number;
}

/** Keeps a token fresh: a new one is signed once the current one has less than `minValidityMs` (default 5 min) left. */
export function eksTokenProvider(options: {
  clusterName: string;
  region: string;
  credentials: CredentialsProvider | AwsCredentials;
  minValidityMs?: number;
  now?: () => number;
  onToken?: (token: string) => void;
}): EksTokenProvider {
  const now = options.now ?? Date.now;
  const margin = options.minValidityMs ?? 5 * 60_000;
  let current: Promise<EksToken> | undefined;
  let count = 0;
  const sign = () => {
    count++;
    const p = createEksToken({ ...options, signingDate: new Date(now()) });
    p.then((t) => options.onToken?.(t.token)).catch(() => {});
    return p;
  };
  return {
    get signed() {
      return count;
    },
    async getToken() {
      if (current) {
        const t = await current.catch(() => undefined);
        if (t && t.expiresAt.getTime() - now() > margin) return t.token;
      }
      current = sign();
      return (await current).token;
    },
  };
}
