import type { Api } from './api.ts';
import type { Behaviours } from './behaviours.ts';
import type { LogOptions } from './server.ts';
import type { KObject } from './types.ts';
export class Kubelet {
  constructor(_api: Api, _b: Behaviours, _o: { imageExists: (image: string) => Promise<boolean>; defaultReadyDelayMs: number }) {}
  start(): void {}
  stop(): void {}
  logs(_pod: KObject, _o: LogOptions): string {
    return '';
  }
}
