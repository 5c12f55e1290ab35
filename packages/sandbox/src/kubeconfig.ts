/**
 * DIR/kubeconfig: the sandbox API server, its CA embedded, the sandbox token. Written as a
 * template (every value is a URL, base64 or a plain name) so the daemon need not load a YAML
 * library at start.
 */
export function kubeconfigYaml(o: { server: string; caCert: string; token: string; cluster: string }): string {
  const ca = Buffer.from(o.caCert).toString('base64');
  return `apiVersion: v1
kind: Config
clusters:
  - name: ${JSON.stringify(o.cluster)}
    cluster:
      server: ${JSON.stringify(o.server)}
      certificate-authority-data: ${ca}
users:
  - name: sandbox-admin
    user:
      token: ${JSON.stringify(o.token)}
contexts:
  - name: sandbox
    context:
      cluster: ${JSON.stringify(o.cluster)}
      user: sandbox-admin
      namespace: default
current-context: sandbox
preferences: {}
`;
}
