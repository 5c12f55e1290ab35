import { errorMessage, type Logger } from '@tripo04os/common';
import { discordMessage, sendDiscord } from './channels/discord.ts';
import type { EmailTarget } from './channels/email.ts';
import { type SlackApiTarget, sendSlackApi, sendSlackWebhook, slackMessage, slackValues } from './channels/slack.ts';
import { sendTeams, teamsMessage } from './channels/teams.ts';
import { sendWebhook } from './channels/webhook.ts';
import { ChannelError, type DeliveryOptions } from './delivery.ts';
import type { Message } from './message.ts';
import { redact } from './secrets.ts';
import { type PayloadTemplate, placeholderValues, renderPayload, webhookMessage } from './template.ts';

export type ChannelName = 'slack' | 'slack-api' | 'teams' | 'discord' | 'webhook' | 'email';

export interface NotifyTargets {
  slackWebhookUrl?: string;
  slackApi?: SlackApiTarget;
  teamsWebhookUrl?: string;
  discordWebhookUrl?: string;
  webhook?: { url: string; secret?: string };
  email?: EmailTarget;
  /** A raw payload (already parsed and checked) used as the body of every webhook channel. */
  payload?: PayloadTemplate;
  /** Let Slack's mention syntax in the message ping (`slack-mentions`); by default it is escaped. */
  slackMentions?: boolean;
}

export interface NotifyOptions {
  retries: number;
  deadlineMs: number;
  baseDelayMs?: number;
  timeoutMs?: number;
  logger: Logger;
  /** Values never to show in an error text (URLs, tokens, passwords); they become `***`. */
  secrets?: string[];
}

export interface ChannelOutcome {
  channel: ChannelName;
  ok: boolean;
  attempts: number;
  /** Slack ts, Discord message id, email Message-ID, or the generic webhook's `id`. */
  id?: string;
  error?: string;
  durationMs: number;
}

export interface NotifyResult {
  channels: ChannelOutcome[];
  failed: ChannelName[];
  slackTs?: string;
  slackChannel?: string;
}

/** The channels a set of targets sends to, in a fixed order. */
export function configuredChannels(t: NotifyTargets): ChannelName[] {
  const out: ChannelName[] = [];
  if (t.slackWebhookUrl) out.push('slack');
  if (t.slackApi) out.push('slack-api');
  if (t.teamsWebhookUrl) out.push('teams');
  if (t.discordWebhookUrl) out.push('discord');
  if (t.webhook) out.push('webhook');
  if (t.email) out.push('email');
  return out;
}

/**
 * Sends one message to every configured channel at once and reports each outcome. Never
 * throws for a channel that fails: the caller decides (warning or failure).
 */
export async function notify(message: Message, targets: NotifyTargets, options: NotifyOptions): Promise<NotifyResult> {
  const { logger } = options;
  const secrets = options.secrets ?? [];
  const delivery: DeliveryOptions = {
    retries: options.retries,
    deadlineMs: options.deadlineMs,
    logger: {
      ...logger,
      info: (m) => logger.info(redact(m, secrets)),
      warning: (m) => logger.warning(redact(m, secrets)),
    },
    ...(options.baseDelayMs !== undefined ? { baseDelayMs: options.baseDelayMs } : {}),
    // One request may not outlast the retry deadline by much: a hanging server costs at most
    // the deadline (at least 5 s, at most 30 s) per attempt.
    timeoutMs: options.timeoutMs ?? Math.min(30_000, Math.max(5_000, options.deadlineMs)),
  };
  const values = placeholderValues(message);
  const payload = targets.payload ? renderPayload(targets.payload, values) : undefined;
  // Slack reads `&`, `<`, `>` as markup: the values a payload takes reach it escaped.
  const slackPayload = targets.payload ? renderPayload(targets.payload, slackValues(values, targets.slackMentions)) : undefined;
  /** Renders a channel's body, and says in the log what had to be cut to fit the service's limits. */
  const rendered = <T>(channel: ChannelName, render: (cuts: string[]) => T): T => {
    const cuts: string[] = [];
    const body = render(cuts);
    for (const cut of cuts) delivery.logger.info(`${channel}: ${cut}`);
    return body;
  };
  const jobs: [ChannelName, () => Promise<{ value: { id?: string; ts?: string; channel?: string }; attempts: number }>][] = [];
  const slack = (channel: ChannelName) =>
    slackPayload ?? rendered(channel, (cuts) => slackMessage(message, { mentions: targets.slackMentions ?? false, cuts }));
  if (targets.slackWebhookUrl) {
    const url = targets.slackWebhookUrl;
    jobs.push(['slack', () => sendSlackWebhook(url, slack('slack'), delivery)]);
  }
  if (targets.slackApi) {
    const target = targets.slackApi;
    jobs.push(['slack-api', () => sendSlackApi(target, slack('slack-api'), delivery)]);
  }
  if (targets.teamsWebhookUrl) {
    const url = targets.teamsWebhookUrl;
    jobs.push([
      'teams',
      () =>
        sendTeams(
          url,
          rendered('teams', (cuts) => teamsMessage(message, payload, cuts)),
          delivery,
        ),
    ]);
  }
  if (targets.discordWebhookUrl) {
    const url = targets.discordWebhookUrl;
    jobs.push([
      'discord',
      () =>
        sendDiscord(
          url,
          rendered('discord', (cuts) => discordMessage(message, payload, cuts)),
          delivery,
        ),
    ]);
  }
  if (targets.webhook) {
    const { url, secret } = targets.webhook;
    jobs.push(['webhook', () => sendWebhook(url, payload ?? webhookMessage(message), secret, delivery)]);
  }
  if (targets.email) {
    const email = targets.email;
    jobs.push([
      'email',
      async () => {
        const { sendEmail } = await import('./channels/email.ts');
        return sendEmail(email, message, delivery);
      },
    ]);
  }

  const result: NotifyResult = { channels: [], failed: [] };
  const outcomes = await Promise.all(
    jobs.map(async ([channel, send]): Promise<ChannelOutcome> => {
      const t0 = Date.now();
      try {
        const { value, attempts } = await send();
        if (channel === 'slack-api') {
          result.slackTs = value.ts;
          result.slackChannel = value.channel;
        }
        const outcome: ChannelOutcome = { channel, ok: true, attempts, durationMs: Date.now() - t0 };
        if (value.id) outcome.id = value.id;
        logger.info(`${channel}: delivered${attempts > 1 ? ` after ${attempts} attempts` : ''}${value.id ? ` (id ${value.id})` : ''}`);
        return outcome;
      } catch (err) {
        const attempts = err instanceof ChannelError ? err.attempts : 1;
        const error = redact(errorMessage(err), secrets);
        return { channel, ok: false, attempts, error, durationMs: Date.now() - t0 };
      }
    }),
  );
  result.channels = outcomes;
  result.failed = outcomes.filter((o) => !o.ok).map((o) => o.channel);
  return result;
}
