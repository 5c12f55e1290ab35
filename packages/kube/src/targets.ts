import type { Logger } from '@tripo04os/common';
import type { KubeClient } from './client.ts';
import type { LoadedObject } from './manifests.ts';
import type { WaitOutcome } from './rollout.ts';
import type { Deployment } from './types.ts';

/** One Deployment a deploy run changes. */
export interface Target {
  namespace: string;
  name: string;
  /** The Deployment as it was before this run (undefined: this run creates it). */
  before?: Deployment;
  /** When the Deployment comes from the manifests (applied with server-side apply). */
  manifest?: LoadedObject;
  /** Image changes from the `images` input, for Deployments not in the manifests. */
  imagePatches: { container: string; init: boolean; image: string }[];
  /** Annotations to set on the Deployment (change-cause, deployed-by). */
  annotations: Record<string, string>;
}

export interface TargetOutcome {
  target: Target;
  /** Whether this run sent a change for it (so a rollback must consider it). */
  changed: boolean;
  outcome: WaitOutcome;
  seconds: number;
}

/** What a rolling update needs. */
export interface RolloutContext {
  client: KubeClient;
  logger: Logger;
  timeoutMs: number;
  failureGraceMs: number;
}
