/**
 * A simulated kubelet for one node, `sandbox-node`: schedules new pods, "pulls" images (asking
 * the registry through imageExists), checks ConfigMap/Secret references, starts containers and
 * makes them Ready after the image's ready delay; crash loops, never-ready containers, pull
 * failures and back-offs as the real kubelet reports them (states, reasons, messages, Events),
 * and container logs for `pods/log`.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Api } from './api.ts';
import { nowIso } from './api.ts';
import { type Behaviours, repositoryOf, tagOf } from './behaviours.ts';
import { ApiError, statusOf } from './errors.ts';
import type { LogOptions } from './server.ts';
import type { StoreEvent } from './store.ts';
import type { Condition, Container, ContainerState, ContainerStatus, KObject, Pod } from './types.ts';
import { validImageReference } from './validation.ts';

export const NODE_NAME = 'sandbox-node';
const CRASH_RUN_MS = 250;
const ERR_IMAGE_PULL_MS = 400;
const MAX_BACKOFF_MS = 2000;
const CONFIG_RETRY_MS = 1000;

interface Run {
  containerID: string;
  startedAt: string;
  lines: { at: string; text: string }[];
  /** `follow=true` readers: called with each new line, and with undefined when the run ends. */
  followers: Set<(line: { at: string; text: string } | undefined) => void>;
  ended: boolean;
}

function endRun(run: Run): void {
  run.ended = true;
  for (const f of run.followers) f(undefined);
  run.followers.clear();
}

interface ContainerRuntime {
  name: string;
  image: string;
  state: ContainerState;
  lastState: ContainerState;
  ready: boolean;
  started: boolean;
  restartCount: number;
  runs: Run[];
  pullFailures: number;
  /** Bumped when the container is replaced (image changed): timers of the old one do nothing. */
  gen: number;
}

interface PodRuntime {
  ns: string;
  name: string;
  uid: string;
  podIP: string;
  containers: ContainerRuntime[];
  timers: Set<NodeJS.Timeout>;
  gone: boolean;
}

function badRequest(message: string): ApiError {
  return new ApiError(statusOf(400, 'BadRequest', message));
}

const imageIds = new Map<string, string>();

/** The imageID a container status shows (a pod's status is rebuilt on every change). */
function imageId(image: string): string {
  let id = imageIds.get(image);
  if (id === undefined) {
    id = `${repositoryOf(image)}@sha256:${createHash('sha256').update(image).digest('hex')}`;
    imageIds.set(image, id);
  }
  return id;
}

export class Kubelet {
  private readonly api: Api;
  private readonly behaviours: Behaviours;
  private readonly imageExists: (image: string) => Promise<boolean>;
  private readonly defaultReadyDelayMs: number;
  private readonly pods = new Map<string, PodRuntime>();
  /** Images pulled on this node (IfNotPresent/Never use them without asking the registry again). */
  private readonly present = new Set<string>();
  private readonly pulling = new Map<string, Promise<boolean>>();
  private nextIp = 10;
  private stopped = false;

  constructor(api: Api, behaviours: Behaviours, o: { imageExists: (image: string) => Promise<boolean>; defaultReadyDelayMs: number }) {
    this.api = api;
    this.behaviours = behaviours;
    this.imageExists = o.imageExists;
    this.defaultReadyDelayMs = o.defaultReadyDelayMs;
  }

  start(): void {
    this.api.store.subscribe((e) => this.onChange(e));
  }

  stop(): void {
    this.stopped = true;
    for (const p of this.pods.values()) this.forget(p);
    this.pods.clear();
  }

