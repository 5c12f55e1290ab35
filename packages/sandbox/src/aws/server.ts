/** The AWS endpoint: one HTTP server on 127.0.0.1 for ECR, EKS and STS (placeholder until filled in). */
import { createServer } from 'node:http';
import type { SeededFindings } from '../control.ts';
import { closeServer, listen, sendJson } from '../http.ts';
import type { RegistryClient } from '../registry.ts';

export interface AwsEndpointOptions {
  host?: string;
  port?: number;
  region: string;
  accountId: string;
  accessKeyId: string;
  secretAccessKey: string;
  registry: RegistryClient;
  registryPassword: string;
  registryUser: string;
  cluster: () => { name: string; endpoint: string; caData: string; version: string };
  log?: (line: string) => void;
}

export interface AwsEndpoint {
  url: string;
  findings: { seed(f: SeededFindings): void; reset(): void };
  close(): Promise<void>;
}

export async function startAwsEndpoint(options: AwsEndpointOptions): Promise<AwsEndpoint> {
  const seeded: SeededFindings[] = [];
  const server = createServer((_req, res) => sendJson(res, 501, { message: 'not implemented yet' }));
  const port = await listen(server, options.host ?? '127.0.0.1', options.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}`,
    findings: { seed: (f) => seeded.push(f), reset: () => seeded.splice(0) },
    close: () => closeServer(server),
  };
}
