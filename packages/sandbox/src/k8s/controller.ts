import type { Api } from './api.ts';
export class Controllers {
  constructor(_api: Api) {}
  start(): void {}
  stop(): void {}
}
