import { checkResponse, type Delivered, type DeliveryOptions, deliver, post } from '../delivery.ts';
import { allFields, type Message, truncate } from '../message.ts';

/**
 * Discord webhooks: one embed, within Discord's documented limits (title 256, description
 * 4096, 25 fields of name 256 / value 1024, footer 2048, 6000 characters in all; content 2000).
 * Long parts are cut with `…`, never rejected. `?wait=true` makes Discord answer with the message,
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

export function discordEmbed(message: Message, now = new Date()): DiscordEmbed {
  const { status, context } = message;
  const L = DISCORD_LIMITS;
  const embed: DiscordEmbed = {
    title: truncate(`${status.emoji} ${message.title}`, L.title),
    color: Number.parseInt(status.color.slice(1), 16),
    fields: [],
    timestamp: now.toISOString(),
  };
  if (context.runUrl) embed.url = context.runUrl;
  const footer = [context.repository, context.workflow && `${context.workflow}${context.runNumber ? ` #${context.runNumber}` : ''}`]
    .filter(Boolean)
    .join(' · ');
  if (footer) embed.footer = { text: truncate(footer, L.footer) };
  for (const f of allFields(message).slice(0, L.fields)) {
    const name = truncate(f.name, L.fieldName) || '\u200b';
    // Cut the plain value, not the link markup, so a long value never leaves a broken link.
    const linkOverhead = f.url ? len(f.url) + 4 : 0;
    const value =
      f.url && linkOverhead < L.fieldValue / 2
        ? discordLink(truncate(f.value, L.fieldValue - linkOverhead), f.url)
        : truncate(f.value, L.fieldValue);
    embed.fields.push({ name, value: value || '\u200b', inline: true });
  }
  if (message.text.trim()) {
    // Whatever the title, footer and fields leave of the 6000, up to 4096, goes to the description.
    const room = Math.min(L.description, L.total - embedLength(embed));
    if (room > 0) embed.description = truncate(message.text, room);
  }
  // Still too long (many long fields): drop fields from the end.
  while (embedLength(embed) > L.total && embed.fields.length > 0) embed.fields.pop();
  return embed;
}

export function discordMessage(message: Message, payload?: Record<string, unknown>): Record<string, unknown> {
  if (payload) {
    const out = { ...payload };
    if (typeof out.content === 'string') out.content = truncate(out.content, DISCORD_LIMITS.content);
    return out;
  }
  // No pings from a CI message: @everyone or a role name in a commit message stays text.
  return { embeds: [discordEmbed(message)], allowed_mentions: { parse: [] } };
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
