import { checkResponse, type Delivered, type DeliveryOptions, deliver, post } from '../delivery.ts';
import { allFields, type Message, truncate } from '../message.ts';

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

/** The Adaptive Card (schema 1.4, what Teams renders) for a message. */
export function teamsCard(message: Message): Record<string, unknown> {
  const { status, context } = message;
  const body: Record<string, unknown>[] = [
    {
      type: 'Container',
      style: CONTAINER_STYLE[status.teamsColor],
      bleed: true,
      items: [
        {
          type: 'TextBlock',
          text: truncate(`${status.emoji} ${message.title}`, 1000),
          weight: 'Bolder',
          size: 'Medium',
          color: status.teamsColor,
          wrap: true,
        },
      ],
    },
  ];
  if (message.text.trim()) body.push({ type: 'TextBlock', text: truncate(message.text, 10_000), wrap: true });
  const fields = allFields(message);
  if (fields.length > 0) {
    body.push({ type: 'FactSet', facts: fields.map((f) => ({ title: f.name, value: cardLink(f.value, f.url) })) });
  }
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
export function teamsMessage(message: Message, payload?: Record<string, unknown>): Record<string, unknown> {
  if (payload) return payload.type === 'AdaptiveCard' ? teamsEnvelope(payload) : payload;
  return teamsEnvelope(teamsCard(message));
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
