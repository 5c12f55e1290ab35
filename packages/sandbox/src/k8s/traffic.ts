import type { Api } from './api.ts';
import type { Behaviours } from './behaviours.ts';
export class ServiceTraffic {
  constructor(_api: Api, _b: Behaviours, _host: string) {}
  start(): void {}
  async stop(): Promise<void> {}
  list(): { namespace: string; name: string; url: string }[] {
    return [];
  }
}
