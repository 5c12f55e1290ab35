import type { KubeClient, WatchEvent } from './client.ts';
import { judgeRollout } from './rollout-status.ts';
import {
  type ContainerStatus,
  containerImages,
  type Deployment,
  type Pod,
  type ReplicaSet,
  revisionOf,
  selectorMatches,
  selectorString,
} from './types.ts';
import { equalIgnoreHash } from './undo.ts';
import { keepWatching, type SharedWatches, type WatchSettings } from './watch.ts';

/** Container states that do not heal by waiting; a new pod stuck in one past the grace fails the rollout. */
export const FATAL_WAITING_REASONS = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
  'CreateContainerConfigError',
  'CrashLoopBackOff',
]);

export interface PodProblem {
  container: string;
  reason: string;
  message?: string;
}

/**
 * The first container of a pod sitting in a fatal waiting state. A container that crashed and
 * has not been ready since counts as crash-looping in every phase of the loop (briefly running,
 * terminated, waiting in CrashLoopBackOff), so the grace runs from its first crash instead of
 * starting again at each restart.
 */
export function podProblem(pod: Pod): PodProblem | undefined {
  const statuses: ContainerStatus[] = [...(pod.status?.initContainerStatuses ?? []), ...(pod.status?.containerStatuses ?? [])];
  for (const status of statuses) {
    const reason = status.state?.waiting?.reason;
    if (reason && FATAL_WAITING_REASONS.has(reason)) return { container: status.name, reason, message: status.state?.waiting?.message };
  }
  for (const s of statuses) {
    const crashed = s.state?.terminated ?? s.lastState?.terminated;
    if (!s.ready && (s.restartCount ?? 0) > 0 && crashed && crashed.exitCode !== 0) {
      return {
        container: s.name,
        reason: 'CrashLoopBackOff',
        message: `restarted ${s.restartCount} time${s.restartCount === 1 ? '' : 's'}, last exit code ${crashed.exitCode}${crashed.reason ? ` (${crashed.reason})` : ''}`,
      };
    }
  }
  return undefined;
}

/** What every wait reports besides its verdict. */
interface WaitFacts {
  /** The Deployment as this change left it: the object the wait started from. */
  applied?: Deployment;
  /**
   * Set when someone else changed the pod template while this wait ran (another deploy, a
   * `kubectl set image`): the wait followed the newer change, as `kubectl rollout status` does,
   * and `deployment` is that change, not this one. Says what replaced it.
   */
  superseded?: string;
}

export type WaitOutcome = WaitFacts &
  (
    | { ok: true; deployment: Deployment; message: string }
    | {
        ok: false;
        reason: 'ProgressDeadlineExceeded' | 'PodFailure' | 'Timeout' | 'Deleted' | 'Aborted' | 'WatchFailed';
        message: string;
        deployment: Deployment;
        /** Names of pods of the new ReplicaSet that failed (PodFailure). */
        pods: string[];
      }
  );

/** Whether `now` carries a pod template other than the one `applied` was left with (another change superseded it). */
export function supersededBy(applied: Deployment, now: Deployment): string | undefined {
  const before = applied.metadata.generation;
  const after = now.metadata.generation;
  if (before === undefined || after === undefined || after <= before) return undefined;
  if (equalIgnoreHash(applied.spec.template, now.spec.template)) return undefined;
  const images = Object.entries(containerImages(now.spec.template))
    .map(([container, image]) => `${container}=${image}`)
    .join(' ');
  const cause = now.metadata.annotations?.['kubernetes.io/change-cause'];
  return `generation ${before} → ${after}, now ${images}${cause ? `, change-cause: ${cause}` : ''}`;
}

export interface WaitOptions extends WatchSettings {
  timeoutMs: number;
  /** How long a new pod may sit in a fatal state before the rollout fails (default 15 s). */
  failureGraceMs?: number;
  signal?: AbortSignal;
  /** Watch pods too, to fail fast (default true). */
  watchPods?: boolean;
  /** The namespace's shared watches (one per collection), instead of this wait's own two. */
  shared?: SharedWatches;
}

