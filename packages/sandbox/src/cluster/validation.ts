/** What the real API server validates for these kinds, with its wording. */
import { cause, invalid } from './errors.ts';
import type { ResourceInfo } from './resources.ts';
import { matchRequirements, selectorRequirements } from './selectors.ts';
import type { Container, Deployment, KObject, PodSpec, ReplicaSet, Service, StatusCause } from './types.ts';
import { isRecord } from './types.ts';

const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const CONFIG_KEY = /^[-._a-zA-Z0-9]+$/;

const MSG_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const MSG_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const MSG_1035 =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

export function nameErrors(rule: ResourceInfo['nameRule'], name: string, field = 'metadata.name'): StatusCause[] {
  const out: StatusCause[] = [];
  if (rule === 'subdomain') {
    if (name.length > 253) out.push(cause.invalid(field, name, 'must be no more than 253 characters'));
    if (!SUBDOMAIN.test(name)) out.push(cause.invalid(field, name, MSG_SUBDOMAIN));
  } else {
    if (name.length > 63) out.push(cause.invalid(field, name, 'must be no more than 63 characters'));
    if (!(rule === 'label' ? LABEL : DNS1035).test(name)) out.push(cause.invalid(field, name, rule === 'label' ? MSG_LABEL : MSG_1035));
  }
  return out;
}

