/**
 * In-memory object store: one global resourceVersion counter (like etcd's revision), a bounded
 * history of changes so watches can resume from a resourceVersion (410 Gone when it fell out of
 * the window), and a fan-out to open watches and to the controllers.
 */
import { gone } from './errors.ts';
import type { KObject } from './types.ts';

export type EventType = 'ADDED' | 'MODIFIED' | 'DELETED';

export interface StoreEvent {
  type: EventType;
  resource: string;
  rv: number;
  object: KObject;
  /** The previous version (MODIFIED, DELETED). */
  old?: KObject;
}

export interface Watcher {
  resource: string;
  namespace?: string;
  send(e: StoreEvent): void;
}

function key(ns: string | undefined, name: string): string {
  return `${ns ?? ''}/${name}`;
}

export class Store {
  private rv = 1;
  private readonly data = new Map<string, Map<string, KObject>>();
  private readonly history: StoreEvent[] = [];
  private historyStart = 0;
  /** resourceVersion of the newest event dropped from the history. */
  private compactedRv = 0;
  private readonly historyLimit: number;
  private readonly watchers = new Set<Watcher>();
  private readonly listeners: ((e: StoreEvent) => void)[] = [];

  constructor(historyLimit = 10_000) {
    this.historyLimit = historyLimit;
  }

  currentRv(): number {
    return this.rv;
  }

  get(resource: string, ns: string | undefined, name: string): KObject | undefined {
    return this.data.get(resource)?.get(key(ns, name));
  }

  list(resource: string, ns?: string): KObject[] {
    const m = this.data.get(resource);
    if (!m) return [];
    const all = [...m.values()];
    return ns === undefined ? all : all.filter((o) => (o.metadata.namespace ?? '') === ns);
  }

  /** Stores a new or changed object; assigns the next resourceVersion. The object must not be mutated afterwards. */
  put(resource: string, obj: KObject): KObject {
    let m = this.data.get(resource);
    if (!m) this.data.set(resource, (m = new Map()));
    const k = key(obj.metadata.namespace, obj.metadata.name!);
    const old = m.get(k);
    this.rv++;
    obj.metadata.resourceVersion = String(this.rv);
    m.set(k, obj);
    this.emit({ type: old ? 'MODIFIED' : 'ADDED', resource, rv: this.rv, object: obj, old });
    return obj;
  }

  remove(resource: string, ns: string | undefined, name: string): KObject | undefined {
    const m = this.data.get(resource);
    const k = key(ns, name);
    const old = m?.get(k);
    if (!m || !old) return undefined;
    m.delete(k);
    this.rv++;
    const gone = { ...old, metadata: { ...old.metadata, resourceVersion: String(this.rv) } };
    this.emit({ type: 'DELETED', resource, rv: this.rv, object: gone, old });
    return gone;
  }

  /** Calls fn for every change, synchronously (controllers only enqueue work there). */
  subscribe(fn: (e: StoreEvent) => void): void {
    this.listeners.push(fn);
  }

  /**
   * Opens a watch. With `fromRv` the changes after it are replayed first (410 Gone when they
   * are no longer in the history); without it the caller sends the current state itself.
   */
  watch(w: Watcher, fromRv?: number): () => void {
    if (fromRv !== undefined) {
      if (fromRv < this.compactedRv) throw gone(`too old resource version: ${fromRv} (${this.compactedRv + 1})`);
      for (let i = this.historyStart; i < this.history.length; i++) {
        const e = this.history[i]!;
        if (
          e.rv > fromRv &&
          e.resource === w.resource &&
          (w.namespace === undefined || (e.object.metadata.namespace ?? '') === w.namespace)
        )
          w.send(e);
      }
    }
    this.watchers.add(w);
    return () => this.watchers.delete(w);
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length - this.historyStart > this.historyLimit) {
      this.compactedRv = this.history[this.historyStart]!.rv;
      this.history[this.historyStart] = undefined as unknown as StoreEvent;
      this.historyStart++;
      if (this.historyStart > 4096 && this.historyStart * 2 > this.history.length) {
        this.history.splice(0, this.historyStart);
        this.historyStart = 0;
      }
    }
    for (const w of this.watchers) {
      if (w.resource === e.resource && (w.namespace === undefined || (e.object.metadata.namespace ?? '') === w.namespace)) {
        try {
          w.send(e);
        } catch {
          this.watchers.delete(w);
        }
      }
    }
    for (const l of this.listeners) l(e);
  }

  closeWatchers(): void {
    this.watchers.clear();
  }
}
