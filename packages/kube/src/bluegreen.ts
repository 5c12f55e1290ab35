/**
 * Blue-green deploys without a controller. A workload NAME is two Deployments, NAME-blue and
 * NAME-green (identical but for the colour label and the images), and the active Service NAME
 * whose selector names the live colour; an optional preview Service (default NAME-preview)
 * selects the idle colour. The live colour is read from the active Service, never guessed.
 *
 * A deploy, per workload and all workloads in parallel:
 *   1. the idle colour gets the new images (or the manifests' template), live replicas;
 *   2. wait with the rolling strategy's watches and fail-fast diagnosis;
 *   3. pre-switch checks through the preview Service (health path through the API server's
 *      Service proxy, metric checks `phase: pre`);
 *   4. switch: ONE patch of the active Service (selector + annotations, resourceVersion as
 *      precondition, so a concurrent change makes it fail with nothing changed);
 *   5. post-switch checks through the active Service for the analysis duration;
 *   6. success: the old colour is scaled to zero after the scale-down delay (never: kept).
 * Failure at 1-3: the active Service is never touched; the idle Deployment goes back to zero.
 * Failure at 5: the selector goes back at once, the old pods are waited Ready, the failed colour
 * goes to zero. With rollback-scope `all`, one failure switches back every workload this run
 * switched. The active Service's annotations record the live and the previous release (colour,
 * images, revision, pod template, switch time), so `rollbackBlueGreen` returns to the previous
 * release even when a failed release has since left its template in that colour's Deployment.
 * A lock annotation on the active Service makes a second deploy of the same workload refuse.
 */
import { errorMessage, type Logger, UserError } from '@tripo04os/common';
import { type GateResult, type MetricCheck, type PrometheusClient, runGate } from '@tripo04os/metrics';
import { readObject, serverSideApply } from './apply.ts';
import { KubeApiError, type KubeClient } from './client.ts';
import { type Diagnosis, diagnose, formatDiagnosis } from './diagnose.ts';
import { type ImageEntry, resolveContainer } from './images.ts';
import { type LoadedObject, type Manifest, objectPath } from './manifests.ts';
import { waitForRollout } from './rollout.ts';
import { containerImages, type Deployment, type Pod, type PodTemplate, type ReplicaSet, revisionOf } from './types.ts';

export const COLORS = ['blue', 'green'] as const;
export type Color = (typeof COLORS)[number];
const other = (c: Color): Color => (c === 'blue' ? 'green' : 'blue');

/** Annotations on the active Service. */
export const ANN = {
  live: 'bluegreen.tripo04os.io/live',
  previous: 'bluegreen.tripo04os.io/previous',
  lock: 'bluegreen.tripo04os.io/lock',
} as const;

/** What the active Service records about a release. */
export interface Release {
  color: Color;
  images: Record<string, string>;
  revision: number | null;
  /** When the Service was switched to it. */
  switchedAt: string;
  /** The pod template (so a rollback can restore it when a failed release overwrote it). */
  template?: PodTemplate;
}

export interface Service {
  apiVersion?: string;
  kind?: string;
  metadata: {
    name: string;
    namespace?: string;
    resourceVersion?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec: {
    selector?: Record<string, string>;
    ports?: { name?: string; port: number; targetPort?: number | string; protocol?: string }[];
    type?: string;
    [k: string]: unknown;
  };
}

export interface TimelineEntry {
  /** Seconds since the run started. */
  t: number;
  step: string;
  message: string;
}

export type WorkloadStatus = 'switched' | 'rolled back' | 'not switched' | 'aborted' | 'failed';

export interface WorkloadResult {
  namespace: string;
  name: string;
  colorBefore: Color | null;
  colorAfter: Color | null;
  imagesBefore: Record<string, string>;
  imagesAfter: Record<string, string>;
  /** The images this run tried when they are not live after it. */
  imagesTried?: Record<string, string>;
  status: WorkloadStatus;
  seconds: number;
  message?: string;
  /** Seconds from the step start to the switch, when it switched. */
  switchedAfter?: number;
  health: { phase: 'pre' | 'post'; ok: boolean; message: string }[];
  checks: GateResult[];
  timeline: TimelineEntry[];
  /** What happens to the old colour (scaled down, kept). */
  oldColor?: string;
}

export interface BlueGreenReport {
  ok: boolean;
  workloads: WorkloadResult[];
  failure?: string;
  diagnoses: Diagnosis[];
  rolledBack: boolean;
  rollback: string[];
}

export interface HealthOptions {
  /** Path requested through the Service proxy, e.g. /health. */
  path: string;
  expect: [number, number];
  retries: number;
  intervalMs: number;
}

export interface BlueGreenOptions {
  client: KubeClient;
  logger: Logger;
  namespace: string;
  /** `NAME=image` entries: NAME is the workload. */
  images: readonly ImageEntry[];
  /** Manifests: Deployment NAME gives the template; Service NAME the active Service; other kinds are not handled here. */
  objects: readonly LoadedObject[];
  colorLabel: string;
  /** Name of the preview Service for a workload (undefined: no preview Service). */
  previewService?: (name: string) => string;
  previewReplicas?: number;
  timeoutMs: number;
  failureGraceMs: number;
  health?: HealthOptions;
  gate?: { client: PrometheusClient; checks: readonly MetricCheck[] };
  analysisDurationMs: number;
  /** null: never scale the old colour down. */
  scaleDownDelayMs: number | null;
  rollbackScope: 'all' | 'failed';
  /** Who holds the lock (run URL) and change-cause context. */
  owner: string;
  annotations?: Record<string, string>;
  /** Called when a workload switches (benchmarks). */
  onSwitch?: (name: string, at: number) => void;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<boolean>((resolve) => {
    if (signal?.aborted) return resolve(false);
    const t = setTimeout(() => resolve(true), ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve(false);
      },
      { once: true },
    );
  });

function parseRelease(text: string | undefined): Release | undefined {
  if (!text) return undefined;
  try {
    const r = JSON.parse(text) as Release;
    return COLORS.includes(r.color) ? r : undefined;
  } catch {
    return undefined;
  }
}

const colorName = (name: string, c: Color) => `${name}-${c}`;

/** The template without what the API server fills in, for copying between colours. */
function cleanTemplate(t: PodTemplate, colorLabel: string, color: Color): PodTemplate {
  const copy = structuredClone(t);
  copy.metadata = { ...(copy.metadata ?? {}), labels: { ...(copy.metadata?.labels ?? {}), [colorLabel]: color } };
  delete (copy.metadata.labels as Record<string, string>)['pod-template-hash'];
  delete (copy.metadata as Record<string, unknown>).creationTimestamp;
  return copy;
}

function colorDeployment(
  base: { selector: Record<string, string>; template: PodTemplate; replicas: number; spec?: Record<string, unknown> },
  ns: string,
  name: string,
  color: Color,
  colorLabel: string,
  annotations: Record<string, string>,
): Manifest {
  const spec: Record<string, unknown> = { ...(base.spec ?? {}) };
  for (const k of ['selector', 'template', 'replicas', 'paused']) delete spec[k];
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: colorName(name, color), namespace: ns, labels: { app: name, [colorLabel]: color }, annotations },
    spec: {
      ...spec,
      replicas: base.replicas,
      selector: { matchLabels: { ...base.selector, [colorLabel]: color } },
      template: cleanTemplate(base.template, colorLabel, color),
    },
  };
}