  private onChange(e: StoreEvent): void {
    if (this.stopped || e.resource !== 'pods') return;
    const pod = e.object as Pod;
    const uid = pod.metadata.uid!;
    if (e.type === 'DELETED') {
      const rt = this.pods.get(uid);
      if (rt) {
        this.forget(rt);
        this.pods.delete(uid);
      }
      return;
    }
    const known = this.pods.get(uid);
    if (e.type === 'MODIFIED' && known && !known.gone) {
      for (const c of known.containers) {
        const image = pod.spec?.containers?.find((x) => x.name === c.name)?.image;
        if (image && image !== c.image) this.replaceImage(known, c, image);
      }
      return;
    }
    if (e.type === 'ADDED' && !pod.spec?.nodeName && !this.pods.has(uid)) {
      const rt: PodRuntime = {
        ns: pod.metadata.namespace!,
        name: pod.metadata.name!,
        uid,
        podIP: `10.244.${Math.floor(this.nextIp / 250) % 250}.${(this.nextIp++ % 250) + 2}`,
        containers: (pod.spec.containers ?? []).map((c) => ({
          name: c.name,
          image: c.image ?? '',
          state: { waiting: { reason: 'ContainerCreating' } },
          lastState: {},
          ready: false,
          started: false,
          restartCount: 0,
          runs: [],
          pullFailures: 0,
          gen: 0,
        })),
        timers: new Set(),
        gone: false,
      };
      this.pods.set(uid, rt);
      setImmediate(() => this.schedule(rt));
    }
  }

  private forget(rt: PodRuntime): void {
    rt.gone = true;
    for (const c of rt.containers) for (const r of c.runs) endRun(r);
    for (const t of rt.timers) clearTimeout(t);
    rt.timers.clear();
  }

  private after(rt: PodRuntime, ms: number, fn: () => void): void {
    const t = setTimeout(() => {
      rt.timers.delete(t);
      if (!rt.gone && !this.stopped) fn();
    }, ms);
    t.unref();
    rt.timers.add(t);
  }

  private afterFor(rt: PodRuntime, c: ContainerRuntime, ms: number, fn: () => void): void {
    const gen = c.gen;
    this.after(rt, ms, () => {
      if (c.gen === gen) fn();
    });
  }

  /** A changed image in the pod spec: the kubelet kills the container and starts the new image. */
  private replaceImage(rt: PodRuntime, c: ContainerRuntime, image: string): void {
    c.gen++;
    const run = c.runs[c.runs.length - 1];
    if (c.state.running && run) {
      endRun(run);
      c.lastState = {
        terminated: { exitCode: 0, reason: 'Completed', startedAt: run.startedAt, finishedAt: nowIso(), containerID: run.containerID },
      };
      c.restartCount++;
    }
    this.event(rt, 'Normal', 'Killing', `Container ${c.name} definition changed, will be restarted`, c.name);
    c.image = image;
    c.ready = false;
    c.started = false;
    c.pullFailures = 0;
    c.state = { waiting: { reason: 'ContainerCreating' } };
    this.sync(rt);
    void this.pull(rt, c);
  }

  private pod(rt: PodRuntime): Pod | undefined {
    const p = this.api.store.get('pods', rt.ns, rt.name) as Pod | undefined;
    return p && p.metadata.uid === rt.uid ? p : undefined;
  }

  private event(
    rt: PodRuntime,
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
    container?: string,
    component = 'kubelet',
  ): void {
    const p = this.pod(rt);
    if (p) this.api.event(p, type, reason, message, component, container ? `spec.containers{${container}}` : undefined);
  }

  private spec(rt: PodRuntime, name: string): Container | undefined {
    return this.pod(rt)?.spec.containers.find((c) => c.name === name);
  }

  /** Writes the pod status from the runtime state. */
  private sync(rt: PodRuntime): void {
    if (rt.gone) return;
    const now = nowIso();
    this.api.mutate<Pod>('pods', rt.ns, rt.name, (p) => {
      if (p.metadata.uid !== rt.uid) return;
      p.spec.nodeName = NODE_NAME;
      const st = (p.status ??= {});
      const prev = st.conditions ?? [];
      const allReady = rt.containers.every((c) => c.ready);
      const anyRunning = rt.containers.some((c) => c.state.running);
      const notReady = rt.containers.filter((c) => !c.ready).map((c) => c.name);
      const cond = (type: string, ok: boolean, reason?: string, message?: string): Condition => {
        const old = prev.find((c) => c.type === type);
        const status = ok ? 'True' : 'False';
        const c: Condition = {
          type,
          status,
          lastProbeTime: null,
          lastTransitionTime: old && old.status === status ? old.lastTransitionTime : now,
        };
        if (!ok && reason) {
          c.reason = reason;
          c.message = message;
        }
        return c;
      };
      const msg = `containers with unready status: [${notReady.join(' ')}]`;
      st.conditions = [
        cond('PodReadyToStartContainers', true),
        cond('Initialized', true),
        cond('Ready', allReady, 'ContainersNotReady', msg),
        cond('ContainersReady', allReady, 'ContainersNotReady', msg),
        cond('PodScheduled', true),
      ];
      const allTerminated = rt.containers.every((c) => c.state.terminated);
      if (allTerminated) st.phase = rt.containers.some((c) => c.state.terminated?.exitCode) ? 'Failed' : 'Succeeded';
      else st.phase = anyRunning || rt.containers.some((c) => c.restartCount > 0) ? 'Running' : 'Pending';
      st.hostIP = '10.0.0.1';
      st.hostIPs = [{ ip: '10.0.0.1' }];
      st.podIP = rt.podIP;
      st.podIPs = [{ ip: rt.podIP }];
      st.startTime ??= now;
      st.qosClass ??= 'BestEffort';
      st.containerStatuses = rt.containers.map((c): ContainerStatus => {
        const s: ContainerStatus = {
          name: c.name,
          image: c.image,
          imageID: c.runs.length ? imageId(c.image) : '',
          ready: c.ready,
          started: c.started,
          restartCount: c.restartCount,
          state: c.state,
          lastState: c.lastState,
        };
        const run = c.runs[c.runs.length - 1];
        if (run) s.containerID = run.containerID;
        return s;
      });
    });
  }

