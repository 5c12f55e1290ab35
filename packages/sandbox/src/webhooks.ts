/**
 * The webhook sink: records every request and answers each path the way the real service does
 * (Slack incoming webhooks and Web API, Teams Workflows, Discord, generic). Tests can make it
 * fail the next N requests with 429 (Retry-After) or 5xx through the control endpoint.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { closeServer, listen, readBody, sendJson, sendText } from './http.ts';

export interface WebhookRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  /** The body as text. */
  body: string;
  /** The body parsed as JSON (or, for a form-encoded body, its fields), when it parses. */
  json: unknown;
  /** The HTTP status the sink answered. */
  status: number;
  /** ISO time the request arrived. */
  at: string;
}

export interface FailureRule {
  status: number;
  count: number;
  retryAfter?: number | undefined;
  path?: string | undefined;
}

export interface WebhookSink {
  url: string;
  requests(pathPrefix?: string): WebhookRequest[];
  fail(rule: FailureRule): void;
  reset(): void;
  close(): Promise<void>;
}

interface SlackMessage {
  channel: string;
  ts: string;
  text: string;
  blocks?: unknown;
  attachments?: unknown;
  thread_ts?: string;
}

/** Slack answers with channel IDs: a name maps to a stable made-up ID. */
function channelId(channel: string): string {
  if (/^[CGD][A-Z0-9]{6,}$/.test(channel)) return channel;
  const name = channel.replace(/^#/, '');
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return `C${h.toString(36).toUpperCase().padStart(8, '0')}`;
}

function parseBody(text: string, contentType: string): unknown {
  if (!text) return null;
  if (contentType.includes('application/x-www-form-urlencoded')) {
    const fields = Object.fromEntries(new URLSearchParams(text));
    if (typeof fields.payload === 'string') {
      try {
        return JSON.parse(fields.payload);
      } catch {}
    }
    return fields;
  }
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}

export async function startWebhookSink(options: { host?: string; port?: number } = {}): Promise<WebhookSink> {
  const host = options.host ?? '127.0.0.1';
  let recorded: WebhookRequest[] = [];
  let rules: FailureRule[] = [];
  const messages = new Map<string, SlackMessage>();
  let tsCounter = 0;

  const nextTs = (): string => {
    const seconds = Math.floor(Date.now() / 1000);
    tsCounter = (tsCounter + 1) % 1_000_000;
    return `${seconds}.${String(tsCounter).padStart(6, '0')}`;
  };

  function slackApi(method: string, req: IncomingMessage, json: unknown, res: ServerResponse): number {
    const params = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
    const auth = req.headers.authorization ?? '';
    const token = auth.startsWith('Bearer ') ? auth.slice(7).trim() : typeof params.token === 'string' ? params.token : '';
    const answer = (body: Record<string, unknown>): number => {
      sendJson(res, 200, body);
      return 200;
    };
    if (!token) return answer({ ok: false, error: 'not_authed' });
    if (!/^xox[bp]-/.test(token)) return answer({ ok: false, error: 'invalid_auth' });
    const channel = typeof params.channel === 'string' ? params.channel : '';
    if (!channel) return answer({ ok: false, error: 'channel_not_found' });
    if (/^#?missing/.test(channel)) return answer({ ok: false, error: 'channel_not_found' });
    const text = typeof params.text === 'string' ? params.text : '';
    const hasContent = text || params.blocks !== undefined || params.attachments !== undefined;
    const id = channelId(channel);
    if (method === 'chat.postMessage') {
      if (!hasContent) return answer({ ok: false, error: 'no_text' });
      const ts = nextTs();
      const message: SlackMessage = { channel: id, ts, text, blocks: params.blocks, attachments: params.attachments };
      if (typeof params.thread_ts === 'string') message.thread_ts = params.thread_ts;
      messages.set(ts, message);
      return answer({
        ok: true,
        channel: id,
        ts,
        message: {
          type: 'message',
          subtype: 'bot_message',
          bot_id: 'BSANDBOX',
          text,
          ts,
          blocks: message.blocks,
          attachments: message.attachments,
          thread_ts: message.thread_ts,
        },
      });
    }
    // chat.update
    const ts = typeof params.ts === 'string' ? params.ts : '';
    const existing = messages.get(ts);
    if (!existing || existing.channel !== id) return answer({ ok: false, error: 'message_not_found' });
    if (!hasContent) return answer({ ok: false, error: 'no_text' });
    existing.text = text;
    existing.blocks = params.blocks;
    existing.attachments = params.attachments;
    return answer({
      ok: true,
      channel: id,
      ts,
      text,
      message: { type: 'message', bot_id: 'BSANDBOX', text, blocks: params.blocks, attachments: params.attachments },
    });
  }

  function handle(req: IncomingMessage, res: ServerResponse, url: URL, json: unknown): number {
    const path = url.pathname;
    const rule = rules.find((r) => r.count > 0 && (!r.path || path.startsWith(r.path)));
    if (rule) {
      rule.count--;
      rules = rules.filter((r) => r.count > 0);
      const headers: Record<string, string> = {};
      if (rule.retryAfter !== undefined) headers['retry-after'] = String(rule.retryAfter);
      if (path.startsWith('/api/chat.'))
        sendJson(res, rule.status, { ok: false, error: rule.status === 429 ? 'ratelimited' : 'fatal_error' }, headers);
      else sendText(res, rule.status, rule.status === 429 ? 'rate_limited' : 'internal_error', headers);
      return rule.status;
    }
    if (path.startsWith('/services/')) {
      if (req.method !== 'POST') {
        sendText(res, 405, 'invalid_method');
        return 405;
      }
      if (json === null || typeof json !== 'object') {
        sendText(res, 400, 'invalid_payload');
        return 400;
      }
      const p = json as Record<string, unknown>;
      if (!p.text && p.blocks === undefined && p.attachments === undefined) {
        sendText(res, 400, 'no_text');
        return 400;
      }
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': 2 });
      res.end('ok');
      return 200;
    }
    if (path === '/api/chat.postMessage') return slackApi('chat.postMessage', req, json, res);
    if (path === '/api/chat.update') return slackApi('chat.update', req, json, res);
    if (path.startsWith('/workflows/')) {
      res.writeHead(202, { 'content-length': 0 });
      res.end();
      return 202;
    }
    if (path.startsWith('/api/webhooks/')) {
      if (url.searchParams.get('wait') === 'true') {
        const p = (json && typeof json === 'object' ? json : {}) as Record<string, unknown>;
        sendJson(res, 200, {
          id: BigInt(`0x${randomBytes(7).toString('hex')}`).toString(),
          type: 0,
          content: typeof p.content === 'string' ? p.content : '',
          embeds: Array.isArray(p.embeds) ? p.embeds : [],
          channel_id: '100000000000000000',
          webhook_id: path.split('/')[3] ?? '',
          timestamp: new Date().toISOString(),
        });
        return 200;
      }
      res.writeHead(204);
      res.end();
      return 204;
    }
    sendJson(res, 200, { ok: true });
    return 200;
  }

  const server: Server = createServer(async (req, res) => {
    try {
      const url = new URL(req.url ?? '/', 'http://sink');
      const raw = await readBody(req);
      const body = raw.toString('utf8');
      const json = parseBody(body, String(req.headers['content-type'] ?? ''));
      const status = handle(req, res, url, json);
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      recorded.push({
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers,
        body,
        json,
        status,
        at: new Date().toISOString(),
      });
    } catch (err) {
      if (!res.headersSent) sendText(res, 500, String(err));
    }
  });
  const port = await listen(server, host, options.port ?? 0);
  return {
    url: `http://${host}:${port}`,
    requests: (prefix) => (prefix ? recorded.filter((r) => r.path.startsWith(prefix)) : [...recorded]),
    fail: (rule) => {
      rules.push({ ...rule });
    },
    reset: () => {
      recorded = [];
      rules = [];
      messages.clear();
    },
    close: () => closeServer(server),
  };
}
