import { describe, expect, it } from '@jest/globals';
import { sandboxEnv } from '@tripo04os/sandbox/testing';
import { callerIdentity, createEksToken, describeEksCluster } from '../src/eks.ts';

// The sandbox's EKS and STS endpoints and an API server that verifies tokens as aws-iam-authenticator does.
const env = sandboxEnv();
process.env.AWS_ENDPOINT_URL_EKS = env.AWS_ENDPOINT_URL_EKS;
process.env.AWS_ENDPOINT_URL_STS = env.AWS_ENDPOINT_URL_STS;
const credentials = async () => ({ accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY });

describe('EKS against the sandbox', () => {
  it('DescribeCluster gives the endpoint and CA, and the token opens the API server', async () => {
    const cluster = await describeEksCluster(env.SANDBOX_EKS_CLUSTER, env.AWS_REGION, credentials);
    expect(cluster.endpoint).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    const ca = Buffer.from(cluster.caData, 'base64').toString();
    expect(ca).toContain('BEGIN CERTIFICATE');
    const { token } = await createEksToken({ clusterName: cluster.name, region: env.AWS_REGION, credentials });
    const { Agent, fetch } = await import('undici');
    const dispatcher = new Agent({ connect: { ca } });
    const ok = await fetch(`${cluster.endpoint}/api/v1/namespaces/default`, { headers: { authorization: `Bearer ${token}` }, dispatcher });
    expect(ok.status).toBe(200);
    // A token signed for another cluster is refused.
    const other = await createEksToken({ clusterName: 'another-cluster', region: env.AWS_REGION, credentials });
    const denied = await fetch(`${cluster.endpoint}/api/v1/namespaces/default`, {
      headers: { authorization: `Bearer ${other.token}` },
      dispatcher,
    });
    expect(denied.status).toBe(401);
    await dispatcher.close();
  });

  it('an unknown cluster is one clear line', async () => {
    await expect(describeEksCluster('no-such-cluster', env.AWS_REGION, credentials)).rejects.toThrow(
      "unknown EKS cluster 'no-such-cluster' in region us-east-1: check the input cluster-name and region",
    );
  });

  it('wrong keys are one clear line', async () => {
    const bad = async () => ({ accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: 'wrong-secret-key' });
    await expect(describeEksCluster(env.SANDBOX_EKS_CLUSTER, env.AWS_REGION, bad)).rejects.toThrow(
      "AWS rejected the credentials while describing EKS cluster 'sandbox' (InvalidSignatureException)",
    );
  });

  it('names the identity through STS GetCallerIdentity', async () => {
    expect(await callerIdentity(env.AWS_REGION, credentials)).toMatch(/^arn:aws:iam::\d{12}:/);
  });
});
