/** Per-image behaviours: exact reference, or repository (no tag/digest) matching every tag. */

export interface ImageBehaviour {
  image: string;
  readyDelayMs?: number;
  crashLoop?: boolean;
  neverReady?: boolean;
  healthStatus?: number;
  version?: string;
  /** Share of application requests (not /health) answered 500, 0..1 (default 0). Also drives the synthetic traffic in the metrics. */
  errorRatio?: number;
  /** Synthetic requests per second each Ready pod serves, counted in /metrics (default 5). */
  requestRate?: number;
  /** Latency of every request, observed in the latency histogram (default 20 ms). */
  latencyMs?: number;
}

/** `host:5000/svc:v1@sha256:…` → `host:5000/svc`. */
export function repositoryOf(image: string): string {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/** The tag of a reference, `latest` when none. */
export function tagOf(image: string): string {
  const noDigest = image.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : 'latest';
}

export class Behaviours {
  private readonly byImage = new Map<string, ImageBehaviour>();

  set(b: ImageBehaviour): void {
    if (!b || typeof b.image !== 'string' || !b.image) throw new Error('an image behaviour needs an image');
    this.byImage.set(b.image, { ...b });
  }

  list(): ImageBehaviour[] {
    return [...this.byImage.values()].map((b) => ({ ...b }));
  }

  reset(): void {
    this.byImage.clear();
  }

  /** The behaviour for an image: exact reference first, then its repository. */
  for(image: string): ImageBehaviour | undefined {
    return this.byImage.get(image) ?? this.byImage.get(repositoryOf(image));
  }
}