/** GET through the API server's Service proxy; the status and up to 200 characters of the body. */
async function proxyGet(client: KubeClient, ns: string, svc: Service, path: string): Promise<{ status: number; body: string }> {
  const port = svc.spec.ports?.[0]?.port ?? 80;
  const r = await client.get(
    `/api/v1/namespaces/${encodeURIComponent(ns)}/services/${encodeURIComponent(svc.metadata.name)}:${port}/proxy${path.startsWith('/') ? path : `/${path}`}`,
  );
  return { status: r.status, body: r.body.slice(0, 200) };
}

/** The health path through a Service, at a fixed interval, until it answers in range. */
async function healthThrough(
  client: KubeClient,
  ns: string,
  svc: Service,
  h: HealthOptions,
  logger: Logger,
  signal?: AbortSignal,
): Promise<{ ok: boolean; message: string }> {
  const where = `${h.path} through Service ${ns}/${svc.metadata.name}`;
  let last = '';
  for (let i = 1; i <= h.retries; i++) {
    try {
      const r = await proxyGet(client, ns, svc, h.path);
      if (r.status >= h.expect[0] && r.status <= h.expect[1]) return { ok: true, message: `${where} answered ${r.status}` };
      last = `HTTP ${r.status}`;
    } catch (err) {
      last = errorMessage(err);
    }
    logger.info(`Health check ${where} attempt ${i}/${h.retries}: ${last} (expected ${h.expect[0]}-${h.expect[1]})`);
    if (i < h.retries && !(await sleep(h.intervalMs, signal))) return { ok: false, message: `health check ${where} stopped` };
  }
  return {
    ok: false,
    message: `health check ${where} failed after ${h.retries} attempts: ${last} (expected ${h.expect[0]}-${h.expect[1]})`,
  };
}

interface Plan {
  name: string;
  service?: Service;
  /** The live colour, or undefined on the first deploy. */
  live?: Color;
  liveDeployment?: Deployment;
  /** First deploy: the Deployment NAME the blue stack is made from. */
  legacy?: Deployment;
  /** Selector labels without the colour. */
  selector: Record<string, string>;
  template: PodTemplate;
  replicas: number;
  spec?: Record<string, unknown>;
  serviceManifest?: Manifest;
  images: Record<string, string>;
}

