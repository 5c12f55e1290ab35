/** Server-side printing: `meta.k8s.io/v1` Table objects with the columns the real API server serves. */
import { selectorString } from './selectors.ts';
import type { Container, Deployment, KObject, Pod, ReplicaSet, Service } from './types.ts';

interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  format?: string;
  description: string;
  priority: number;
}

const col = (name: string, type: Column['type'] = 'string', priority = 0, format = ''): Column => ({
  name,
  type,
  format,
  description: name === 'Name' ? 'Name must be unique within a namespace.' : name,
  priority,
});

/** Go's duration.HumanDuration, as kubectl shows ages. */
export function humanDuration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < -1) return '<invalid>';
  if (s < 0) return '0s';
  if (s < 120) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 10) return s % 60 === 0 ? `${m}m` : `${m}m${s % 60}s`;
  if (m < 180) return `${m}m`;
  const h = Math.floor(m / 60);
  if (h < 8) return m % 60 === 0 ? `${h}h` : `${h}h${m % 60}m`;
  if (h < 48) return `${h}h`;
  const d = Math.floor(h / 24);
  if (h < 192) return h % 24 === 0 ? `${d}d` : `${d}d${h % 24}h`;
  if (d < 365 * 2) return `${d}d`;
  return `${Math.floor(d / 365)}y`;
}

function age(ts: string | null | undefined): string {
  if (!ts) return '<unknown>';
  return humanDuration(Date.now() - Date.parse(ts));
}

export function podStatusReason(p: Pod): { reason: string; ready: number; total: number; restarts: string } {
  const st = p.status ?? {};
  let reason = (st.reason as string) || st.phase || 'Pending';
  let ready = 0;
  let restarts = 0;
  let lastRestart = 0;
  let hasRunning = false;
  const statuses = st.containerStatuses ?? [];
  for (let i = statuses.length - 1; i >= 0; i--) {
    const c = statuses[i]!;
    restarts += c.restartCount;
    const fin = c.lastState?.terminated?.finishedAt;
    if (fin) lastRestart = Math.max(lastRestart, Date.parse(fin));
    if (c.state.waiting?.reason) reason = c.state.waiting.reason;
    else if (c.state.terminated?.reason) reason = c.state.terminated.reason;
    else if (c.state.terminated) reason = `ExitCode:${c.state.terminated.exitCode}`;
    else if (c.ready && c.state.running) {
      hasRunning = true;
      ready++;
    }
  }
  if (reason === 'Completed' && hasRunning)
    reason = st.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? 'Running' : 'NotReady';
  if (p.metadata.deletionTimestamp) reason = 'Terminating';
  const r = lastRestart && restarts ? `${restarts} (${humanDuration(Date.now() - lastRestart)} ago)` : String(restarts);
  return { reason, ready, total: p.spec?.containers?.length ?? 0, restarts: r };
}

function containersAndImages(cs: Container[] | undefined): [string, string] {
  return [(cs ?? []).map((c) => c.name).join(','), (cs ?? []).map((c) => c.image ?? '').join(',')];
}

interface Printer {
  columns: Column[];
  row(o: KObject): unknown[];
}

