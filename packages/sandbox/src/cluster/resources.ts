/** The kinds the sandbox serves, with what discovery tells kubectl about them. */

export interface ResourceInfo {
  /** Plural, lower case: `deployments`. */
  name: string;
  singularName: string;
  kind: string;
  group: string;
  version: string;
  namespaced: boolean;
  shortNames?: string[];
  categories?: string[];
  /** Subresources served for this resource. */
  subresources: string[];
  /** Whether writes to the main resource ignore `status` (served through `/status`). */
  statusSubresource: boolean;
  /** DNS-1123 flavour the name must satisfy. */
  nameRule: 'subdomain' | 'label' | 'dns1035';
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCES: ResourceInfo[] = [
  {
    name: 'namespaces',
    singularName: 'namespace',
    kind: 'Namespace',
    group: '',
    version: 'v1',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
    statusSubresource: true,
    nameRule: 'label',
  },
  {
    name: 'pods',
    singularName: 'pod',
    kind: 'Pod',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['po'],
    categories: ['all'],
    subresources: ['log', 'status'],
    statusSubresource: true,
    nameRule: 'subdomain',
  },
  {
    name: 'services',
    singularName: 'service',
    kind: 'Service',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['svc'],
    categories: ['all'],
    subresources: ['status'],
    statusSubresource: true,
    nameRule: 'dns1035',
  },
  {
    name: 'configmaps',
    singularName: 'configmap',
    kind: 'ConfigMap',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['cm'],
    subresources: [],
    statusSubresource: false,
    nameRule: 'subdomain',
  },
  {
    name: 'secrets',
    singularName: 'secret',
    kind: 'Secret',
    group: '',
    version: 'v1',
    namespaced: true,
    subresources: [],
    statusSubresource: false,
    nameRule: 'subdomain',
  },
  {
    name: 'events',
    singularName: 'event',
    kind: 'Event',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['ev'],
    subresources: [],
    statusSubresource: false,
    nameRule: 'subdomain',
  },
  {
    name: 'serviceaccounts',
    singularName: 'serviceaccount',
    kind: 'ServiceAccount',
    group: '',
    version: 'v1',
    namespaced: true,
    shortNames: ['sa'],
    subresources: [],
    statusSubresource: false,
    nameRule: 'subdomain',
  },
  {
    name: 'deployments',
    singularName: 'deployment',
    kind: 'Deployment',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    shortNames: ['deploy'],
    categories: ['all'],
    subresources: ['scale', 'status'],
    statusSubresource: true,
    nameRule: 'subdomain',
  },
  {
    name: 'replicasets',
    singularName: 'replicaset',
    kind: 'ReplicaSet',
    group: 'apps',
    version: 'v1',
    namespaced: true,
    shortNames: ['rs'],
    categories: ['all'],
    subresources: ['scale', 'status'],
    statusSubresource: true,
    nameRule: 'subdomain',
  },
];

export function groupVersion(r: { group: string; version: string }): string {
  return r.group ? `${r.group}/${r.version}` : r.version;
}

export function findResource(group: string, version: string, name: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.group === group && r.version === version && r.name === name);
}

export function resourceForKind(kind: string): ResourceInfo | undefined {
  return RESOURCES.find((r) => r.kind === kind);
}

export const SERVER_VERSION = {
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-sandbox',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2026-01-01T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
};

/** `/api/v1` and `/apis/apps/v1`: APIResourceList with subresources, verbs, short names, categories. */
export function resourceList(group: string, version: string): Record<string, unknown> | undefined {
  const own = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (own.length === 0) return undefined;
  const resources: Record<string, unknown>[] = [];
  for (const r of own) {
    const main: Record<string, unknown> = {
      name: r.name,
      singularName: r.singularName,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: VERBS,
    };
    if (r.shortNames) main.shortNames = r.shortNames;
    if (r.categories) main.categories = r.categories;
    resources.push(main);
    for (const sub of r.subresources) {
      if (sub === 'log') resources.push({ name: `${r.name}/log`, singularName: '', namespaced: true, kind: 'Pod', verbs: ['get'] });
      else if (sub === 'scale')
        resources.push({
          name: `${r.name}/scale`,
          singularName: '',
          namespaced: true,
          group: 'autoscaling',
          version: 'v1',
          kind: 'Scale',
          verbs: ['get', 'patch', 'update'],
        });
      else if (sub === 'finalize')
        resources.push({ name: `${r.name}/finalize`, singularName: '', namespaced: r.namespaced, kind: r.kind, verbs: ['update'] });
      else
        resources.push({
          name: `${r.name}/${sub}`,
          singularName: '',
          namespaced: r.namespaced,
          kind: r.kind,
          verbs: ['get', 'patch', 'update'],
        });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}

/** authorization.k8s.io: only SelfSubjectAccessReview (`kubectl auth can-i`); every authenticated user may do everything. */
export const AUTHZ = 'authorization.k8s.io';

function group(name: string): Record<string, unknown> {
  const gv = { groupVersion: `${name}/v1`, version: 'v1' };
  return { name, versions: [gv], preferredVersion: gv };
}

export function apiGroupList(): Record<string, unknown> {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: [group('apps'), group(AUTHZ)] };
}

export function apiGroup(name: string): Record<string, unknown> | undefined {
  if (name !== 'apps' && name !== AUTHZ) return undefined;
  return { kind: 'APIGroup', apiVersion: 'v1', ...group(name) };
}

export function authorizationResources(): Record<string, unknown> {
  return {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: `${AUTHZ}/v1`,
    resources: [
      {
        name: 'selfsubjectaccessreviews',
        singularName: 'selfsubjectaccessreview',
        namespaced: false,
        kind: 'SelfSubjectAccessReview',
        verbs: ['create'],
      },
    ],
  };
}

/**
 * A minimal OpenAPI v3 document per group-version: one PATCH operation per kind that takes the
 * `fieldValidation` query parameter, which is what kubectl checks before leaving validation to
 * the server (`--validate=strict` then works without a client-side schema).
 */
export function openApiV3Root(): Record<string, unknown> {
  return {
    paths: {
      'api/v1': { serverRelativeURL: '/openapi/v3/api/v1?hash=sandbox1' },
      'apis/apps/v1': { serverRelativeURL: '/openapi/v3/apis/apps/v1?hash=sandbox1' },
    },
  };
}

export function openApiV3(group: string, version: string): Record<string, unknown> | undefined {
  const own = RESOURCES.filter((r) => r.group === group && r.version === version);
  if (own.length === 0) return undefined;
  const prefix = group ? `/apis/${group}/${version}` : `/api/${version}`;
  const paths: Record<string, unknown> = {};
  for (const r of own) {
    const path = r.namespaced ? `${prefix}/namespaces/{namespace}/${r.name}/{name}` : `${prefix}/${r.name}/{name}`;
    paths[path] = {
      patch: {
        operationId: `patch${r.kind}`,
        parameters: [
          { name: 'dryRun', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldManager', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'fieldValidation', in: 'query', schema: { type: 'string', uniqueItems: true } },
          { name: 'force', in: 'query', schema: { type: 'boolean', uniqueItems: true } },
        ],
        requestBody: {
          content: {
            'application/json-patch+json': { schema: { type: 'object' } },
            'application/merge-patch+json': { schema: { type: 'object' } },
          },
        },
        responses: { '200': { description: 'OK' } },
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': { group: r.group, version: r.version, kind: r.kind },
      },
    };
  }
  return { openapi: '3.0.0', info: { title: 'Kubernetes', version: SERVER_VERSION.gitVersion }, paths, components: { schemas: {} } };
}
