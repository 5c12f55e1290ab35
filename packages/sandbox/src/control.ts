/** The control endpoint (SANDBOX_CONTROL_URL): JSON over HTTP, documented in the README. */
import { createServer, type Server } from 'node:http';
import type { ImageBehaviour } from './cluster/behaviours.ts';
import { closeServer, listen, readBody, sendJson, sendText } from './http.ts';
import type { RecordedMail } from './smtp.ts';
import type { FailureRule, WebhookRequest } from './webhooks.ts';

export type { ImageBehaviour };

export type ScanStatus =
  | 'COMPLETE'
  | 'FAILED'
  | 'ACTIVE'
  | 'UNSUPPORTED_IMAGE'
  | 'PENDING'
  | 'IN_PROGRESS'
  | 'SCAN_ELIGIBILITY_EXPIRED'
  | 'FINDINGS_UNAVAILABLE';
export type Severity = 'INFORMATIONAL' | 'LOW' | 'MEDIUM' | 'HIGH' | 'CRITICAL' | 'UNDEFINED';

export interface SeededFinding {
  name: string;
  severity: Severity;
  uri?: string;
  description?: string;
  /** The vulnerable package, its installed version and the version that fixes it (basic: attributes; enhanced: vulnerablePackages, fixAvailable). */
  package?: string;
  packageVersion?: string;
  fixedInVersion?: string;
}

export interface SeededFindings {
  repository: string;
  imageTag?: string;
  imageDigest?: string;
  status: ScanStatus;
  description?: string;
  findings?: SeededFinding[];
  pendingPolls?: number;
}

export interface ServiceUrl {
  namespace: string;
  name: string;
  url: string;
  /** The EKS cluster the Service is in. */
  cluster?: string;
}

export interface ControlParts {
  webhooks: { requests(prefix?: string): WebhookRequest[]; fail(rule: FailureRule): void; reset(): void };
  mails: { mails(): RecordedMail[]; reset(): void };
  behaviours: { set(b: ImageBehaviour): void; list(): ImageBehaviour[]; reset(): void };
  services(): ServiceUrl[];
  /** The pods' application metrics (Prometheus text format) and real requests per pod. */
  metrics(): string;
  requests(): { namespace: string; pod: string; service: string; requests: number }[];
  pushImage(repository: string, tag: string): Promise<{ image: string; digest: string }>;
  findings: { seed(f: SeededFindings): void; reset(): void };
  clusters(): { name: string; endpoint: string }[];
  status(): Record<string, unknown>;
}

class BadRequest extends Error {}

function object(body: unknown): Record<string, unknown> {
  if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequest('the body must be a JSON object');
  return body as Record<string, unknown>;
}

function str(o: Record<string, unknown>, key: string, required = true): string | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'string' || !v) throw new BadRequest(`"${key}" must be a non-empty string`);
  return v;
}

function num(o: Record<string, unknown>, key: string, required = true): number | undefined {
  const v = o[key];
  if (v === undefined && !required) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) throw new BadRequest(`"${key}" must be a number ≥ 0`);
  return v;
}

function bool(o: Record<string, unknown>, key: string): boolean | undefined {
  const v = o[key];
  if (v === undefined) return undefined;
  if (typeof v !== 'boolean') throw new BadRequest(`"${key}" must be true or false`);
  return v;
}

const STATUSES = [
  'COMPLETE',
  'FAILED',
  'ACTIVE',
  'UNSUPPORTED_IMAGE',
  'PENDING',
  'IN_PROGRESS',
  'SCAN_ELIGIBILITY_EXPIRED',
  'FINDINGS_UNAVAILABLE',
];
const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL', 'UNDEFINED'];