const PRINTERS: Record<string, Printer> = {
  pods: {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Ready'),
      col('Status'),
      col('Restarts'),
      col('Age', 'string'),
      col('IP', 'string', 1),
      col('Node', 'string', 1),
      col('Nominated Node', 'string', 1),
      col('Readiness Gates', 'string', 1),
    ],
    row(o) {
      const p = o as Pod;
      const s = podStatusReason(p);
      return [
        p.metadata.name,
        `${s.ready}/${s.total}`,
        s.reason,
        s.restarts,
        age(p.metadata.creationTimestamp),
        p.status?.podIP ?? '<none>',
        p.spec?.nodeName ?? '<none>',
        '<none>',
        '<none>',
      ];
    },
  },
  deployments: {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Ready'),
      col('Up-to-date', 'integer'),
      col('Available', 'integer'),
      col('Age'),
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    row(o) {
      const d = o as Deployment;
      const [c, i] = containersAndImages(d.spec?.template?.spec?.containers);
      return [
        d.metadata.name,
        `${d.status?.readyReplicas ?? 0}/${d.spec?.replicas ?? 0}`,
        d.status?.updatedReplicas ?? 0,
        d.status?.availableReplicas ?? 0,
        age(d.metadata.creationTimestamp),
        c,
        i,
        selectorString(d.spec?.selector),
      ];
    },
  },
  replicasets: {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Desired', 'integer'),
      col('Current', 'integer'),
      col('Ready', 'integer'),
      col('Age'),
      col('Containers', 'string', 1),
      col('Images', 'string', 1),
      col('Selector', 'string', 1),
    ],
    row(o) {
      const r = o as ReplicaSet;
      const [c, i] = containersAndImages(r.spec?.template?.spec?.containers);
      return [
        r.metadata.name,
        r.spec?.replicas ?? 0,
        r.status?.replicas ?? 0,
        r.status?.readyReplicas ?? 0,
        age(r.metadata.creationTimestamp),
        c,
        i,
        selectorString(r.spec?.selector),
      ];
    },
  },
  services: {
    columns: [
      col('Name', 'string', 0, 'name'),
      col('Type'),
      col('Cluster-IP'),
      col('External-IP'),
      col('Port(s)'),
      col('Age'),
      col('Selector', 'string', 1),
    ],
    row(o) {
      const s = o as Service;
      const ports =
        (s.spec?.ports ?? []).map((p) => `${p.port}${p.nodePort ? `:${p.nodePort}` : ''}/${p.protocol ?? 'TCP'}`).join(',') || '<none>';
      const sel = Object.entries(s.spec?.selector ?? {})
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const lb = (s.status as { loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] } } | undefined)?.loadBalancer;
      const ingress = (lb?.ingress ?? []).map((i) => i.ip ?? i.hostname ?? '').filter(Boolean);
      const external =
        [...ingress, ...((s.spec?.externalIPs as string[] | undefined) ?? [])].join(',') ||
        (s.spec?.type === 'LoadBalancer' ? '<pending>' : '<none>');
      return [
        s.metadata.name,
        s.spec?.type ?? 'ClusterIP',
        s.spec?.clusterIP ?? '<none>',
        external,
        ports,
        age(s.metadata.creationTimestamp),
        sel || '<none>',
      ];
    },
  },
  namespaces: {
    columns: [col('Name', 'string', 0, 'name'), col('Status'), col('Age')],
    row: (o) => [o.metadata.name, (o.status as { phase?: string } | undefined)?.phase ?? 'Active', age(o.metadata.creationTimestamp)],
  },
  configmaps: {
    columns: [col('Name', 'string', 0, 'name'), col('Data', 'integer'), col('Age')],
    row: (o) => [
      o.metadata.name,
      Object.keys((o.data as object) ?? {}).length + Object.keys((o.binaryData as object) ?? {}).length,
      age(o.metadata.creationTimestamp),
    ],
  },
  secrets: {
    columns: [col('Name', 'string', 0, 'name'), col('Type'), col('Data', 'integer'), col('Age')],
    row: (o) => [
      o.metadata.name,
      (o.type as string) ?? 'Opaque',
      Object.keys((o.data as object) ?? {}).length,
      age(o.metadata.creationTimestamp),
    ],
  },
  serviceaccounts: {
    columns: [col('Name', 'string', 0, 'name'), col('Secrets', 'integer'), col('Age')],
    row: (o) => [o.metadata.name, ((o.secrets as unknown[]) ?? []).length, age(o.metadata.creationTimestamp)],
  },
  events: {
    columns: [
      col('Last Seen'),
      col('Type'),
      col('Reason'),
      col('Object'),
      col('Subobject', 'string', 1),
      col('Source', 'string', 1),
      col('Message'),
      col('First Seen', 'string', 1),
      col('Count', 'integer', 1),
      col('Name', 'string', 1, 'name'),
    ],
    row(o) {
      const io = (o.involvedObject ?? {}) as Record<string, string>;
      const src = (o.source ?? {}) as Record<string, string>;
      return [
        age(o.lastTimestamp as string),
        o.type,
        o.reason,
        `${String(io.kind ?? '').toLowerCase()}/${io.name ?? ''}`,
        io.fieldPath ?? '',
        src.host ? `${src.component}, ${src.host}` : (src.component ?? ''),
        o.message,
        age(o.firstTimestamp as string),
        o.count ?? 1,
        o.metadata.name,
      ];
    },
  },
};

function partial(o: KObject, include: string): unknown {
  if (include === 'None') return undefined;
  if (include === 'Object') return o;
  return { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata };
}

export function toTable(
  resource: string,
  objects: KObject[],
  resourceVersion: string,
  include = 'Metadata',
  withColumns = true,
): Record<string, unknown> {
  const p = PRINTERS[resource] ?? {
    columns: [col('Name', 'string', 0, 'name'), col('Age')],
    row: (o: KObject) => [o.metadata.name, age(o.metadata.creationTimestamp)],
  };
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    columnDefinitions: withColumns ? p.columns : [],
    rows: objects.map((o) => {
      const row: Record<string, unknown> = { cells: p.row(o) };
      const obj = partial(o, include);
      if (obj !== undefined) row.object = obj;
      return row;
    }),
  };
}
