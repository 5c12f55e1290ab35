import { InputError, type Logger } from '@tripo04os/common';
import type { KubeClient } from '@tripo04os/kube';

export interface AccessInputs {
  clusterName?: string;
  region?: string;
  kubeconfig?: string;
  context?: string;
}

/**
 * Checks that the inputs name a way to the cluster, without loading anything: run before the
 * step loads its modules, so a missing one fails fast (issue 15).
 */
export function checkAccess(i: AccessInputs, env: NodeJS.ProcessEnv = process.env): void {
  if (i.clusterName) {
    if (!i.region) throw new InputError('region', '', 'it is required with cluster-name (or set AWS_REGION)');
  } else if (!i.kubeconfig && !(env.KUBECONFIG ?? '').split(':').some(Boolean)) {
    throw new InputError('cluster-name', '', 'set cluster-name (EKS), kubeconfig, or the KUBECONFIG environment variable');
  }
}

/** Connects to the cluster: EKS (DescribeCluster + STS token) when cluster-name is set, else a kubeconfig. */
export async function connect(i: AccessInputs, logger: Logger, env: NodeJS.ProcessEnv = process.env): Promise<KubeClient> {
  checkAccess(i, env);
  if (i.clusterName && i.region) {
    const { callerIdentity, defaultCredentials, describeEksCluster, eksTokenProvider } = await import('@tripo04os/aws');
    const credentials = await defaultCredentials();
    // The token needs only the cluster's name, and the Kubernetes client nothing of EKS: both
    // are made while DescribeCluster is on the way (a token that fails is signed again, and
    // reported, when the first request asks for it).
    const described = describeEksCluster(i.clusterName, i.region, credentials);
    described.catch(() => {});
    const tokens = eksTokenProvider({ clusterName: i.clusterName, region: i.region, credentials });
    tokens.getToken().catch(() => {});
    const { KubeClient } = await import('@tripo04os/kube');
    const cluster = await described;
    logger.info(`EKS cluster ${cluster.name} (${i.region}): ${cluster.endpoint}`);
    const region = i.region;
    return KubeClient.connect(
      {
        kind: 'token',
        server: cluster.endpoint,
        caData: cluster.caData,
        token: () => tokens.getToken(),
        identity: async () => {
          const arn = await callerIdentity(region, credentials);
          return arn ? `IAM identity ${arn}` : undefined;
        },
        accessHint: `check the Kubernetes RBAC bound to that identity in cluster ${cluster.name} (or the access policies of its EKS access entry)`,
        credentialsHint: `check that the job's AWS credentials are current, and that this IAM identity has an EKS access entry in cluster ${cluster.name} (or an aws-auth ConfigMap mapping): EKS answers 401 for an identity it does not map`,
        label: cluster.name,
      },
      logger,
    );
  }
  const { KubeClient } = await import('@tripo04os/kube');
  if (i.kubeconfig) {
    // Its credentials (token, password, key and certificate data) are masked as it is loaded.
    return KubeClient.connect({ kind: 'kubeconfig', content: i.kubeconfig, context: i.context }, logger);
  }
  const files = (env.KUBECONFIG ?? '').split(':').filter(Boolean);
  // One file: read it (errors name it); several: client-node merges them as kubectl does.
  if (files.length === 1) return KubeClient.connect({ kind: 'kubeconfig', file: files[0], context: i.context }, logger);
  if (files.length > 1) return KubeClient.connect({ kind: 'kubeconfig', context: i.context }, logger);
  throw new InputError('cluster-name', '', 'set cluster-name (EKS), kubeconfig, or the KUBECONFIG environment variable');
}