  private schedule(rt: PodRuntime): void {
    if (rt.gone || !this.pod(rt)) return;
    this.event(rt, 'Normal', 'Scheduled', `Successfully assigned ${rt.ns}/${rt.name} to ${NODE_NAME}`, undefined, 'default-scheduler');
    this.sync(rt);
    for (const c of rt.containers) void this.pull(rt, c);
  }

  private async pull(rt: PodRuntime, c: ContainerRuntime): Promise<void> {
    if (rt.gone) return;
    const gen = c.gen;
    if (!validImageReference(c.image)) {
      const m = `Failed to apply default image tag "${c.image}": couldn't parse image name "${c.image}": invalid reference format`;
      c.state = { waiting: { reason: 'InvalidImageName', message: m } };
      this.event(rt, 'Warning', 'InspectFailed', m, c.name);
      this.event(rt, 'Warning', 'Failed', 'Error: InvalidImageName', c.name);
      this.sync(rt);
      return;
    }
    const policy = (this.spec(rt, c.name)?.imagePullPolicy as string | undefined) ?? 'IfNotPresent';
    if (policy !== 'Always' && this.present.has(c.image)) {
      this.event(rt, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`, c.name);
      this.create(rt, c);
      return;
    }
    if (policy === 'Never') {
      const m = `Container image "${c.image}" is not present with pull policy of Never`;
      c.state = { waiting: { reason: 'ErrImageNeverPull', message: m } };
      this.event(rt, 'Warning', 'ErrImageNeverPull', m, c.name);
      this.event(rt, 'Warning', 'Failed', 'Error: ErrImageNeverPull', c.name);
      this.sync(rt);
      return;
    }
    this.event(rt, 'Normal', 'Pulling', `Pulling image "${c.image}"`, c.name);
    const started = Date.now();
    let ok = false;
    try {
      let p = this.pulling.get(c.image);
      if (!p) {
        p = this.imageExists(c.image).finally(() => this.pulling.delete(c.image));
        this.pulling.set(c.image, p);
      }
      ok = await p;
    } catch {
      ok = false;
    }
    if (ok) this.present.add(c.image);
    if (rt.gone || this.stopped || c.gen !== gen) return;
    if (!ok) {
      c.pullFailures++;
      const m = `failed to pull and unpack image "${c.image}": failed to resolve reference "${c.image}": ${c.image}: not found`;
      c.state = { waiting: { reason: 'ErrImagePull', message: `rpc error: code = NotFound desc = ${m}` } };
      this.event(rt, 'Warning', 'Failed', `Failed to pull image "${c.image}": rpc error: code = NotFound desc = ${m}`, c.name);
      this.event(rt, 'Warning', 'Failed', 'Error: ErrImagePull', c.name);
      this.sync(rt);
      const backoff = Math.min(MAX_BACKOFF_MS, 500 * 2 ** (c.pullFailures - 1));
      this.afterFor(rt, c, ERR_IMAGE_PULL_MS, () => {
        c.state = { waiting: { reason: 'ImagePullBackOff', message: `Back-off pulling image "${c.image}"` } };
        this.event(rt, 'Normal', 'BackOff', `Back-off pulling image "${c.image}"`, c.name);
        this.event(rt, 'Warning', 'Failed', 'Error: ImagePullBackOff', c.name);
        this.sync(rt);
        this.afterFor(rt, c, backoff, () => void this.pull(rt, c));
      });
      return;
    }
    const ms = Date.now() - started;
    this.event(
      rt,
      'Normal',
      'Pulled',
      `Successfully pulled image "${c.image}" in ${ms}ms (${ms}ms including waiting). Image size: 1024 bytes.`,
      c.name,
    );
    this.create(rt, c);
  }

  /** Missing ConfigMaps/Secrets (or keys) a container needs, as the kubelet words it. */
  private configError(rt: PodRuntime, c: ContainerRuntime): string | undefined {
    const spec = this.spec(rt, c.name);
    if (!spec) return undefined;
    const get = (kind: 'configmaps' | 'secrets', name: string) => this.api.store.get(kind, rt.ns, name);
    for (const e of spec.envFrom ?? []) {
      if (e.configMapRef && !e.configMapRef.optional && !get('configmaps', e.configMapRef.name))
        return `configmap "${e.configMapRef.name}" not found`;
      if (e.secretRef && !e.secretRef.optional && !get('secrets', e.secretRef.name)) return `secret "${e.secretRef.name}" not found`;
    }
    for (const e of spec.env ?? []) {
      const cm = e.valueFrom?.configMapKeyRef;
      if (cm && !cm.optional) {
        const o = get('configmaps', cm.name);
        if (!o) return `configmap "${cm.name}" not found`;
        if (!(cm.key in ((o.data as object) ?? {}))) return `couldn't find key ${cm.key} in ConfigMap ${rt.ns}/${cm.name}`;
      }
      const sk = e.valueFrom?.secretKeyRef;
      if (sk && !sk.optional) {
        const o = get('secrets', sk.name);
        if (!o) return `secret "${sk.name}" not found`;
        if (!(sk.key in ((o.data as object) ?? {}))) return `couldn't find key ${sk.key} in Secret ${rt.ns}/${sk.name}`;
      }
    }
    return undefined;
  }

