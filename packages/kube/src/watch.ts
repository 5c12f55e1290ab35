import { errorMessage, type Logger, retry } from '@tripo04os/common';
import type { KubeClient, WatchEvent } from './client.ts';

/** What a watch reports to the one who opened it. */
export interface WatchHandlers<T> {
  onEvent(event: WatchEvent<T>): void;
  /**
   * The server answered 410 Gone (resourceVersion too old): read the state again and return the
   * resourceVersion to resume from (undefined: re-open as a fresh list, every object ADDED again).
   */
  relist(): Promise<string | undefined>;
  /** The watch could not be opened (after retries) or re-listed: it is given up. */
  onFail(message: string): void;
}

export interface WatchSettings {
  logger: Logger;
  /** Asks the server to end each watch after this long (it is re-opened from the last resourceVersion). */
  watchTimeoutSeconds?: number;
  /** The clock of the backoff between attempts to open a watch (injected by tests; default: timers and Math.random). */
  clock?: { sleep?: (ms: number) => Promise<void>; random?: () => number };
}

/**
 * A resilient watch: re-opened from the last resourceVersion when the server ends it (watches
 * end by design), re-listed on 410 Gone, each open retried with backoff. Returns its stop.
 */
export function keepWatching<T extends { metadata: { resourceVersion?: string } }>(
  client: KubeClient,
  label: string,
  path: string,
  baseQuery: Record<string, string>,
  startRv: string | undefined,
  handlers: WatchHandlers<T>,
  settings: WatchSettings,
): () => void {
  const { logger } = settings;
  let rv = startRv;
  let stopped = false;
  let stopCurrent: (() => void) | undefined;
  const fail = (err: unknown) => {
    if (stopped) return;
    stopped = true;
    handlers.onFail(`watching ${label} failed: ${errorMessage(err)}`);
  };
  const open = async (): Promise<void> => {
    if (stopped) return;
    let gone = false;
    const ended = (err: unknown) => {
      if (stopped) return;
      if (gone || (err as { statusCode?: number })?.statusCode === 410) {
        logger.debug(`${label} watch: resourceVersion too old, listing again`);
        handlers
          .relist()
          .then((newRv) => {
            rv = newRv;
            return open();
          })
          .catch(fail);
        return;
      }
      logger.debug(`${label} watch ended${err ? ` (${errorMessage(err)})` : ''}; re-opening from ${rv}`);
      void open();
    };
    try {
      await retry(
        async () => {
          if (stopped) return;
          let opened = false;
          let openError: unknown;
          let stop = () => {};
          stop = await client.watch<T>(
            path,
            { ...baseQuery, resourceVersion: rv, allowWatchBookmarks: 'true', timeoutSeconds: settings.watchTimeoutSeconds },
            (event) => {
              if (stopped) return;
              if (event.type === 'ERROR') {
                if ((event.object as unknown as { code?: number }).code === 410) gone = true;
                return;
              }
              if (event.object?.metadata?.resourceVersion) rv = event.object.metadata.resourceVersion;
              if (event.type !== 'BOOKMARK') handlers.onEvent(event);
            },
            (err) => {
              if (!opened) openError = err ?? new Error('watch closed at once');
              else {
                stop(); // release what is left of the ended stream before the next one opens
                ended(err);
              }
            },
          );
          // client.watch reports a refused open through `done` before it resolves: retry it here.
          if (openError !== undefined) throw openError;
          opened = true;
          if (stopped) stop();
          else stopCurrent = stop;
        },
        {
          attempts: 6,
          baseDelayMs: 300,
          maxDelayMs: 5000,
          isRetryable: (err) => (err as { statusCode?: number })?.statusCode !== 410 && !stopped,
          sleep: settings.clock?.sleep,
          random: settings.clock?.random,
        },
      );
    } catch (err) {
      if ((err as { statusCode?: number })?.statusCode === 410) return ended(err);
      fail(err);
    }
  };
  void open();
  return () => {
    stopped = true;
    stopCurrent?.();
  };
}

/**
 * One watch per collection (e.g. the pods of a namespace) shared by every wait that subscribes
 * to it, instead of one per Deployment: a rollout of 20 Deployments in one namespace opens 2
 * watches, not 40. The stream opens at the first subscription, as a fresh list (every object
 * ADDED), and closes with the last one; each subscriber filters the events it wants. A
 * subscriber that joins a stream already open re-reads its state through its own `relist`.
 */
export class SharedWatches {
  private readonly streams = new Map<string, { subscribers: Set<WatchHandlers<never>>; stop: () => void; open: boolean }>();

  private readonly client: KubeClient;
  private readonly settings: WatchSettings;

  constructor(client: KubeClient, settings: WatchSettings) {
    this.client = client;
    this.settings = settings;
  }

  subscribe<T extends { metadata: { resourceVersion?: string } }>(label: string, path: string, handlers: WatchHandlers<T>): () => void {
    const own = handlers as unknown as WatchHandlers<never>;
    let stream = this.streams.get(path);
    if (stream) {
      if (stream.open) void handlers.relist().catch((err) => handlers.onFail(`watching ${label} failed: ${errorMessage(err)}`));
    } else {
      const subscribers = new Set<WatchHandlers<never>>();
      const created = { subscribers, stop: () => {}, open: false };
      stream = created;
      this.streams.set(path, created);
      created.stop = keepWatching<T>(
        this.client,
        label,
        path,
        {},
        undefined,
        {
          onEvent: (event) => {
            for (const s of [...subscribers]) (s as unknown as WatchHandlers<T>).onEvent(event);
          },
          relist: async () => {
            await Promise.all([...subscribers].map((s) => s.relist()));
            return undefined;
          },
          onFail: (message) => {
            this.streams.delete(path);
            for (const s of [...subscribers]) s.onFail(message);
          },
        },
        this.settings,
      );
      // Subscribers of the same tick see the first list; later ones re-read their state.
      queueMicrotask(() => {
        created.open = true;
      });
    }
    const current = stream;
    current.subscribers.add(own);
    return () => {
      current.subscribers.delete(own);
      if (current.subscribers.size === 0 && this.streams.get(path) === current) {
        this.streams.delete(path);
        current.stop();
      }
    };
  }
}