/** Reads what is there and refuses, before any change, what cannot be deployed safely. */
async function planWorkload(o: BlueGreenOptions, name: string): Promise<Plan> {
  const { client, namespace: ns, colorLabel } = o;
  const get = async <T>(kind: string, n: string) => {
    try {
      return await readObject<T>(client, kind, ns, n);
    } catch (err) {
      throw await client.explain(err, `get ${kind === 'Service' ? 'services' : 'deployments'} in namespace ${ns}`);
    }
  };
  const [service, blue, green, legacy] = await Promise.all([
    get<Service>('Service', name),
    get<Deployment>('Deployment', colorName(name, 'blue')),
    get<Deployment>('Deployment', colorName(name, 'green')),
    get<Deployment>('Deployment', name),
  ]);
  const manifest = o.objects.find((x) => x.object.kind === 'Deployment' && x.object.metadata.name === name)?.object as unknown as
    | Deployment
    | undefined;
  const serviceManifest = o.objects.find((x) => x.object.kind === 'Service' && x.object.metadata.name === name)?.object;
  const byColor = { blue, green };
  const raw = service?.spec.selector?.[colorLabel];
  const lock = service?.metadata.annotations?.[ANN.lock];
  if (lock) {
    const l = JSON.parse(lock) as { owner?: string; since?: string };
    throw new UserError(
      `Service ${ns}/${name} is locked by another blue-green deploy (${l.owner ?? 'unknown'}, since ${l.since ?? '?'}): this run refuses rather than waits; when that run is gone, remove the lock with kubectl -n ${ns} annotate service ${name} ${ANN.lock}-`,
    );
  }
  let live: Color | undefined;
  if (raw !== undefined) {
    if (!COLORS.includes(raw as Color))
      throw new UserError(
        `Service ${ns}/${name} selects ${colorLabel}=${raw}, which is neither blue nor green (input 'color-label' is '${colorLabel}')`,
      );
    live = raw as Color;
    if (!byColor[live])
      throw new UserError(`Service ${ns}/${name} selects ${colorLabel}=${live} but Deployment ${colorName(name, live)} does not exist`);
  } else if (blue && green) {
    throw new UserError(
      `Service ${ns}/${name} has no '${colorLabel}' in its selector while ${name}-blue and ${name}-green both exist, so the live colour is unknown: set it to the colour that serves (kubectl -n ${ns} patch service ${name} -p '{"spec":{"selector":{"${colorLabel}":"blue"}}}') and run again`,
    );
  }
  const liveDeployment = live ? byColor[live] : undefined;
  let source: Deployment | undefined;
  if (manifest) source = manifest;
  else if (liveDeployment) source = liveDeployment;
  else if (legacy) source = legacy;
  else if (blue || green) source = (blue ?? green) as Deployment;
  if (!source)
    throw new UserError(
      `Workload '${name}' has no blue-green stack in namespace '${ns}' and nothing to make one from: give a Deployment manifest named ${name} or create Deployment ${name} first`,
    );
  const baseSelector = { ...(source.spec.selector?.matchLabels ?? {}) };
  delete baseSelector[colorLabel];
  if (service && live) {
    const sel = { ...(service.spec.selector ?? {}) };
    delete sel[colorLabel];
    // The Service must select our pods only.
    const podLabels = liveDeployment?.spec.template.metadata?.labels ?? {};
    const mismatch = Object.entries(sel).filter(([k, v]) => podLabels[k] !== v);
    if (mismatch.length)
      throw new UserError(
        `Service ${ns}/${name} selects ${mismatch.map(([k, v]) => `${k}=${v}`).join(',')}, which the pods of ${colorName(name, live)} do not carry: it does not select this workload's pods`,
      );
    const selector = Object.entries(service.spec.selector ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await client.request<{ items: Pod[] }>('GET', `/api/v1/namespaces/${encodeURIComponent(ns)}/pods`, {
      query: { labelSelector: selector },
    });
    const rss = await client.request<{ items: ReplicaSet[] }>('GET', `/apis/apps/v1/namespaces/${encodeURIComponent(ns)}/replicasets`);
    const ours = new Set(
      rss.items
        .filter((rs) =>
          rs.metadata.ownerReferences?.some(
            (r) => r.kind === 'Deployment' && (r.name === colorName(name, 'blue') || r.name === colorName(name, 'green')),
          ),
        )
        .map((rs) => rs.metadata.name),
    );
    const foreign = pods.items.filter((p) => !p.metadata.ownerReferences?.some((r) => r.kind === 'ReplicaSet' && ours.has(r.name)));
    if (foreign.length)
      throw new UserError(
        `Service ${ns}/${name} selects pods that are not ${name}-blue's or ${name}-green's (${foreign
          .slice(0, 3)
          .map((p) => p.metadata.name)
          .join(', ')}): make its selector specific to this workload before a blue-green deploy`,
      );
  }
  const template = structuredClone(manifest ? manifest.spec.template : source.spec.template);
  const containers = template.spec?.containers ?? [];
  for (const e of o.images.filter((x) => x.deployment === name)) {
    const c = resolveContainer(e, containers, template.spec?.initContainers ?? []);
    const list = c.init ? (template.spec?.initContainers ?? []) : containers;
    const target = list.find((x) => x.name === c.name);
    if (target) target.image = e.image;
  }
  return {
    name,
    service,
    live,
    liveDeployment,
    legacy: live || blue || green ? undefined : legacy,
    selector: baseSelector,
    template,
    replicas: liveDeployment?.spec.replicas ?? source.spec.replicas ?? 1,
    spec: (manifest ?? source).spec as Record<string, unknown>,
    serviceManifest,
    images: containerImages(template),
  };
}

class Run {
  readonly o: BlueGreenOptions;
  readonly started = Date.now();
  /** Aborted when the run must stop (a failure with rollback-scope all). */
  readonly stop = new AbortController();
  readonly report: BlueGreenReport = { ok: false, workloads: [], diagnoses: [], rolledBack: false, rollback: [] };
  constructor(o: BlueGreenOptions) {
    this.o = o;
  }
  t(): number {
    return Math.round((Date.now() - this.started) / 100) / 10;
  }
}

interface State {
  plan: Plan;
  r: WorkloadResult;
  idle: Color;
  /** The active Service as this run last wrote it. */
  service?: Service;
  switched: boolean;
  /** Annotations of the Service before the run (restored on switch back). */
  annotationsBefore: Record<string, string>;
  idleDeployment?: Deployment;
  failed: boolean;
}

function note(run: Run, s: State, step: string, message: string, level: 'info' | 'warning' = 'info'): void {
  s.r.timeline.push({ t: run.t(), step, message });
  run.o.logger[level](`${s.plan.name}: ${message}`);
}

async function scale(client: KubeClient, ns: string, name: string, replicas: number): Promise<void> {
  await client.request('PATCH', `${objectPath('Deployment', ns, name)}/scale`, {
    body: { spec: { replicas } },
    contentType: 'application/merge-patch+json',
  });
}

/** The patch that switches the active Service; resourceVersion makes it fail if anyone changed the Service meanwhile. */
async function patchService(client: KubeClient, svc: Service, body: Record<string, unknown>, precondition: boolean): Promise<Service> {
  const meta = (body.metadata as Record<string, unknown> | undefined) ?? {};
  return client.request<Service>('PATCH', objectPath('Service', svc.metadata.namespace, svc.metadata.name), {
    body: { ...body, metadata: { ...meta, ...(precondition ? { resourceVersion: svc.metadata.resourceVersion } : {}) } },
    contentType: 'application/merge-patch+json',
  });
}

/** Puts the lock on the active Service (or creates it, first deploy). */
async function lockAndPrepareService(run: Run, s: State): Promise<void> {
  const { client, namespace: ns, colorLabel } = run.o;
  const lock = JSON.stringify({ owner: run.o.owner, since: new Date().toISOString() });
  const { plan } = s;
  if (plan.service) {
    try {
      s.service = await patchService(client, plan.service, { metadata: { annotations: { [ANN.lock]: lock } } }, true);
    } catch (err) {
      if (err instanceof KubeApiError && err.status === 409)
        throw new UserError(`Service ${ns}/${plan.name} changed while this run read it (another deploy?): run again`);
      throw await client.explain(err, `patch services in namespace ${ns}`);
    }
    return;
  }
  // First deploy and no Service: create it selecting blue (which is about to exist).
  const m = plan.serviceManifest
    ? structuredClone(plan.serviceManifest)
    : ({
        apiVersion: 'v1',
        kind: 'Service',
        metadata: { name: plan.name, namespace: ns },
        spec: {
          selector: plan.selector,
          ports: (plan.template.spec?.containers ?? [])
            .flatMap((c) => ((c.ports as { containerPort: number }[] | undefined) ?? []).map((p) => p.containerPort))
            .slice(0, 1)
            .map((p) => ({ port: p, targetPort: p })),
        },
      } as unknown as Manifest);
  const spec = (m.spec as Service['spec']) ?? {};
  if (!spec.ports?.length) spec.ports = [{ port: 80, targetPort: 80 }];
  spec.selector = { ...(spec.selector ?? plan.selector), [colorLabel]: 'blue' };
  m.spec = spec;
  m.metadata = { ...m.metadata, namespace: ns, annotations: { ...(m.metadata.annotations ?? {}), [ANN.lock]: lock } };
  s.service = await serverSideApply<Service>(client, m);
  note(run, s, 'service', `created Service ${ns}/${plan.name} selecting ${colorLabel}=blue`);
}

async function releaseLock(run: Run, s: State): Promise<void> {
  if (!s.service) return;
  try {
    s.service = await patchService(run.o.client, s.service, { metadata: { annotations: { [ANN.lock]: null } } }, false);
  } catch (err) {
    run.report.rollback.push(`Service ${run.o.namespace}/${s.plan.name}: could not remove the lock: ${errorMessage(err)}`);
  }
}

/** Applies a colour's Deployment and waits for it; false (with a diagnosis) on failure. */
async function bringUp(run: Run, s: State, color: Color, replicas: number, template: PodTemplate): Promise<boolean> {
  const { client, namespace: ns, colorLabel } = run.o;
  const m = colorDeployment(
    { selector: s.plan.selector, template, replicas, spec: s.plan.spec },
    ns,
    s.plan.name,
    color,
    colorLabel,
    run.o.annotations ?? {},
  );
  let applied: Deployment;
  try {
    applied = await serverSideApply<Deployment>(client, m);
  } catch (err) {
    s.r.message = `could not apply Deployment ${m.metadata.name}: ${errorMessage(await client.explain(err, `patch deployments in namespace ${ns}`))}`;
    return false;
  }
  s.idleDeployment = applied;
  const w = await waitForRollout(client, applied, {
    timeoutMs: run.o.timeoutMs,
    failureGraceMs: run.o.failureGraceMs,
    logger: run.o.logger,
    signal: run.stop.signal,
  });
  if (w.ok) {
    s.idleDeployment = w.deployment;
    return true;
  }
  s.r.message = `Deployment ${m.metadata.name}: ${w.message}`;
  if (w.reason !== 'Aborted' && w.reason !== 'WatchFailed') {
    const d = await diagnose(client, w.deployment, w.reason, w.message, { preferPods: w.pods });
    run.report.diagnoses.push(d);
    await run.o.logger.group(`Diagnosis of ${d.namespace}/${d.deployment}`, async () => run.o.logger.info(formatDiagnosis(d)));
  }
  return false;
}

async function ensurePreview(run: Run, s: State, color: Color): Promise<Service | undefined> {
  const { o } = run;
  if (!o.previewService || !s.service) return undefined;
  const name = o.previewService(s.plan.name);
  const sel = { ...(s.service.spec.selector ?? {}), [o.colorLabel]: color };
  const m = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name, namespace: o.namespace, labels: { 'bluegreen.tripo04os.io/preview-of': s.plan.name } },
    spec: {
      selector: sel,
      ports: (s.service.spec.ports ?? []).map((p) => ({ name: p.name, port: p.port, targetPort: p.targetPort, protocol: p.protocol })),
    },
  } as unknown as Manifest;
  const svc = await serverSideApply<Service>(o.client, m);
  note(run, s, 'preview', `preview Service ${o.namespace}/${name} selects ${o.colorLabel}=${color}`);
  return svc;
}