  private create(rt: PodRuntime, c: ContainerRuntime): void {
    if (rt.gone) return;
    const err = this.configError(rt, c);
    if (err) {
      const already = c.state.waiting?.reason === 'CreateContainerConfigError' && c.state.waiting.message === err;
      c.state = { waiting: { reason: 'CreateContainerConfigError', message: err } };
      this.event(rt, 'Warning', 'Failed', `Error: ${err}`, c.name);
      if (!already) this.sync(rt);
      this.afterFor(rt, c, CONFIG_RETRY_MS, () => this.create(rt, c));
      return;
    }
    const b = this.behaviours.for(c.image);
    const run: Run = {
      containerID: `containerd://${randomBytes(32).toString('hex')}`,
      startedAt: nowIso(),
      lines: [],
      followers: new Set(),
      ended: false,
    };
    c.runs.push(run);
    if (c.runs.length > 5) c.runs.splice(0, c.runs.length - 5);
    const log = (text: string) => {
      const line = { at: new Date().toISOString(), text };
      run.lines.push(line);
      for (const f of run.followers) f(line);
    };
    this.event(rt, 'Normal', 'Created', `Created container ${c.name}`, c.name);
    this.event(rt, 'Normal', 'Started', `Started container ${c.name}`, c.name);
    c.state = { running: { startedAt: run.startedAt } };
    c.started = true;
    c.ready = false;
    const version = b?.version ?? tagOf(c.image);
    log(`starting ${c.image} version ${version} (start ${c.restartCount + 1})`);
    if (b?.crashLoop) {
      log('fatal: the application exited with an error');
      this.sync(rt);
      this.afterFor(rt, c, CRASH_RUN_MS, () => this.crash(rt, c, run));
      return;
    }
    log('listening on :8080');
    this.sync(rt);
    if (b?.neverReady) {
      this.afterFor(rt, c, b.readyDelayMs ?? this.defaultReadyDelayMs, () =>
        this.event(rt, 'Warning', 'Unhealthy', 'Readiness probe failed: HTTP probe failed with statuscode: 503', c.name),
      );
      return;
    }
    this.afterFor(rt, c, b?.readyDelayMs ?? this.defaultReadyDelayMs, () => {
      c.ready = true;
      log('ready');
      this.sync(rt);
    });
  }

