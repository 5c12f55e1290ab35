/** Files the sandbox keeps in DIR. */
import { join } from 'node:path';

export const pidFile = (dir: string): string => join(dir, 'sandbox.pid');
export const registryPidFile = (dir: string): string => join(dir, 'registry.pid');
export const stateFile = (dir: string): string => join(dir, 'state.json');
export const logFile = (dir: string): string => join(dir, 'sandbox.log');
export const prometheusPidFile = (dir: string): string => join(dir, 'prometheus.pid');