async function checks(run: Run, s: State, phase: 'pre' | 'post', svc: Service, signal: AbortSignal): Promise<string | undefined> {
  const { o } = run;
  const vars = { color: s.idle, namespace: o.namespace, deployment: colorName(s.plan.name, s.idle), service: svc.metadata.name };
  const local = new AbortController();
  const onStop = () => local.abort();
  signal.addEventListener('abort', onStop, { once: true });
  const tasks: Promise<string | undefined>[] = [];
  if (o.health)
    tasks.push(
      healthThrough(o.client, o.namespace, svc, o.health, o.logger, local.signal).then((h) => {
        s.r.health.push({ phase, ...h });
        note(run, s, `${phase}-health`, h.message, h.ok ? 'info' : 'warning');
        if (!h.ok) local.abort();
        return h.ok ? undefined : h.message;
      }),
    );
  if (o.gate?.checks.some((c) => c.phase === phase))
    tasks.push(
      runGate({
        client: o.gate.client,
        checks: o.gate.checks,
        phase,
        vars,
        logger: o.logger,
        durationMs: phase === 'post' ? o.analysisDurationMs : undefined,
        signal: local.signal,
      }).then((g) => {
        s.r.checks.push(g);
        note(run, s, `${phase}-metrics`, g.message, g.verdict === 'pass' ? 'info' : 'warning');
        if (g.verdict !== 'pass') {
          local.abort();
          return g.verdict === 'inconclusive' ? `${g.message} (inconclusive: not switching)` : g.message;
        }
        return undefined;
      }),
    );
  const results = await Promise.all(tasks);
  signal.removeEventListener('abort', onStop);
  return results.find((x) => x !== undefined) ?? (signal.aborted ? 'stopped: another workload failed' : undefined);
}

