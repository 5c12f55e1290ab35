import { defineInputs } from '@tripo04os/kit/early';

export const spec = defineInputs({
  repository: {
    type: 'string',
    description: 'Amazon ECR repository name, e.g. tripo04os-ai-support (registry and credentials come from ECR). Give this or image.',
  },
  image: {
    type: 'string',
    description:
      'Full image name for a registry that is not ECR, e.g. ghcr.io/tripo04os/ai-support (with username and password). Give this or repository.',
  },
  images: {
    type: 'list',
    description:
      'More images in docker/metadata-action syntax, one a line: a name or name=…,enable=true|false (lower-cased). Every enabled image gets every tag from one build.',
  },
  build: {
    type: 'boolean',
    description:
      'false: metadata only. Compute and output tags, labels, version and json (and the summary) without building, logging in or pushing.',
    default: true,
  },
  username: { type: 'string', description: 'Registry user name (with image).' },
  password: { type: 'string', description: 'Registry password or token (with image). Masked.', secret: true },
  region: { type: 'string', description: 'AWS region of the ECR registry.', env: 'AWS_REGION' },
  logout: { type: 'boolean', description: 'Log out of the registry in the post step.', default: true },
  'create-repository': {
    type: 'boolean',
    description: 'Create a missing ECR repository (scan on push, tag-mutability, lifecycle-policy).',
    default: true,
  },
  'tag-mutability': {
    type: 'enum',
    values: ['MUTABLE', 'IMMUTABLE'] as const,
    description: 'Tag mutability of a repository this action creates.',
    default: 'MUTABLE',
  },
  'lifecycle-policy': {
    type: 'string',
    description:
      'Lifecycle policy JSON: set on a repository this action creates (default expires untagged images after 14 days; none for no policy), and applied to an existing repository when given.',
  },
  context: { type: 'string', description: 'Build context folder.', default: '.' },
  file: { type: 'string', description: 'Dockerfile path (default: Dockerfile in the context).' },
  target: { type: 'string', description: 'Build stage to stop at.' },
  'build-args': {
    type: 'map',
    description: 'Build arguments, one KEY=value a line. BUILD_DATE (RFC 3339) and VCS_REF (commit) are added unless given.',
  },
  platforms: {
    type: 'list',
    commas: true,
    description: 'Target platforms, e.g. linux/amd64,linux/arm64 (needs buildx; buildah takes one).',
  },
  push: {
    type: 'enum',
    values: ['auto', 'true', 'false'] as const,
    description: 'Push the image: auto pushes except on pull requests.',
    default: 'auto',
  },
  'cache-from': {
    type: 'list',
    description: 'Cache sources, one a line, in buildx syntax (type=registry,ref=… or an image; type=gha needs buildx).',
  },
  'cache-to': { type: 'list', description: 'Cache exports, one a line, in buildx syntax (buildx; buildah writes registry caches).' },
  provenance: {
    type: 'string',
    description:
      'buildx provenance attestation: false keeps a plain image manifest (what ECR and Lambda expect), true or mode=max adds one.',
    default: 'false',
  },
  builder: {
    type: 'enum',
    values: ['auto', 'buildx', 'docker', 'buildah'] as const,
    description: 'Builder: auto takes buildx when present, else docker, else buildah.',
    default: 'auto',
  },
  tags: {
    type: 'list',
    description:
      'Tag rules in docker/metadata-action syntax, one a line (see the README). Default: sha, branch, semver {{version}} and {{major}}.{{minor}}.',
  },
  flavor: {
    type: 'list',
    description: 'Flavor lines: latest=auto|true|false, prefix=, suffix=. latest=auto moves latest only for the highest release.',
  },
  labels: {
    type: 'list',
    description:
      'Extra labels, one key=value a line ({{branch}}, {{sha}}… expanded); they win over the OCI labels. A line without = is left out with a warning.',
  },
  scan: {
    type: 'enum',
    values: ['none', 'ecr', 'trivy'] as const,
    description: 'Vulnerability scan of the pushed image: none, ecr (waits for ECR findings) or trivy (the trivy binary).',
    default: 'none',
  },
  'severity-threshold': {
    type: 'enum',
    values: ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const,
    description: 'Fail when the scan finds anything at or above this severity.',
    default: 'HIGH',
  },
  'ignore-unfixed': { type: 'boolean', description: 'Ignore findings that have no fix yet.', default: false },
  'scan-timeout': { type: 'duration', description: 'How long to wait for the scan.', default: '10m', minMs: 1000 },
});