  private crash(rt: PodRuntime, c: ContainerRuntime, run: Run): void {
    endRun(run);
    if (this.pod(rt)?.spec.restartPolicy === 'Never') {
      c.ready = false;
      c.started = false;
      c.state = {
        terminated: { exitCode: 1, reason: 'Error', startedAt: run.startedAt, finishedAt: nowIso(), containerID: run.containerID },
      };
      this.sync(rt);
      return;
    }
    c.restartCount++;
    c.ready = false;
    c.started = false;
    c.lastState = {
      terminated: { exitCode: 1, reason: 'Error', startedAt: run.startedAt, finishedAt: nowIso(), containerID: run.containerID },
    };
    const backoff = Math.min(MAX_BACKOFF_MS, 400 * 2 ** (c.restartCount - 1));
    const secs = Math.max(1, Math.round(backoff / 1000));
    c.state = {
      waiting: {
        reason: 'CrashLoopBackOff',
        message: `back-off ${secs}s restarting failed container=${c.name} pod=${rt.name}_${rt.ns}(${rt.uid})`,
      },
    };
    this.event(rt, 'Warning', 'BackOff', `Back-off restarting failed container ${c.name} in pod ${rt.name}_${rt.ns}(${rt.uid})`, c.name);
    this.sync(rt);
    this.afterFor(rt, c, backoff, () => {
      this.event(rt, 'Normal', 'Pulled', `Container image "${c.image}" already present on machine`, c.name);
      this.create(rt, c);
    });
  }

  private pickRun(pod: KObject, o: LogOptions): Run {
    const p = pod as Pod;
    const rt = this.pods.get(p.metadata.uid!);
    const names = (p.spec?.containers ?? []).map((c) => c.name);
    let name = o.container;
    if (!name) {
      if (names.length === 1) name = names[0];
      else throw badRequest(`a container name must be specified for pod ${p.metadata.name}, choose one of: [${names.join(' ')}]`);
    }
    if (!name || !names.includes(name)) throw badRequest(`container ${name} is not valid for pod ${p.metadata.name}`);
    const c = rt?.containers.find((x) => x.name === name);
    if (!c) throw badRequest(`container "${name}" in pod "${p.metadata.name}" is waiting to start: ContainerCreating`);
    const lastTerminated = c.state.running ? c.runs[c.runs.length - 2] : c.runs[c.runs.length - 1];
    let run: Run | undefined;
    if (o.previous) {
      if (!c.lastState.terminated || !lastTerminated)
        throw badRequest(`previous terminated container "${name}" in pod "${p.metadata.name}" not found`);
      run = lastTerminated;
    } else if (c.state.running) run = c.runs[c.runs.length - 1];
    else if (c.state.terminated || c.lastState.terminated) run = lastTerminated;
    if (!run)
      throw badRequest(
        `container "${name}" in pod "${p.metadata.name}" is waiting to start: ${c.state.waiting?.reason ?? 'ContainerCreating'}`,
      );
    return run;
  }

  /** `GET pods/NAME/log`: the current or previous run of a container, as the kubelet picks them. */
  logs(pod: KObject, o: LogOptions): string {
    let lines = this.pickRun(pod, o).lines;
    if (o.tailLines !== undefined && o.tailLines >= 0) lines = lines.slice(Math.max(0, lines.length - o.tailLines));
    return lines.map((l) => `${o.timestamps ? `${l.at} ` : ''}${l.text}\n`).join('');
  }

  /** `follow=true`: the log so far, then each new line until the run ends or `stop` is called. */
  follow(pod: KObject, o: LogOptions, write: (text: string) => void, end: () => void): () => void {
    const run = this.pickRun(pod, o);
    const fmt = (l: { at: string; text: string }) => `${o.timestamps ? `${l.at} ` : ''}${l.text}\n`;
    write(this.logs(pod, o));
    if (run.ended) {
      end();
      return () => {};
    }
    const f = (l: { at: string; text: string } | undefined) => (l ? write(fmt(l)) : end());
    run.followers.add(f);
    return () => run.followers.delete(f);
  }
}