function liveRelease(color: Color, d: Deployment | undefined, template: PodTemplate): Release {
  return { color, images: containerImages(template), revision: revisionOf(d) ?? null, switchedAt: new Date().toISOString(), template };
}

/** Switches the active Service back to the colour it had and waits for those pods. */
async function switchBack(run: Run, s: State, why: string): Promise<void> {
  const { client, namespace: ns, colorLabel } = run.o;
  const back = s.plan.live as Color;
  const ann: Record<string, string | null> = { [ANN.live]: null, [ANN.previous]: null };
  for (const [k, v] of Object.entries(s.annotationsBefore)) if (k === ANN.live || k === ANN.previous) ann[k] = v;
  try {
    s.service = await patchService(
      client,
      s.service as Service,
      { spec: { selector: { [colorLabel]: back } }, metadata: { annotations: ann } },
      false,
    );
  } catch (err) {
    s.r.message = `${s.r.message ?? why}; switching back to ${back} FAILED: ${errorMessage(err)}`;
    run.report.rollback.push(`Service ${ns}/${s.plan.name}: switching back to ${back} failed: ${errorMessage(err)}`);
    return;
  }
  s.switched = false;
  s.r.colorAfter = back;
  s.r.status = 'rolled back';
  s.r.imagesAfter = s.r.imagesBefore;
  note(run, s, 'switch-back', `switched Service ${ns}/${s.plan.name} back to ${back} (${why})`, 'warning');
  const old = s.plan.liveDeployment as Deployment;
  const w = await waitForRollout(client, old, { timeoutMs: run.o.timeoutMs, logger: run.o.logger, watchPods: false });
  note(
    run,
    s,
    'old-ready',
    w.ok ? `${colorName(s.plan.name, back)} pods are Ready behind ${s.plan.name}` : `${colorName(s.plan.name, back)}: ${w.message}`,
  );
  run.report.rollback.push(`Service ${ns}/${s.plan.name}: back to ${back} (${Object.values(s.r.imagesBefore).join(', ')})`);
  run.report.rolledBack = true;
}

/** A first deploy: the Service selects the blue stack just made and records it as the live release. */
function selectFirstBlue(run: Run, s: State, template: PodTemplate): Promise<Service> {
  const { client, colorLabel } = run.o;
  return patchService(
    client,
    s.service as Service,
    {
      spec: { selector: { ...s.plan.selector, [colorLabel]: 'blue' } },
      metadata: {
        annotations: { [ANN.live]: JSON.stringify(liveRelease('blue', s.idleDeployment, cleanTemplate(template, colorLabel, 'blue'))) },
      },
    },
    false,
  );
}