export async function startControlServer(
  parts: ControlParts,
  options: { host?: string; port?: number } = {},
): Promise<{ url: string; close(): Promise<void> }> {
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://control');
      const raw = await readBody(req);
      const body = raw.length ? (JSON.parse(raw.toString('utf8')) as unknown) : undefined;
      const route = `${req.method} ${url.pathname.replace(/\/+$/, '') || '/'}`;
      switch (route) {
        case 'GET /':
        case 'GET /health':
          return sendJson(res, 200, { ok: true, ...parts.status() });
        case 'POST /images': {
          const o = object(body);
          const repository = str(o, 'repository')!;
          const tag = str(o, 'tag', false) ?? 'latest';
          if (!/^[a-z0-9]+(?:[._-][a-z0-9]+)*(?:\/[a-z0-9]+(?:[._-][a-z0-9]+)*)*$/.test(repository))
            throw new BadRequest(`"repository" ${repository} is not a valid repository name`);
          if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) throw new BadRequest(`"tag" ${tag} is not a valid tag`);
          return sendJson(res, 201, await parts.pushImage(repository, tag));
        }
        case 'PUT /behaviours': {
          const o = object(body);
          const b: ImageBehaviour = { image: str(o, 'image')! };
          const delay = num(o, 'readyDelayMs', false);
          if (delay !== undefined) b.readyDelayMs = delay;
          const crash = bool(o, 'crashLoop');
          if (crash !== undefined) b.crashLoop = crash;
          const never = bool(o, 'neverReady');
          if (never !== undefined) b.neverReady = never;
          const health = num(o, 'healthStatus', false);
          if (health !== undefined) {
            if (!Number.isInteger(health) || health < 100 || health > 599)
              throw new BadRequest('"healthStatus" must be an HTTP status (100-599)');
            b.healthStatus = health;
          }
          const version = str(o, 'version', false);
          if (version !== undefined) b.version = version;
          const ratio = num(o, 'errorRatio', false);
          if (ratio !== undefined) {
            if (ratio > 1) throw new BadRequest('"errorRatio" must be between 0 and 1');
            b.errorRatio = ratio;
          }
          const rate = num(o, 'requestRate', false);
          if (rate !== undefined) b.requestRate = rate;
          const latency = num(o, 'latencyMs', false);
          if (latency !== undefined) b.latencyMs = latency;
          parts.behaviours.set(b);
          return sendJson(res, 200, b);
        }
        case 'GET /behaviours':
          return sendJson(res, 200, parts.behaviours.list());
        case 'DELETE /behaviours':
          parts.behaviours.reset();
          return sendJson(res, 200, []);
        case 'PUT /ecr/findings': {
          const o = object(body);
          const status = str(o, 'status')!;
          if (!STATUSES.includes(status)) throw new BadRequest(`"status" ${status} is not one of ${STATUSES.join(', ')}`);
          const f: SeededFindings = { repository: str(o, 'repository')!, status: status as ScanStatus };
          const tag = str(o, 'imageTag', false);
          if (tag) f.imageTag = tag;
          const digest = str(o, 'imageDigest', false);
          if (digest) f.imageDigest = digest;
          const description = str(o, 'description', false);
          if (description) f.description = description;
          const polls = num(o, 'pendingPolls', false);
          if (polls !== undefined) f.pendingPolls = Math.floor(polls);
          if (o.findings !== undefined) {
            if (!Array.isArray(o.findings)) throw new BadRequest('"findings" must be an array');
            f.findings = o.findings.map((x) => {
              const fo = object(x);
              const severity = str(fo, 'severity')!;
              if (!SEVERITIES.includes(severity))
                throw new BadRequest(`finding severity ${severity} is not one of ${SEVERITIES.join(', ')}`);
              const finding: SeededFinding = { name: str(fo, 'name')!, severity: severity as Severity };
              const uri = str(fo, 'uri', false);
              if (uri) finding.uri = uri;
              const d = str(fo, 'description', false);
              if (d) finding.description = d;
              for (const key of ['package', 'packageVersion', 'fixedInVersion'] as const) {
                const v = str(fo, key, false);
                if (v) finding[key] = v;
              }
              return finding;
            });
          }
          parts.findings.seed(f);
          return sendJson(res, 200, f);
        }
        case 'GET /webhooks':
          return sendJson(res, 200, parts.webhooks.requests(url.searchParams.get('path') ?? undefined));
        case 'DELETE /webhooks':
          parts.webhooks.reset();
          return sendJson(res, 200, []);
        case 'POST /webhooks/fail': {
          const o = object(body);
          const status = num(o, 'status')!;
          if (!Number.isInteger(status) || status < 400 || status > 599) throw new BadRequest('"status" must be 4xx or 5xx');
          const rule: FailureRule = { status, count: Math.floor(num(o, 'count', false) ?? 1) };
          const retryAfter = num(o, 'retryAfter', false);
          if (retryAfter !== undefined) rule.retryAfter = retryAfter;
          const path = str(o, 'path', false);
          if (path) rule.path = path;
          parts.webhooks.fail(rule);
          return sendJson(res, 200, rule);
        }
        case 'GET /mails':
          return sendJson(res, 200, parts.mails.mails());
        case 'DELETE /mails':
          parts.mails.reset();
          return sendJson(res, 200, []);
        case 'GET /services':
          return sendJson(res, 200, parts.services());
        case 'GET /metrics':
          return sendText(res, 200, parts.metrics(), { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        case 'GET /requests':
          return sendJson(res, 200, parts.requests());
        case 'GET /eks/clusters':
          return sendJson(res, 200, parts.clusters());
        case 'POST /reset':
          parts.behaviours.reset();
          parts.findings.reset();
          parts.webhooks.reset();
          parts.mails.reset();
          return sendJson(res, 200, { ok: true });
        default:
          return sendJson(res, 404, { error: `no route ${route}` });
      }
    } catch (err) {
      const bad = err instanceof BadRequest || err instanceof SyntaxError;
      sendJson(res, bad ? 400 : 500, { error: err instanceof Error ? err.message : String(err) });
    }
  });
  const port = await listen(server, host, options.port ?? 0);
  return { url: `http://${host}:${port}`, close: () => closeServer(server) };
}