/** When the Deployment's ProgressDeadlineExceeded condition was written, if it has one. */
function deadlineStamp(d: Deployment): string | undefined {
  const condition = d.status?.conditions?.find((c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded');
  return condition ? `${condition.lastUpdateTime ?? ''}|${condition.lastTransitionTime ?? ''}|${condition.message ?? ''}` : undefined;
}

const ns = (d: Deployment) => encodeURIComponent(d.metadata.namespace ?? 'default');

/**
 * Waits for a Deployment's rollout, judged as `kubectl rollout status` judges it, from the
 * object given (usually the answer to the patch) onward: one watch on the Deployment, re-opened
 * from the last resourceVersion when the server ends it and re-listed on 410 Gone, and one
 * watch on its pods to fail fast when new pods sit in a fatal state past the grace.
 */
export function waitForRollout(client: KubeClient, initial: Deployment, options: WaitOptions): Promise<WaitOutcome> {
  const { logger } = options;
  const name = initial.metadata.name;
  const grace = options.failureGraceMs ?? 15_000;
  return new Promise<WaitOutcome>((resolve) => {
    let latest = initial;
    let superseded: string | undefined;
    let finished = false;
    let lastMessage = '';
    const stops: (() => void)[] = [];
    const timers = new Set<NodeJS.Timeout>();
    const finish = (outcome: WaitOutcome) => {
      if (finished) return;
      finished = true;
      for (const stop of stops.splice(0)) stop();
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({ ...outcome, applied: initial, ...(superseded ? { superseded } : {}) });
    };
    const fail = (reason: Extract<WaitOutcome, { ok: false }>['reason'], message: string, pods: string[] = []) =>
      finish({ ok: false, reason, message, deployment: latest, pods });
    const onAbort = () => fail('Aborted', `stopped waiting for deployment "${name}"`);
    if (options.signal?.aborted) return onAbort();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = setTimeout(
      () => fail('Timeout', `timed out after ${Math.round(options.timeoutMs / 1000)}s: ${lastMessage || 'rollout did not finish'}`),
      options.timeoutMs,
    );
    timers.add(deadline);

    // A ProgressDeadlineExceeded condition already there when this change was sent belongs to the
    // previous rollout (e.g. rolling back from one that timed out): it counts only once the
    // controller has written it again for this one.
    const stale = deadlineStamp(initial);
    const judge = (deployment: Deployment) => {
      latest = deployment;
      if (!superseded) {
        superseded = supersededBy(initial, deployment);
        if (superseded) logger.warning(`deployment "${name}" was changed by someone else while this run rolled it out (${superseded})`);
      }
      const verdict = judgeRollout(deployment);
      if (verdict.state === 'done') return finish({ ok: true, deployment, message: verdict.message });
      if (verdict.state === 'failed' && (stale === undefined || deadlineStamp(deployment) !== stale))
        return fail('ProgressDeadlineExceeded', verdict.message, []);
      const message =
        verdict.state === 'failed'
          ? `Waiting for deployment "${name}": its progress deadline condition is from the previous rollout`
          : verdict.message;
      if (message !== lastMessage) {
        lastMessage = message;
        // kubectl's "spec update" line names no Deployment; with many at once, say which.
        logger.info(message.includes(`"${name}"`) ? message : `deployment "${name}": ${message}`);
      }
      recheckPods();
    };

    // The Deployment's watch and its pods' watch: its own (field and label selectors), or the
    // namespace's shared ones when several waits run at once (rollOut).
    const watch = <T extends { metadata: { resourceVersion?: string } }>(
      label: string,
      path: string,
      query: Record<string, string>,
      startRv: string | undefined,
      onEvent: (e: WatchEvent<T>) => void,
      relist: () => Promise<string | undefined>,
    ) => {
      const handlers = { onEvent, relist, onFail: (message: string) => fail('WatchFailed', message) };
      stops.push(
        options.shared
          ? options.shared.subscribe<T>(label, path, handlers)
          : keepWatching<T>(client, label, path, query, startRv, handlers, options),
      );
    };

    // Pods: fail fast on new pods stuck in a fatal state.
    const pods = new Map<string, Pod>();
    const badSince = new Map<string, number>();
    const rsRevision = new Map<string, Promise<number | undefined>>();
    const revisionOfRs = (rsName: string) => {
      let p = rsRevision.get(rsName);
      if (!p) {
        p = client
          .request<ReplicaSet>('GET', `/apis/apps/v1/namespaces/${ns(initial)}/replicasets/${rsName}`, { allow: [404] })
          .then((rs) => revisionOf(rs))
          .catch(() => undefined);
        rsRevision.set(rsName, p);
      }
      return p;
    };
    const isNewPod = async (pod: Pod): Promise<boolean> => {
      const owner = pod.metadata.ownerReferences?.find((ref) => ref.kind === 'ReplicaSet' && ref.controller);
      const want = revisionOf(latest);
      if (owner && want !== undefined) {
        const have = await revisionOfRs(owner.name);
        if (have !== undefined) return have === want;
      }
      // Fallback: the pod runs the Deployment's current images.
      const images = new Map((latest.spec.template.spec?.containers ?? []).map((c) => [c.name, c.image]));
      return (pod.spec?.containers ?? []).every((c) => images.get(c.name) === c.image);
    };
    const checkPod = (podName: string) => {
      if (finished) return;
      const pod = pods.get(podName);
      const problem = pod && podProblem(pod);
      if (!pod || !problem) {
        badSince.delete(podName);
        return;
      }
      const since = badSince.get(podName) ?? Date.now();
      badSince.set(podName, since);
      const left = since + grace - Date.now();
      if (left > 0) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          checkPod(podName);
        }, left);
        timers.add(timer);
        return;
      }
      void isNewPod(pod).then((isNew) => {
        if (finished || !isNew) return;
        const failing = [...pods.values()].filter((candidate) => podProblem(candidate)).map((failingPod) => failingPod.metadata.name);
        fail(
          'PodFailure',
          `pod ${podName}: container ${problem.container} is in ${problem.reason}${problem.message ? ` (${problem.message})` : ''}`,
          failing,
        );
      });
    };
    function recheckPods() {
      for (const podName of pods.keys()) if (!badSince.has(podName)) checkPod(podName);
    }
    judge(initial);
    if (finished) return;
    watch<Deployment>(
      `deployment ${name}`,
      `/apis/apps/v1/namespaces/${ns(initial)}/deployments`,
      { fieldSelector: `metadata.name=${name}` },
      initial.metadata.resourceVersion,
      (event) => {
        if (event.object.metadata.name !== name) return;
        if (event.type === 'DELETED') return fail('Deleted', `deployment "${name}" was deleted while rolling out`);
        judge(event.object);
      },
      async () => {
        const current = await client.request<Deployment>('GET', `/apis/apps/v1/namespaces/${ns(initial)}/deployments/${name}`);
        judge(current);
        return current.metadata.resourceVersion;
      },
    );

    if (options.watchPods !== false) {
      watch<Pod>(
        `pods of ${name}`,
        `/api/v1/namespaces/${ns(initial)}/pods`,
        { labelSelector: selectorString(initial.spec.selector) },
        undefined,
        (event) => {
          const pod = event.object;
          if (!selectorMatches(initial.spec.selector, pod.metadata.labels)) return;
          if (event.type === 'DELETED') {
            pods.delete(pod.metadata.name);
            badSince.delete(pod.metadata.name);
            return;
          }
          pods.set(pod.metadata.name, pod);
          checkPod(pod.metadata.name);
        },
        async () => {
          pods.clear();
          badSince.clear();
          return undefined;
        },
      );
    }
  });
}
