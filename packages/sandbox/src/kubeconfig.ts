/** DIR/kubeconfig: the sandbox API server, its CA embedded, the sandbox token. */
import { stringify } from 'yaml';

export function kubeconfigYaml(o: { server: string; caCert: string; token: string; cluster: string }): string {
  const context = `sandbox`;
  return stringify({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: o.cluster, cluster: { server: o.server, 'certificate-authority-data': Buffer.from(o.caCert).toString('base64') } }],
    users: [{ name: 'sandbox-admin', user: { token: o.token } }],
    contexts: [{ name: context, context: { cluster: o.cluster, user: 'sandbox-admin', namespace: 'default' } }],
    'current-context': context,
    preferences: {},
  });
}
