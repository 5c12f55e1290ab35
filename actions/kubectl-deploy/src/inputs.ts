import { defineInputs } from '@tripo04os/kit/early';

/** The inputs of kubectl-deploy; action.yml at the repository root declares the same. */
export const spec = defineInputs({
  'cluster-name': {
    type: 'string',
    description:
      'EKS cluster name. The endpoint and CA come from EKS DescribeCluster and the token is signed with the AWS credentials of the job (no aws CLI). Leave empty to use kubeconfig or KUBECONFIG.',
    pattern: /^[0-9A-Za-z][A-Za-z0-9_-]{0,99}$/,
    accepts: 'an EKS cluster name (letters, digits, - and _)',
  },
  region: {
    type: 'string',
    description: 'AWS region of the EKS cluster (default: AWS_REGION).',
    env: 'AWS_REGION',
    pattern: /^[a-z]{2}(-[a-z]+)+-\d+$/,
    accepts: 'an AWS region such as us-east-1',
  },
  kubeconfig: {
    type: 'string',
    description: 'Kubeconfig content (masked). Used when cluster-name is empty; else the file named by KUBECONFIG.',
  },
  context: {
    type: 'string',
    description: 'Kubeconfig context to use (default: its current-context).',
  },
  namespace: {
    type: 'string',
    description: 'Namespace of the Deployments in images and of manifests that name none.',
    default: 'default',
    pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    accepts: 'a Kubernetes namespace name (lower-case letters, digits and -)',
  },
  action: {
    type: 'enum',
    values: ['deploy', 'rollback'],
    default: 'deploy',
    description: 'deploy: roll out images and manifests. rollback: return deployments to their previous revision or to revision.',
  },
  strategy: {
    type: 'enum',
    values: ['rolling', 'blue-green'],
    default: 'rolling',
    description:
      "Deployment strategy. rolling: the Deployment's own rolling update, all Deployments at once. blue-green: each workload NAME in images is NAME-blue/NAME-green behind Service NAME; the idle colour gets the release, is checked, then the Service selector switches (see the README).",
  },
  timeout: {
    type: 'duration',
    default: '10m',
    minMs: 1000,
    description: 'How long each rollout may take (e.g. 90s, 10m).',
  },
  images: {
    type: 'list',
    description:
      'One per line: deployment=image or deployment/container=image. Without a container, the one whose image repository matches, else the only one.',
  },
  manifests: {
    type: 'list',
    description:
      'Files, folders or globs of YAML manifests (multi-document), applied with server-side apply in dependency order. Images whose repository matches an images entry are replaced.',
  },
  'substitute-env': {
    type: 'boolean',
    default: false,
    description: 'Replace ${VAR} in manifests with environment variables ($${VAR} stays literal).',
  },
  'config-map': {
    type: 'string',
    description: 'Name of a ConfigMap to create or update from config-map-data.',
    pattern: /^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/,
    accepts: 'a Kubernetes object name',
  },
  'config-map-data': {
    type: 'map',
    keyPattern: /^[-._a-zA-Z0-9]+$/,
    description: 'ConfigMap data, one key=value per line.',
  },
  secret: {
    type: 'string',
    description: 'Name of a Secret to create or update from secret-env.',
    pattern: /^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$/,
    accepts: 'a Kubernetes object name',
  },
  'secret-env': {
    type: 'list',
    commas: true,
    description:
      'Names of environment variables whose values go into the Secret (set them with env:). Values are masked and never printed.',
  },
  'health-check-url': {
    type: 'url',
    schemes: ['https', 'http'],
    description:
      'URL checked after all rollouts; a failure rolls back (when auto-rollback is on). user:password@ in it is sent as an Authorization: Basic header and masked; the URL is only ever printed without it.',
  },
  'health-check-retries': {
    type: 'integer',
    default: 30,
    min: 1,
    max: 1000,
    description: 'Health check attempts in all.',
  },
  'health-check-interval': {
    type: 'duration',
    default: '10s',
    description: 'Wait between health check attempts.',
  },
  'health-check-expect': {
    type: 'string',
    default: '200-399',
    pattern: /^\s*[1-5]\d\d\s*(-\s*[1-5]\d\d\s*)?$/,
    accepts: 'a status code such as 200 or a range such as 200-399',
    description: 'Accepted HTTP status code or range (low end first).',
  },
  'auto-rollback': {
    type: 'boolean',
    default: true,
    description:
      'When a rollout or the health check fails, return every Deployment this run changed to its previous revision (deleting those it created) and restore ConfigMaps/Secrets it changed — only those still as this run left them. With action: rollback, a failed rollback returns to where it started.',
  },
  deployments: {
    type: 'list',
    commas: true,
    description: 'For action: rollback, the Deployments to roll back (lines or commas).',
  },
  revision: {
    type: 'integer',
    min: 1,
    description: 'For action: rollback, the revision to return to (default: the previous one).',
  },
  annotate: {
    type: 'boolean',
    default: true,
    description:
      'Annotate Deployments with kubernetes.io/change-cause and tripo04os.io/deployed-by (repo, sha, run URL, actor), so rollout history says who deployed what.',
  },
  'if-superseded': {
    type: 'enum',
    values: ['fail', 'warn'],
    default: 'fail',
    description:
      "When another change (another run, a kubectl set image) replaces this run's pod template while it rolls out: fail (the default; this run's images did not stay) or warn and succeed. Either way this run never rolls back a change that is not its own.",
  },
  'failure-grace': {
    type: 'duration',
    default: '20s',
    description:
      'How long new pods may sit in ErrImagePull/ImagePullBackOff, InvalidImageName, CreateContainerConfigError or CrashLoopBackOff before the rollout fails without waiting for the timeout.',
  },
  'color-label': {
    type: 'string',
    default: 'version',
    pattern: /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/,
    accepts: 'a Kubernetes label key such as version or example.com/color',
    description: 'blue-green: the label whose value (blue or green) the active Service selects.',
  },
  'preview-service': {
    type: 'string',
    default: 'NAME-preview',
    pattern: /^(none|[a-zA-Z0-9-]*NAME[a-zA-Z0-9-]*)$/,
    accepts: "a name containing NAME (the workload), such as NAME-preview, or 'none'",
    description:
      "blue-green: the Service that selects the idle colour (created or updated by the action; NAME is the workload), through which the pre-switch checks reach it. 'none': no preview Service and no pre-switch checks.",
  },
  'preview-replicas': {
    type: 'integer',
    min: 1,
    description:
      'blue-green: replicas of the idle colour during the pre-switch checks (scaled up to the live count before the switch). Default: the live count.',
  },
  'health-check-path': {
    type: 'string',
    pattern: /^\/[^\s]*$/,
    accepts: 'a path starting with /, such as /health',
    description:
      'blue-green: path requested through the Kubernetes API server Service proxy, on the preview Service before the switch and on the active Service after it (uses health-check-retries, -interval, -expect).',
  },
  'analysis-duration': {
    type: 'duration',
    default: '60s',
    description: 'blue-green: how long the post-switch checks run (metric checks without count measure every interval for this long).',
  },
  'scale-down-delay': {
    type: 'string',
    default: '30s',
    pattern: /^(never|\d+(\.\d+)?(ms|s|m|h)?)$/,
    accepts: "a duration such as 30s or 0, or 'never'",
    description:
      'blue-green: how long the old colour stays up after a successful switch before it is scaled to zero (0: at once; never: keep it for an instant rollback).',
  },
  'rollback-scope': {
    type: 'enum',
    values: ['all', 'failed'],
    default: 'all',
    description:
      'blue-green with several workloads: all: a failure of one switches back every workload this run switched; failed: only the failed ones.',
  },
  'prometheus-url': {
    type: 'url',
    schemes: ['https'],
    httpLoopback: true,
    description:
      'Prometheus server for metric-checks (for Amazon Managed Service for Prometheus: the workspace URL, with prometheus-auth: sigv4).',
  },
  'prometheus-auth': {
    type: 'enum',
    values: ['none', 'bearer', 'basic', 'sigv4'],
    default: 'none',
    description:
      'How to authenticate to Prometheus: none; bearer (prometheus-token); basic (prometheus-username, prometheus-password); sigv4 (signed for service aps with the AWS credentials of the step).',
  },
  'prometheus-token': { type: 'string', secret: true, description: 'Bearer token for prometheus-auth: bearer (masked).' },
  'prometheus-username': { type: 'string', description: 'User name for prometheus-auth: basic.' },
  'prometheus-password': { type: 'string', secret: true, description: 'Password for prometheus-auth: basic (masked).' },
  'metric-checks': {
    type: 'string',
    description:
      'YAML list of Prometheus checks: {name, query, phase: pre|post, min, max, interval, count, failure-limit, on-empty: fail|pass|inconclusive, on-error: fail|inconclusive}. {{color}} {{namespace}} {{deployment}} {{service}} are substituted. Fails closed. With rolling, only phase: post (after the rollout; failure rolls back).',
  },
});
