import { createHmac } from 'node:crypto';
import { checkResponse, type Delivered, type DeliveryOptions, deliver, post } from '../delivery.ts';
import { allFields, type Message } from '../message.ts';

/**
 * A generic JSON webhook. With a secret, the body is signed like GitHub signs its webhooks:
 * `X-Signature-256: sha256=<hex HMAC-SHA256 of the exact body bytes>`, so receivers can verify it
 * with a constant-time compare.
 */
export const SIGNATURE_HEADER = 'X-Signature-256';

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
}

/** The default generic body: everything a receiver may want, as plain JSON. */
export function webhookMessage(message: Message): Record<string, unknown> {
  const c = message.context;
  return {
    status: message.status.status,
    emoji: message.status.emoji,
    color: message.status.color,
    title: message.title,
    text: message.text,
    environment: message.environment || undefined,
    fields: allFields(message).map((f) => ({ name: f.name, value: f.value, ...(f.url ? { url: f.url } : {}) })),
    repository: c.repository,
    ref: c.ref,
    refName: c.refName,
    refType: c.refType,
    sha: c.sha,
    commitUrl: c.commitUrl,
    actor: c.actor,
    workflow: c.workflow,
    job: c.job,
    event: c.event,
    runId: c.runId,
    runNumber: c.runNumber,
    runAttempt: c.runAttempt,
    runUrl: c.runUrl,
    ...(c.prNumber ? { pullRequest: { number: Number(c.prNumber), url: c.prUrl, headRef: c.headRef } } : {}),
  };
}

export async function sendWebhook(
  url: string,
  body: Record<string, unknown>,
  secret: string | undefined,
  options: DeliveryOptions,
): Promise<Delivered<{ id?: string }>> {
  const json = JSON.stringify(body);
  const headers: Record<string, string> = secret ? { [SIGNATURE_HEADER]: sign(json, secret) } : {};
  return deliver(
    'webhook',
    async () => {
      const res = await post(url, json, headers, options.timeoutMs);
      checkResponse(res);
      try {
        const id = (JSON.parse(res.text) as { id?: unknown }).id;
        return typeof id === 'string' || typeof id === 'number' ? { id: String(id) } : {};
      } catch {
        return {};
      }
    },
    options,
  );
}