/** Steps 1-5 for one workload. */
async function deployWorkload(run: Run, s: State): Promise<void> {
  const { o } = run;
  const { client, namespace: ns, colorLabel } = o;
  const { plan } = s;
  await lockAndPrepareService(run, s);
  s.annotationsBefore = { ...(plan.service?.metadata.annotations ?? {}) };
  delete s.annotationsBefore[ANN.lock];

  // First deploy: the blue stack from Deployment NAME (same images: traffic does not change), then the Service selects it.
  if (!plan.live && plan.legacy) {
    note(run, s, 'bootstrap', `first blue-green deploy: creating ${colorName(plan.name, 'blue')} from Deployment ${plan.name}`);
    const tpl = plan.legacy.spec.template;
    if (!(await bringUp(run, s, 'blue', plan.legacy.spec.replicas ?? 1, tpl))) {
      s.failed = true;
      return;
    }
    s.service = await selectFirstBlue(run, s, tpl);
    note(
      run,
      s,
      'bootstrap',
      `Service ${ns}/${plan.name} now selects ${colorLabel}=blue (Deployment ${plan.name} is left as it is: delete it once green is live)`,
    );
    plan.live = 'blue';
    plan.liveDeployment = s.idleDeployment;
    s.r.colorBefore = 'blue';
    s.idle = 'green';
    s.annotationsBefore = { ...(s.service.metadata.annotations ?? {}) };
    delete s.annotationsBefore[ANN.lock];
  }

  if (!plan.live) {
    // The very first release: blue comes up, is checked, and the new Service already selects it.
    note(
      run,
      s,
      'deploy',
      `first blue-green deploy from the manifests: ${colorName(plan.name, 'blue')} with ${Object.values(plan.images).join(', ')}`,
    );
    s.idle = 'blue';
    if (!(await bringUp(run, s, 'blue', plan.replicas, plan.template))) {
      s.failed = true;
      return;
    }
    s.service = await selectFirstBlue(run, s, plan.template);
    s.switched = true;
    s.r.colorAfter = 'blue';
    s.r.status = 'switched';
    s.r.imagesAfter = plan.images;
    const err = await checks(run, s, 'post', s.service, run.stop.signal);
    if (err) {
      s.failed = true;
      s.r.status = 'failed';
      s.r.message = err;
    }
    return;
  }

  // 1-2. The idle colour with the new release.
  const idleName = colorName(plan.name, s.idle);
  const replicas = o.previewReplicas ?? plan.replicas;
  note(
    run,
    s,
    'deploy',
    `${idleName}: ${Object.values(plan.images).join(', ')} (${replicas} replica${replicas === 1 ? '' : 's'}); ${plan.live} serves`,
  );
  if (!(await bringUp(run, s, s.idle, replicas, plan.template))) {
    s.failed = true;
    s.r.status = run.stop.signal.aborted && !s.r.message?.includes('timed out') ? 'aborted' : 'not switched';
    note(run, s, 'ready', `${idleName} did not become available: ${s.r.message}`, 'warning');
    return;
  }
  note(run, s, 'ready', `${idleName} is available`);

  // 3. Pre-switch checks through the preview Service.
  const preview = await ensurePreview(run, s, s.idle);
  if (preview) {
    const err = await checks(run, s, 'pre', preview, run.stop.signal);
    if (err) {
      s.failed = true;
      s.r.status = 'not switched';
      s.r.message = `pre-switch check failed: ${err}`;
      return;
    }
  } else if (o.gate?.checks.some((c) => c.phase === 'pre') || o.health) {
    note(run, s, 'pre', 'no preview Service (preview-service: none): the pre-switch checks are skipped', 'warning');
  }
  if (o.previewReplicas !== undefined && o.previewReplicas !== plan.replicas) {
    note(run, s, 'scale', `${idleName}: scaling up to ${plan.replicas} before the switch`);
    if (!(await bringUp(run, s, s.idle, plan.replicas, plan.template))) {
      s.failed = true;
      s.r.status = 'not switched';
      return;
    }
  }
  if (run.stop.signal.aborted) {
    s.r.status = 'aborted';
    s.r.message = 'stopped before the switch: another workload failed';
    return;
  }

  // 4. The switch: one patch, failing if the Service changed since this run locked it.
  const previous = liveRelease(
    plan.live,
    plan.liveDeployment,
    cleanTemplate(plan.liveDeployment?.spec.template ?? plan.template, colorLabel, plan.live),
  );
  previous.switchedAt = parseRelease(s.annotationsBefore[ANN.live])?.switchedAt ?? previous.switchedAt;
  const live = liveRelease(s.idle, s.idleDeployment, cleanTemplate(plan.template, colorLabel, s.idle));
  try {
    s.service = await patchService(
      client,
      s.service as Service,
      {
        spec: { selector: { [colorLabel]: s.idle } },
        metadata: { annotations: { [ANN.live]: JSON.stringify(live), [ANN.previous]: JSON.stringify(previous) } },
      },
      true,
    );
  } catch (err) {
    const e = await client.explain(err, `patch services in namespace ${ns}`);
    s.failed = true;
    s.r.status = 'not switched';
    s.r.message =
      err instanceof KubeApiError && err.status === 409
        ? `the switch of Service ${ns}/${plan.name} was refused: it changed since this run read it (409 Conflict); nothing was switched`
        : `the switch of Service ${ns}/${plan.name} failed: ${errorMessage(e)}; nothing was switched`;
    note(run, s, 'switch', s.r.message, 'warning');
    return;
  }
  s.switched = true;
  s.r.colorAfter = s.idle;
  s.r.status = 'switched';
  s.r.imagesAfter = plan.images;
  s.r.switchedAfter = run.t();
  o.onSwitch?.(plan.name, Date.now());
  note(run, s, 'switch', `Service ${ns}/${plan.name} now selects ${colorLabel}=${s.idle}`);

  // 5. Post-switch checks for the analysis duration.
  const err = await checks(run, s, 'post', s.service, run.stop.signal);
  if (err && !run.stop.signal.aborted) {
    s.failed = true;
    s.r.message = `post-switch check failed: ${err}`;
    run.o.logger.warning(`${plan.name}: ${s.r.message}`);
    await switchBack(run, s, 'post-switch check failed');
  }
}

