/** Defaults the real API server fills in, so `kubectl apply`, diffs and template hashes behave. */
import type { Container, Deployment, KObject, Pod, PodSpec, PodTemplateSpec, ReplicaSet, Service } from './types.ts';
import { isRecord } from './types.ts';

function imageTag(image: string): string | undefined {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : undefined;
}

function defaultContainer(c: Container): void {
  if (c.image !== undefined && c.imagePullPolicy === undefined) {
    const tag = imageTag(c.image);
    c.imagePullPolicy = c.image.includes('@') ? 'IfNotPresent' : !tag || tag === 'latest' ? 'Always' : 'IfNotPresent';
  }
  c.terminationMessagePath ??= '/dev/termination-log';
  c.terminationMessagePolicy ??= 'File';
  c.resources ??= {};
  for (const p of c.ports ?? []) p.protocol ??= 'TCP';
  for (const probe of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const p = c[probe];
    if (isRecord(p)) {
      p.timeoutSeconds ??= 1;
      p.periodSeconds ??= 10;
      p.successThreshold ??= 1;
      p.failureThreshold ??= 3;
      if (isRecord(p.httpGet)) p.httpGet.scheme ??= 'HTTP';
    }
  }
}

export function defaultPodSpec(spec: PodSpec, forPod: boolean): void {
  if (!isRecord(spec)) return;
  for (const c of spec.containers ?? []) if (isRecord(c)) defaultContainer(c);
  for (const c of spec.initContainers ?? []) if (isRecord(c)) defaultContainer(c);
  spec.restartPolicy ??= 'Always';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.securityContext ??= {};
  spec.schedulerName ??= 'default-scheduler';
  if (Array.isArray(spec.volumes)) {
    for (const v of spec.volumes) {
      if (isRecord(v) && isRecord(v.configMap)) v.configMap.defaultMode ??= 420;
      if (isRecord(v) && isRecord(v.secret)) v.secret.defaultMode ??= 420;
    }
  }
  if (forPod) {
    spec.serviceAccountName ??= 'default';
    spec.serviceAccount ??= spec.serviceAccountName;
    spec.enableServiceLinks ??= true;
    spec.preemptionPolicy ??= 'PreemptLowerPriority';
    spec.priority ??= 0;
    spec.tolerations ??= [
      { key: 'node.kubernetes.io/not-ready', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
      { key: 'node.kubernetes.io/unreachable', operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 300 },
    ];
  }
}

function defaultTemplate(t: PodTemplateSpec | undefined): void {
  if (!isRecord(t)) return;
  t.metadata ??= {};
  if (isRecord(t.spec)) defaultPodSpec(t.spec, false);
}

export function applyDefaults(resource: string, obj: KObject): void {
  switch (resource) {
    case 'deployments': {
      const d = obj as Deployment;
      if (!isRecord(d.spec)) return;
      d.spec.replicas ??= 1;
      d.spec.strategy ??= {};
      d.spec.strategy.type ??= 'RollingUpdate';
      if (d.spec.strategy.type === 'RollingUpdate') {
        d.spec.strategy.rollingUpdate ??= {};
        d.spec.strategy.rollingUpdate.maxSurge ??= '25%';
        d.spec.strategy.rollingUpdate.maxUnavailable ??= '25%';
      }
      d.spec.revisionHistoryLimit ??= 10;
      d.spec.progressDeadlineSeconds ??= 600;
      defaultTemplate(d.spec.template);
      break;
    }
    case 'replicasets': {
      const rs = obj as ReplicaSet;
      if (!isRecord(rs.spec)) return;
      rs.spec.replicas ??= 1;
      defaultTemplate(rs.spec.template);
      break;
    }
    case 'pods': {
      const p = obj as Pod;
      if (isRecord(p.spec)) defaultPodSpec(p.spec, true);
      break;
    }
    case 'services': {
      const s = obj as Service;
      if (!isRecord(s.spec)) return;
      s.spec.type ??= 'ClusterIP';
      s.spec.sessionAffinity ??= 'None';
      s.spec.ipFamilies ??= ['IPv4'];
      s.spec.ipFamilyPolicy ??= 'SingleStack';
      s.spec.internalTrafficPolicy ??= 'Cluster';
      for (const p of s.spec.ports ?? []) {
        if (!isRecord(p)) continue;
        p.protocol ??= 'TCP';
        p.targetPort ??= p.port;
      }
      break;
    }
    case 'secrets': {
      obj.type ??= 'Opaque';
      if (isRecord(obj.stringData)) {
        const data = isRecord(obj.data) ? obj.data : {};
        for (const [k, v] of Object.entries(obj.stringData)) data[k] = Buffer.from(String(v)).toString('base64');
        obj.data = data;
        delete obj.stringData;
      }
      break;
    }
    case 'namespaces': {
      obj.spec = isRecord(obj.spec) ? obj.spec : {};
      (obj.spec as Record<string, unknown>).finalizers ??= ['kubernetes'];
      obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': obj.metadata.name ?? '' };
      break;
    }
  }
}
