import { checkResponse, type Delivered, type DeliveryOptions, deliver, post } from '../delivery.ts';
import { allFields, fairShare, type Message, total, truncate } from '../message.ts';

/**
 * Microsoft Teams through a Workflows webhook ("Post to a channel when a webhook request is
 * received"): a message with one Adaptive Card attachment. Workflows answers 202 with an empty
 * body, which is success (O365 connector webhooks, retired, answered 200 "1").
 */

const CONTAINER_STYLE = { Good: 'good', Attention: 'attention', Warning: 'warning', Accent: 'accent', Default: 'emphasis' } as const;

/** Adaptive Card markdown: links as `[text](url)`; brackets in the text escaped. */
function cardLink(text: string, url: string | undefined): string {
  const t = text.replace(/([[\]])/g, '\\$1');
  return url ? `[${t}](${url})` : t;
}

/**
 * Teams refuses a message over 28 KB (the JSON as posted). A card that would be larger is cut
 * to fit, text first: the text keeps what the facts leave and never less than half of the room
 * the parts share; the fact values share the rest fairly.
 */
export const TEAMS_MAX_BYTES = 28 * 1024;

/** Bytes a string takes inside the JSON body. */
const jsonBytes = (s: string) => Buffer.byteLength(JSON.stringify(s)) - 2;

/** The longest prefix of `text` (plus `…`) taking at most `max` bytes in JSON. */
function cutToBytes(text: string, max: number): string {
  if (jsonBytes(text) <= max) return text;
  let out = '';
  let used = 3; // the ellipsis
  for (const ch of text) {
    const b = jsonBytes(ch);
    if (used + b > max) break;
    out += ch;
    used += b;
  }
  return `${out}…`;
}

/** The Adaptive Card (schema 1.4, what Teams renders) for a message, cut to Teams' size limit (see `cuts`). */
export function teamsCard(message: Message, cuts: string[] = []): Record<string, unknown> {
  const fields = allFields(message);
  const title = truncate(`${message.status.emoji} ${message.title}`, 1000);
  const text = message.text.trim() ? message.text : '';
  const values = fields.map((f) => cardLink(f.value, f.url));
  let card = buildCard(message, title, text, values);
  const over = Buffer.byteLength(JSON.stringify(teamsEnvelope(card))) - TEAMS_MAX_BYTES;
  if (over <= 0) return card;
  // The parts that may be cut share what they take now minus what is too much (a little margin
  // for the ellipses the cuts add).
  const textBytes = jsonBytes(text);
  const valueBytes = values.map(jsonBytes);
  const room = textBytes + total(valueBytes) - over - 3 * (values.length + 1);
  const textRoom = Math.min(textBytes, Math.max(Math.floor(room / 2), room - total(valueBytes)));
  const valueRoom = fairShare(valueBytes, room - textRoom);
  // Values are cut as plain text: a cut link would break its markup.
  const cutValues = fields.map((f, i) => (valueBytes[i]! <= valueRoom[i]! ? values[i]! : cutToBytes(f.value, valueRoom[i]!)));
  const cutText = cutToBytes(text, textRoom);
  card = buildCard(message, title, cutText, cutValues);
  const parts: string[] = [];
  if (cutText !== text) parts.push(`the text from ${textBytes} to ${jsonBytes(cutText)} bytes`);
  const n = cutValues.filter((v, i) => v !== values[i]).length;
  if (n > 0) parts.push(`${n} fact value${n > 1 ? 's' : ''}`);
  cuts.push(`cut ${parts.join(' and ')} to fit Teams' 28 KB message limit`);
  return card;
}

function buildCard(message: Message, title: string, text: string, values: string[]): Record<string, unknown> {
  const { status, context } = message;
  const body: Record<string, unknown>[] = [
    {
      type: 'Container',
      style: CONTAINER_STYLE[status.teamsColor],
      bleed: true,
      items: [{ type: 'TextBlock', text: title, weight: 'Bolder', size: 'Medium', color: status.teamsColor, wrap: true }],
    },
  ];
  if (text) body.push({ type: 'TextBlock', text, wrap: true });
  const fields = allFields(message);
  if (fields.length > 0) body.push({ type: 'FactSet', facts: fields.map((f, i) => ({ title: f.name, value: values[i] })) });
  const actions: Record<string, unknown>[] = [];
  if (context.runUrl) actions.push({ type: 'Action.OpenUrl', title: 'View run', url: context.runUrl });
  if (context.commitUrl) actions.push({ type: 'Action.OpenUrl', title: 'View commit', url: context.commitUrl });
  return {
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    type: 'AdaptiveCard',
    version: '1.4',
    msteams: { width: 'Full' },
    body,
    ...(actions.length > 0 ? { actions } : {}),
  };
}

/** Wraps an Adaptive Card into the message envelope the Workflows webhook expects. */
export function teamsEnvelope(card: Record<string, unknown>): Record<string, unknown> {
  return {
    type: 'message',
    attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
  };
}

/** The Teams body: the default card, or a `payload` (a bare AdaptiveCard gets the envelope). */
export function teamsMessage(message: Message, payload?: Record<string, unknown>, cuts: string[] = []): Record<string, unknown> {
  if (payload) return payload.type === 'AdaptiveCard' ? teamsEnvelope(payload) : payload;
  return teamsEnvelope(teamsCard(message, cuts));
}

export async function sendTeams(url: string, body: Record<string, unknown>, options: DeliveryOptions): Promise<Delivered<{ id?: string }>> {
  const json = JSON.stringify(body);
  return deliver(
    'teams',
    async () => {
      const res = await post(url, json, {}, options.timeoutMs);
      // 202 Accepted with an empty body is how Workflows says yes.
      checkResponse(res);
      return {};
    },
    options,
  );
}