/** Deploys every workload blue-green, in parallel. */
export async function blueGreenDeploy(o: BlueGreenOptions): Promise<BlueGreenReport> {
  const run = new Run(o);
  const names = [
    ...new Set([
      ...o.images.map((e) => e.deployment),
      ...o.objects.filter((x) => x.object.kind === 'Deployment').map((x) => x.object.metadata.name),
    ]),
  ];
  if (names.length === 0)
    throw new UserError("Input 'images' has no value: give the workloads to deploy (NAME=image) or Deployment manifests");
  const plans = await o.logger.group('Checking the cluster', () => Promise.all(names.map((n) => planWorkload(o, n))));
  for (const p of plans)
    o.logger.info(
      p.live
        ? `${p.name}: ${p.live} serves (${Object.values(containerImages(p.liveDeployment?.spec.template)).join(', ')}); deploying to ${other(p.live)}`
        : p.legacy
          ? `${p.name}: no colour yet; the blue stack will be made from Deployment ${p.name}`
          : `${p.name}: no colour yet; the blue stack will be made from the manifests`,
    );
  const states: State[] = plans.map((plan) => ({
    plan,
    idle: plan.live ? other(plan.live) : 'blue',
    switched: false,
    failed: false,
    annotationsBefore: {},
    r: {
      namespace: o.namespace,
      name: plan.name,
      colorBefore: plan.live ?? null,
      colorAfter: plan.live ?? null,
      imagesBefore: containerImages(plan.liveDeployment?.spec.template ?? plan.legacy?.spec.template),
      imagesAfter: containerImages(plan.liveDeployment?.spec.template ?? plan.legacy?.spec.template),
      status: 'not switched',
      seconds: 0,
      health: [],
      checks: [],
      timeline: [],
    },
  }));
  run.report.workloads = states.map((s) => s.r);
  await o.logger.group(`Blue-green deploy of ${names.join(', ')}`, () =>
    Promise.all(
      states.map(async (s) => {
        try {
          await deployWorkload(run, s);
        } catch (err) {
          s.failed = true;
          s.r.message = errorMessage(err);
          note(run, s, 'error', s.r.message, 'warning');
          if (s.switched && s.plan.live) await switchBack(run, s, 'error after the switch');
        }
        if (s.failed && o.rollbackScope === 'all') run.stop.abort();
        s.r.seconds = run.t();
      }),
    ),
  );
  const failed = states.filter((s) => s.failed);
  if (failed.length > 0 && o.rollbackScope === 'all') {
    const toRevert = states.filter((s) => s.switched && s.plan.live && !s.failed);
    if (toRevert.length)
      await o.logger.group('Switching back (rollback-scope: all)', () =>
        Promise.all(toRevert.map((s) => switchBack(run, s, `rollback-scope all: ${failed.map((f) => f.plan.name).join(', ')} failed`))),
      );
  }
  // The colour that does not serve now goes to zero: failed releases at once, old releases after the delay.
  await o.logger.group('Scaling down', () =>
    Promise.all(
      states.map(async (s) => {
        const serving = s.r.colorAfter;
        if (s.r.status !== 'switched') {
          if (s.idleDeployment && s.idle !== serving) {
            try {
              await scale(o.client, o.namespace, colorName(s.plan.name, s.idle), 0);
              note(run, s, 'scale-down', `${colorName(s.plan.name, s.idle)} scaled to zero (${s.r.status})`);
            } catch (err) {
              note(run, s, 'scale-down', `${colorName(s.plan.name, s.idle)} could not be scaled to zero: ${errorMessage(err)}`, 'warning');
            }
          }
          s.r.imagesTried = s.plan.images;
          await releaseLock(run, s);
          return;
        }
        await releaseLock(run, s);
        if (!s.plan.live) return;
        const old = colorName(s.plan.name, s.plan.live);
        if (o.scaleDownDelayMs === null) {
          s.r.oldColor = `${old} kept (scale-down-delay: never)`;
          note(run, s, 'scale-down', `${old} stays up for an instant rollback`);
          return;
        }
        if (o.scaleDownDelayMs > 0) await sleep(o.scaleDownDelayMs);
        // Only if nobody switched back meanwhile (a manual rollback during the delay).
        const now = await readObject<Service>(o.client, 'Service', o.namespace, s.plan.name);
        if (now?.spec.selector?.[o.colorLabel] !== s.idle) {
          s.r.oldColor = `${old} kept: the Service no longer selects ${s.idle}`;
          note(run, s, 'scale-down', s.r.oldColor, 'warning');
          return;
        }
        await scale(o.client, o.namespace, old, 0);
        s.r.oldColor = `${old} scaled to zero after ${o.scaleDownDelayMs / 1000}s`;
        note(run, s, 'scale-down', s.r.oldColor);
      }),
    ),
  );
  for (const s of states) s.r.seconds = s.r.seconds || run.t();
  run.report.ok = failed.length === 0;
  if (failed.length) run.report.failure = failed.map((s) => `${o.namespace}/${s.plan.name}: ${s.r.message ?? s.r.status}`).join('; ');
  return run.report;
}

export interface BlueGreenRollbackOptions {
  client: KubeClient;
  logger: Logger;
  namespace: string;
  names: readonly string[];
  colorLabel: string;
  timeoutMs: number;
  scaleDownDelayMs: number | null;
  owner: string;
}

