import { parseRetryAfter } from '@tripo04os/common';
import {
  checkResponse,
  type Delivered,
  DeliveryError,
  type DeliveryOptions,
  deliver,
  type HttpResponse,
  oneLine,
  post,
} from '../delivery.ts';
import { allowSlackMentions, slackEscape, slackLink, toSlackMrkdwn } from '../markdown.ts';
import { allFields, type Field, type Message, truncate } from '../message.ts';

/**
 * Slack: an incoming webhook, or the Web API (`chat.postMessage`, `chat.update` with `ts`,
 * replies with `thread_ts`). The message is an attachment (for the status colour bar) holding
 * Block Kit blocks in mrkdwn, with a plain `text` fallback for notifications.
 */

// Block Kit limits: section text 3000, 10 fields of 2000 each per section, 50 blocks.
const SECTION_TEXT = 3000;
const FIELD_TEXT = 2000;
const FIELDS_PER_SECTION = 10;
const MAX_BLOCKS = 50;

function fieldMrkdwn(f: Field): string {
  const value = f.url ? slackLink(f.url, f.value) : slackEscape(f.value);
  return truncate(`*${slackEscape(f.name)}*\n${value}`, FIELD_TEXT);
}

export type SlackMessage = Record<string, unknown> & { text: string };

export interface SlackRenderOptions {
  /** Let Slack's mention syntax in the title, text and fields ping (`slack-mentions`); by default it shows as text. */
  mentions?: boolean;
  /** Receives a line for each part cut to fit Slack's limits. */
  cuts?: string[];
}

/**
 * The Slack payload (webhook and Web API share it). Every piece of user text is escaped
 * (`&`, `<`, `>`), the top-level `text` too, so `<!channel>` in a commit message stays text.
 */
export function slackMessage(message: Message, options: SlackRenderOptions = {}): SlackMessage {
  const { status, context } = message;
  const cuts = options.cuts ?? [];
  const out = options.mentions ? allowSlackMentions : (s: string) => s;
  const title = context.runUrl ? slackLink(context.runUrl, message.title) : slackEscape(message.title);
  const body = toSlackMrkdwn(message.text);
  const section = `${status.emoji} *${title}*${body ? `\n${body}` : ''}`;
  if (Array.from(section).length > SECTION_TEXT) {
    cuts.push(`cut the title and text from ${Array.from(section).length} to ${SECTION_TEXT} characters (Slack's section limit)`);
  }
  const blocks: Record<string, unknown>[] = [{ type: 'section', text: { type: 'mrkdwn', text: out(truncate(section, SECTION_TEXT)) } }];
  const fields = allFields(message);
  for (let i = 0; i < fields.length && blocks.length < MAX_BLOCKS; i += FIELDS_PER_SECTION) {
    blocks.push({
      type: 'section',
      fields: fields.slice(i, i + FIELDS_PER_SECTION).map((f) => ({ type: 'mrkdwn', text: out(fieldMrkdwn(f)) })),
    });
  }
  const shown = (MAX_BLOCKS - 1) * FIELDS_PER_SECTION;
  if (fields.length > shown)
    cuts.push(`left out ${fields.length - shown} of ${fields.length} fields (Slack shows at most ${MAX_BLOCKS} blocks)`);
  const fallback = out(truncate(slackEscape(`${status.emoji} ${message.title}`), 3000));
  return {
    text: fallback,
    attachments: [{ color: status.color, fallback, blocks }],
  };
}

/** Escapes every placeholder value for Slack (mentions kept only when asked), for `payload` templates sent to Slack. */
export function slackValues<K extends string>(values: Record<K, string>, mentions = false): Record<K, string> {
  const out = {} as Record<K, string>;
  for (const [k, v] of Object.entries(values) as [K, string][]) out[k] = mentions ? allowSlackMentions(slackEscape(v)) : slackEscape(v);
  return out;
}

/** Slack webhooks answer errors in plain text: `invalid_payload`, `no_service`, `channel_is_archived`. */
function webhookErrorText(res: HttpResponse): string {
  return oneLine(res.text) || 'no error text';
}

export async function sendSlackWebhook(
  url: string,
  body: Record<string, unknown>,
  options: DeliveryOptions,
): Promise<Delivered<{ id?: string }>> {
  const json = JSON.stringify(body);
  return deliver(
    'slack',
    async () => {
      const res = await post(url, json, {}, options.timeoutMs);
      checkResponse(res, webhookErrorText);
      return {};
    },
    options,
  );
}

export interface SlackApiTarget {
  token: string;
  channel: string;
  /** Base URL of the Web API (default https://slack.com/api). */
  apiUrl: string;
  /** Update this message (chat.update) instead of posting a new one. */
  ts?: string;
  /** Reply in this thread. */
  threadTs?: string;
}

export interface SlackApiResult {
  id: string;
  ts: string;
  channel: string;
}

/** Slack Web API errors worth another try (besides HTTP 429 and 5xx). */
const RETRYABLE_API_ERRORS = new Set([
  'ratelimited',
  'rate_limited',
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/** Posts (or updates) with the Web API. Slack answers HTTP 200 with `ok: false` on errors: `error` is the failure text. */
export async function sendSlackApi(
  target: SlackApiTarget,
  body: Record<string, unknown>,
  options: DeliveryOptions,
): Promise<Delivered<SlackApiResult>> {
  const method = target.ts ? 'chat.update' : 'chat.postMessage';
  const payload: Record<string, unknown> = { ...body, channel: body.channel ?? target.channel };
  if (target.ts) payload.ts = target.ts;
  else if (target.threadTs && payload.thread_ts === undefined) payload.thread_ts = target.threadTs;
  const json = JSON.stringify(payload);
  const url = `${target.apiUrl.replace(/\/+$/, '')}/${method}`;
  return deliver(
    'slack-api',
    async () => {
      const res = await post(url, json, { authorization: `Bearer ${target.token}` }, options.timeoutMs);
      checkResponse(res, (r) => oneLine(r.text) || 'no error text');
      let answer: { ok?: boolean; error?: string; ts?: string; channel?: string; warning?: string };
      try {
        answer = JSON.parse(res.text);
      } catch {
        throw new DeliveryError(`${method}: the answer is not JSON (HTTP ${res.status})`, { status: res.status, retryable: false });
      }
      if (!answer.ok) {
        const error = answer.error ?? 'unknown_error';
        throw new DeliveryError(`${method}: ${error}`, {
          status: res.status,
          retryable: RETRYABLE_API_ERRORS.has(error),
          retryAfterMs: parseRetryAfter(res.headers.get('retry-after')),
        });
      }
      const ts = answer.ts ?? target.ts ?? '';
      return { id: ts, ts, channel: answer.channel ?? target.channel };
    },
    options,
  );
}