function labelErrors(labels: unknown, field: string): StatusCause[] {
  const out: StatusCause[] = [];
  if (labels === undefined || labels === null) return out;
  if (!isRecord(labels)) return [cause.invalid(field, labels, 'must be a map of strings')];
  for (const [k, v] of Object.entries(labels)) {
    const name = k.includes('/') ? k.slice(k.indexOf('/') + 1) : k;
    const prefix = k.includes('/') ? k.slice(0, k.indexOf('/')) : '';
    if (!QUALIFIED_NAME.test(name) || name.length > 63 || (prefix && !SUBDOMAIN.test(prefix)))
      out.push(
        cause.invalid(
          field,
          k,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ),
      );
    if (typeof v !== 'string' || v.length > 63 || !LABEL_VALUE.test(v))
      out.push(
        cause.invalid(
          field,
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
  }
  return out;
}

// The sandbox's own reading of image references, kept apart from @tripo04os/common's image-ref.ts
// on purpose: the sandbox plays the cluster the actions deploy to, so sharing their parser would
// let a grammar bug pass both sides unseen. Independence is the point.
const IMAGE_REF =
  /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::[0-9]+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?(?:@sha256:[a-f0-9]{64})?$/;

/** Whether an image reference parses (the kubelet reports InvalidImageName otherwise). */
export function validImageReference(image: string): boolean {
  // host part may contain dots, dashes and upper-case letters are never allowed in the repository
  const [first, ...rest] = image.split('/');
  if (rest.length > 0 && first && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    if (!/^[a-zA-Z0-9.-]+(:[0-9]+)?$/.test(first)) return false;
    return IMAGE_REF.test(`h/${rest.join('/')}`);
  }
  return IMAGE_REF.test(image);
}

function containerErrors(containers: unknown, field: string, required: boolean): StatusCause[] {
  const out: StatusCause[] = [];
  if (!Array.isArray(containers) || containers.length === 0) {
    if (required) out.push(cause.required(field));
    return out;
  }
  const seen = new Set<string>();
  containers.forEach((raw, i) => {
    const f = `${field}[${i}]`;
    if (!isRecord(raw)) {
      out.push(cause.invalid(f, raw, 'must be an object'));
      return;
    }
    const c = raw as Container;
    if (!c.name) out.push(cause.required(`${f}.name`));
    else {
      out.push(...nameErrors('label', c.name, `${f}.name`));
      if (seen.has(c.name)) out.push(cause.duplicate(`${f}.name`, c.name));
      seen.add(c.name);
    }
    if (!c.image || (typeof c.image === 'string' && c.image.trim() === '')) out.push(cause.required(`${f}.image`));
    (c.ports ?? []).forEach((p, j) => {
      if (!Number.isInteger(p.containerPort) || p.containerPort < 1 || p.containerPort > 65535)
        out.push(cause.invalid(`${f}.ports[${j}].containerPort`, p.containerPort, 'must be between 1 and 65535, inclusive'));
    });
    const envNames = new Set<string>();
    (c.env ?? []).forEach((e, j) => {
      if (!e?.name) out.push(cause.required(`${f}.env[${j}].name`));
      envNames.add(e?.name);
    });
  });
  return out;
}

function podSpecErrors(spec: PodSpec | undefined, field: string): StatusCause[] {
  if (!isRecord(spec)) return [cause.required(field)];
  return [
    ...containerErrors(spec.containers, `${field}.containers`, true),
    ...containerErrors(spec.initContainers, `${field}.initContainers`, false),
  ];
}

function templateErrors(obj: Deployment | ReplicaSet): StatusCause[] {
  const out: StatusCause[] = [];
  const spec = obj.spec;
  if (!isRecord(spec)) return [cause.required('spec')];
  if (spec.replicas !== undefined && (!Number.isInteger(spec.replicas) || spec.replicas < 0))
    out.push(cause.invalid('spec.replicas', spec.replicas, 'must be greater than or equal to 0'));
  const sel = spec.selector;
  if (!isRecord(sel)) out.push(cause.required('spec.selector'));
  else if (Object.keys(sel.matchLabels ?? {}).length === 0 && (Array.isArray(sel.matchExpressions) ? sel.matchExpressions.length : 0) === 0)
    out.push(
      cause.invalid('spec.selector', sel, `empty selector is invalid for ${obj.kind === 'Deployment' ? 'deployment' : 'replicaset'}`),
    );
  const t = spec.template;
  if (!isRecord(t)) {
    out.push(cause.required('spec.template'));
    return out;
  }
  out.push(...labelErrors(t.metadata?.labels, 'spec.template.metadata.labels'));
  if (isRecord(sel) && out.length === 0 && !matchRequirements(selectorRequirements(sel), t.metadata?.labels))
    out.push(cause.invalid('spec.template.metadata.labels', t.metadata?.labels ?? {}, '`selector` does not match template `labels`'));
  out.push(...podSpecErrors(t.spec, 'spec.template.spec'));
  if (isRecord(t.spec) && t.spec.restartPolicy !== undefined && t.spec.restartPolicy !== 'Always')
    out.push(cause.notSupported('spec.template.spec.restartPolicy', t.spec.restartPolicy, ['Always']));
  return out;
}

function intOrPercent(v: unknown): boolean {
  return (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && /^[0-9]+%$/.test(v));
}

function deploymentErrors(d: Deployment): StatusCause[] {
  const out = templateErrors(d);
  const st = d.spec?.strategy;
  if (isRecord(st)) {
    if (st.type !== undefined && st.type !== 'RollingUpdate' && st.type !== 'Recreate')
      out.push(cause.notSupported('spec.strategy.type', st.type, ['Recreate', 'RollingUpdate']));
    if (st.type === 'Recreate' && st.rollingUpdate !== undefined)
      out.push(cause.forbidden('spec.strategy.rollingUpdate', "may not be specified when strategy `type` is 'Recreate'"));
    const ru = st.rollingUpdate;
    if (isRecord(ru)) {
      for (const k of ['maxSurge', 'maxUnavailable'] as const)
        if (ru[k] !== undefined && !intOrPercent(ru[k]))
          out.push(
            cause.invalid(
              `spec.strategy.rollingUpdate.${k}`,
              ru[k],
              "a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
            ),
          );
      const zero = (v: unknown) => v === 0 || v === '0%';
      if (zero(ru.maxSurge) && zero(ru.maxUnavailable))
        out.push(cause.invalid('spec.strategy.rollingUpdate.maxUnavailable', ru.maxUnavailable, 'may not be 0 when `maxSurge` is 0'));
    }
  }
  if (d.spec?.progressDeadlineSeconds !== undefined && d.spec.progressDeadlineSeconds <= (d.spec.minReadySeconds ?? 0))
    out.push(cause.invalid('spec.progressDeadlineSeconds', d.spec.progressDeadlineSeconds, 'must be greater than minReadySeconds'));
  return out;
}

function serviceErrors(s: Service): StatusCause[] {
  const out: StatusCause[] = [];
  if (!isRecord(s.spec)) return [cause.required('spec')];
  const type = s.spec.type ?? 'ClusterIP';
  if (!['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName'].includes(type))
    out.push(cause.notSupported('spec.type', type, ['ClusterIP', 'ExternalName', 'LoadBalancer', 'NodePort']));
  const ports = s.spec.ports ?? [];
  if (type !== 'ExternalName' && s.spec.clusterIP !== 'None' && ports.length === 0) out.push(cause.required('spec.ports'));
  const names = new Set<string>();
  ports.forEach((p, i) => {
    if (!Number.isInteger(p.port) || p.port < 1 || p.port > 65535)
      out.push(cause.invalid(`spec.ports[${i}].port`, p.port, 'must be between 1 and 65535, inclusive'));
    if (ports.length > 1 && !p.name) out.push(cause.required(`spec.ports[${i}].name`));
    if (p.name) {
      if (names.has(p.name)) out.push(cause.duplicate(`spec.ports[${i}].name`, p.name));
      names.add(p.name);
    }
  });
  out.push(...labelErrors(s.spec.selector, 'spec.selector'));
  return out;
}

function dataKeyErrors(data: unknown, field: string): StatusCause[] {
  if (!isRecord(data)) return [];
  return Object.keys(data)
    .filter((k) => !CONFIG_KEY.test(k) || k.length > 253)
    .map((k) =>
      cause.invalid(
        `${field}[${k}]`,
        k,
        "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
      ),
    );
}

/** Validates an object about to be created (or, with `old`, updated); throws 422 Invalid. */
export function validate(info: ResourceInfo, obj: KObject, old?: KObject): void {
  const name = obj.metadata.name ?? obj.metadata.generateName ?? '';
  const causes: StatusCause[] = [];
  if (!obj.metadata.name) causes.push(cause.required('metadata.name', 'name or generateName is required'));
  else causes.push(...nameErrors(info.nameRule, obj.metadata.name));
  causes.push(...labelErrors(obj.metadata.labels, 'metadata.labels'));
  switch (info.name) {
    case 'deployments':
      causes.push(...deploymentErrors(obj as Deployment));
      break;
    case 'replicasets':
      causes.push(...templateErrors(obj as ReplicaSet));
      break;
    case 'pods':
      causes.push(...podSpecErrors((obj as { spec?: PodSpec }).spec, 'spec'));
      break;
    case 'services':
      causes.push(...serviceErrors(obj as Service));
      break;
    case 'configmaps':
      causes.push(...dataKeyErrors(obj.data, 'data'), ...dataKeyErrors(obj.binaryData, 'binaryData'));
      break;
    case 'secrets':
      causes.push(...dataKeyErrors(obj.data, 'data'));
      if (isRecord(obj.data))
        for (const [k, v] of Object.entries(obj.data))
          if (typeof v !== 'string' || !/^[A-Za-z0-9+/]*={0,2}$/.test(v))
            causes.push(cause.invalid(`data[${k}]`, '<secret contents redacted>', 'must be base64 encoded'));
      break;
  }
  if (old) {
    if (
      (info.name === 'deployments' || info.name === 'replicasets') &&
      JSON.stringify((old as Deployment).spec?.selector) !== JSON.stringify((obj as Deployment).spec?.selector)
    ) {
      causes.push(cause.invalid('spec.selector', (obj as Deployment).spec?.selector, 'field is immutable'));
    }
    if (info.name === 'pods') {
      const strip = (s: PodSpec | undefined) =>
        JSON.stringify({ ...(s ?? {}), containers: (s?.containers ?? []).map((c) => ({ ...c, image: undefined })), nodeName: undefined });
      if (strip((old as { spec?: PodSpec }).spec) !== strip((obj as { spec?: PodSpec }).spec))
        causes.push(
          cause.forbidden(
            'spec',
            'pod updates may not change fields other than `spec.containers[*].image`, `spec.initContainers[*].image`, `spec.activeDeadlineSeconds`, `spec.tolerations` (only additions to existing tolerations), `spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)',
          ),
        );
    }
    if (
      info.name === 'services' &&
      (old as Service).spec?.clusterIP &&
      (obj as Service).spec?.clusterIP &&
      (old as Service).spec.clusterIP !== (obj as Service).spec.clusterIP
    )
      causes.push(cause.invalid('spec.clusterIPs[0]', (obj as Service).spec.clusterIP, 'may not change once set'));
  }
  if (causes.length > 0) throw invalid(info.kind, info.group, name, causes);
}