/**
 * Manual rollback: back to the previous release recorded on the active Service. When its
 * Deployment still runs that release's template and is scaled up, the switch is immediate;
 * otherwise the recorded template is restored, scaled up and waited for, then switched.
 */
export async function blueGreenRollback(o: BlueGreenRollbackOptions): Promise<BlueGreenReport> {
  const started = Date.now();
  const t = () => Math.round((Date.now() - started) / 100) / 10;
  const report: BlueGreenReport = { ok: true, workloads: [], diagnoses: [], rolledBack: false, rollback: [] };
  const { client, namespace: ns, colorLabel } = o;
  const plans = await o.logger.group('Checking the cluster', () =>
    Promise.all(
      o.names.map(async (name) => {
        const svc = await readObject<Service>(client, 'Service', ns, name);
        if (!svc) throw new UserError(`Service ${ns}/${name} not found: nothing to roll back (input 'deployments')`);
        const live = svc.spec.selector?.[colorLabel] as Color | undefined;
        const prev = parseRelease(svc.metadata.annotations?.[ANN.previous]);
        const cur = parseRelease(svc.metadata.annotations?.[ANN.live]);
        if (!live || !COLORS.includes(live))
          throw new UserError(`Service ${ns}/${name} selects no colour (label '${colorLabel}'): not a blue-green workload`);
        if (!prev || prev.color === live)
          throw new UserError(`Service ${ns}/${name} records no previous release (annotation ${ANN.previous}): nothing to roll back to`);
        const d = await readObject<Deployment>(client, 'Deployment', ns, colorName(name, prev.color));
        const liveD = await readObject<Deployment>(client, 'Deployment', ns, colorName(name, live));
        if (!d || !liveD) throw new UserError(`Deployment ${colorName(name, d ? live : prev.color)} not found in namespace ${ns}`);
        return { name, svc, live, prev, cur, d, liveD };
      }),
    ),
  );
  await o.logger.group('Rolling back', () =>
    Promise.all(
      plans.map(async (p) => {
        const r: WorkloadResult = {
          namespace: ns,
          name: p.name,
          colorBefore: p.live,
          colorAfter: p.live,
          imagesBefore: containerImages(p.liveD.spec.template),
          imagesAfter: containerImages(p.liveD.spec.template),
          status: 'not switched',
          seconds: 0,
          health: [],
          checks: [],
          timeline: [],
        };
        report.workloads.push(r);
        const log = (step: string, message: string) => {
          r.timeline.push({ t: t(), step, message });
          o.logger.info(`${p.name}: ${message}`);
        };
        const target = colorName(p.name, p.prev.color);
        const sameTemplate = JSON.stringify(containerImages(p.d.spec.template)) === JSON.stringify(p.prev.images);
        const replicas = p.liveD.spec.replicas ?? 1;
        const ready = (p.d.status?.availableReplicas ?? 0) >= replicas && (p.d.spec.replicas ?? 0) >= replicas;
        if (!sameTemplate || !ready) {
          const body: Record<string, unknown> = { spec: { replicas } };
          if (!sameTemplate && p.prev.template) {
            (body.spec as Record<string, unknown>).template = p.prev.template;
            log(
              'restore',
              `${target} holds ${Object.values(containerImages(p.d.spec.template)).join(', ')}: restoring the recorded template (${Object.values(p.prev.images).join(', ')})`,
            );
          }
          log('scale', `${target}: scaling to ${replicas} and waiting`);
          const after = await client.request<Deployment>('PATCH', objectPath('Deployment', ns, target), {
            body,
            contentType: 'application/merge-patch+json',
          });
          const w = await waitForRollout(client, after, { timeoutMs: o.timeoutMs, logger: o.logger, failureGraceMs: 30_000 });
          if (!w.ok) {
            r.message = `${target}: ${w.message}`;
            report.ok = false;
            return;
          }
        } else log('ready', `${target} still runs ${Object.values(p.prev.images).join(', ')}, scaled up: switching at once`);
        const nowLive: Release = { ...p.prev, switchedAt: new Date().toISOString() };
        const nowPrev: Release = {
          ...(p.cur ?? { color: p.live, images: r.imagesBefore, revision: revisionOf(p.liveD) ?? null, switchedAt: '' }),
          template: p.liveD.spec.template,
        };
        await patchService(
          client,
          p.svc,
          {
            spec: { selector: { [colorLabel]: p.prev.color } },
            metadata: { annotations: { [ANN.live]: JSON.stringify(nowLive), [ANN.previous]: JSON.stringify(nowPrev) } },
          },
          true,
        );
        r.colorAfter = p.prev.color;
        r.imagesAfter = p.prev.images;
        r.status = 'rolled back';
        r.switchedAfter = t();
        log('switch', `Service ${ns}/${p.name} now selects ${colorLabel}=${p.prev.color}`);
        report.rollback.push(`Service ${ns}/${p.name}: back to ${p.prev.color} (${Object.values(p.prev.images).join(', ')})`);
        report.rolledBack = true;
        if (o.scaleDownDelayMs !== null) {
          if (o.scaleDownDelayMs > 0) await sleep(o.scaleDownDelayMs);
          await scale(client, ns, colorName(p.name, p.live), 0);
          r.oldColor = `${colorName(p.name, p.live)} scaled to zero`;
          log('scale-down', r.oldColor);
        }
        r.seconds = t();
      }),
    ),
  );
  if (!report.ok)
    report.failure = report.workloads
      .filter((w) => w.message)
      .map((w) => `${ns}/${w.name}: ${w.message}`)
      .join('; ');
  return report;
}
