import { checkResponse, type Delivered, type DeliveryOptions, deliver, post } from '../delivery.ts';
import { allFields, type Field, fairShare, type Message, total, truncate } from '../message.ts';

/**
 * Discord webhooks: one embed, within Discord's documented limits (title 256, description
 * 4096, 25 fields of name 256 / value 1024, footer 2048, 6000 characters in all; content 2000).
 * Long parts are cut with `…`, never rejected or dropped. `?wait=true` makes Discord answer with the message,
 * which gives its id.
 */
export const DISCORD_LIMITS = {
  content: 2000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  total: 6000,
} as const;

function len(s: string): number {
  return Array.from(s).length;
}

export interface DiscordEmbed {
  title: string;
  url?: string;
  description?: string;
  color: number;
  fields: { name: string; value: string; inline: boolean }[];
  footer?: { text: string };
  timestamp?: string;
}

/** Total characters Discord counts towards the 6000 limit of one embed. */
export function embedLength(e: DiscordEmbed): number {
  return len(e.title) + len(e.description ?? '') + len(e.footer?.text ?? '') + e.fields.reduce((n, f) => n + len(f.name) + len(f.value), 0);
}

function discordLink(text: string, url: string | undefined): string {
  const t = text.replace(/([[\]])/g, '\\$1');
  return url ? `[${t}](${url})` : t;
}

/**
 * The embed for a message, within Discord's limits. The text always survives: it gets what the
 * fields leave, and never less than half of the room left by the title and footer; the fields
 * share the rest fairly (short ones whole, long ones cut with `…`). More than 25 fields: the
 * last ones are folded into the 25th. Each cut is described in `cuts` (for the log).
 */
export function discordEmbed(message: Message, now = new Date(), cuts: string[] = []): DiscordEmbed {
  const { status, context } = message;
  const L = DISCORD_LIMITS;
  const fullTitle = `${status.emoji} ${message.title}`;
  const embed: DiscordEmbed = {
    title: truncate(fullTitle, L.title),
    color: Number.parseInt(status.color.slice(1), 16),
    fields: [],
    timestamp: now.toISOString(),
  };
  if (len(fullTitle) > L.title) cuts.push(`cut the title from ${len(fullTitle)} to ${L.title} characters`);
  if (context.runUrl) embed.url = context.runUrl;
  const footer = [context.repository, context.workflow && `${context.workflow}${context.runNumber ? ` #${context.runNumber}` : ''}`]
    .filter(Boolean)
    .join(' · ');
  if (footer) embed.footer = { text: truncate(footer, L.footer) };

  let fields = allFields(message);
  if (fields.length > L.fields) {
    const rest = fields.slice(L.fields - 1);
    cuts.push(`${fields.length} fields: the last ${rest.length} folded into one (Discord shows at most ${L.fields})`);
    const folded = { name: 'More', value: rest.map((f) => `${f.name}: ${f.value}${f.url ? ` (${f.url})` : ''}`).join('\n') };
    fields = [...fields.slice(0, L.fields - 1), folded];
  }

  const room = L.total - embedLength(embed);
  const text = message.text.trim() ? message.text : '';
  const names = fields.map((f) => Math.max(1, Math.min(len(f.name), L.fieldName)));
  const values = fields.map((f) => Math.max(1, Math.min(len(fieldValue(f, Number.POSITIVE_INFINITY)), L.fieldValue)));
  const fieldsWant = total(names) + total(values);
  const textRoom = Math.min(len(text), L.description, Math.max(Math.floor(room / 2), room - fieldsWant));
  if (text) {
    embed.description = truncate(text, textRoom);
    if (textRoom < len(text)) cuts.push(`cut the text from ${len(text)} to ${textRoom} characters`);
  }
  // Names first (they are short), one character kept for every value; then the values.
  const fieldRoom = room - textRoom;
  const nameRoom = fairShare(names, fieldRoom - fields.length);
  const valueRoom = fairShare(values, fieldRoom - total(nameRoom));
  let cutNames = 0;
  let cutValues = 0;
  fields.forEach((f, i) => {
    const name = truncate(f.name, nameRoom[i] as number) || '\u200b';
    const value = fieldValue(f, valueRoom[i] as number) || '\u200b';
    if (name !== f.name && f.name) cutNames++;
    if (len(value) < len(fieldValue(f, Number.POSITIVE_INFINITY))) cutValues++;
    embed.fields.push({ name, value, inline: true });
  });
  if (cutNames > 0) cuts.push(`cut ${cutNames} field name${cutNames > 1 ? 's' : ''} to fit Discord's ${L.total} characters`);
  if (cutValues > 0) {
    cuts.push(`cut ${cutValues} field value${cutValues > 1 ? 's' : ''} to fit Discord's ${L.total} characters (${L.fieldValue} a value)`);
  }
  return embed;
}

/** A field's value as Discord shows it, in at most `max` characters; a link whose markup would not fit is dropped. */
function fieldValue(f: Field, max: number): string {
  const limit = Math.min(max, DISCORD_LIMITS.fieldValue);
  if (!f.url) return truncate(f.value, limit);
  // Cut the plain value, not the link markup, so a long value never leaves a broken link.
  let room = limit - (len(f.url) + 4);
  // Too little room for the link and a readable piece of the value: the value alone, cut.
  if (room < Math.min(len(f.value), 16)) return truncate(f.value, limit);
  let out = discordLink(truncate(f.value, room), f.url);
  while (len(out) > limit && room > 1) {
    room -= len(out) - limit;
    out = discordLink(truncate(f.value, room), f.url);
  }
  return out;
}

export function discordMessage(message: Message, payload?: Record<string, unknown>, cuts: string[] = []): Record<string, unknown> {
  if (payload) {
    const out = { ...payload };
    if (typeof out.content === 'string' && len(out.content) > DISCORD_LIMITS.content) {
      cuts.push(`cut the payload's content from ${len(out.content)} to ${DISCORD_LIMITS.content} characters`);
      out.content = truncate(out.content, DISCORD_LIMITS.content);
    }
    return out;
  }
  // No pings from a CI message: @everyone or a role name in a commit message stays text.
  return { embeds: [discordEmbed(message, new Date(), cuts)], allowed_mentions: { parse: [] } };
}

export async function sendDiscord(
  url: string,
  body: Record<string, unknown>,
  options: DeliveryOptions,
): Promise<Delivered<{ id?: string }>> {
  const target = new URL(url);
  target.searchParams.set('wait', 'true');
  const json = JSON.stringify(body);
  return deliver(
    'discord',
    async () => {
      const res = await post(target.toString(), json, {}, options.timeoutMs);
      checkResponse(res);
      if (res.status === 204 || !res.text) return {};
      try {
        const id = (JSON.parse(res.text) as { id?: unknown }).id;
        return typeof id === 'string' ? { id } : {};
      } catch {
        return {};
      }
    },
    options,
  );
}
