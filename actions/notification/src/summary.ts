import { Summary } from '@tripo04os/kit';
import type { Message, NotifyResult } from '@tripo04os/notify';

/** The job summary: the message title, then one row per channel with its outcome. */
export function renderSummary(message: Message, result: NotifyResult): Summary {
  return new Summary().heading(`${message.status.emoji} Notification: ${message.title}`).table(
    ['Channel', 'Status', 'Attempts', 'Message id', 'Error'],
    // A Message-ID's angle brackets would read as an HTML tag in the summary.
    result.channels.map((c) => [c.channel, c.ok ? '✅ delivered' : '❌ failed', c.attempts, c.id?.replace(/^<(.*)>$/, '$1'), c.error]),
  );
}

/** The outputs: `delivered` per channel and `failed-channels`, plus the Slack message for updates. */
export function outputs(result: NotifyResult): Record<string, unknown> {
  const delivered: Record<string, { ok: boolean; attempts: number; id: string | null }> = {};
  for (const c of result.channels) delivered[c.channel] = { ok: c.ok, attempts: c.attempts, id: c.id ?? null };
  return {
    ...(result.slackTs ? { 'slack-ts': result.slackTs } : {}),
    ...(result.slackChannel ? { 'slack-channel': result.slackChannel } : {}),
    delivered,
    'failed-channels': result.failed.join(','),
  };
}
