import { createHmac } from 'node:crypto';
import { checkResponse, type Delivered, type DeliveryOptions, deliver, post } from '../delivery.ts';

/**
 * A generic JSON webhook. With a secret, the body is signed like GitHub signs its webhooks:
 * `X-Signature-256: sha256=<hex HMAC-SHA256 of the exact body bytes>`, so receivers can verify it
 * with a constant-time compare.
 */
export const SIGNATURE_HEADER = 'X-Signature-256';

export function sign(body: string, secret: string): string {
  return `sha256=${createHmac('sha256', secret).update(body, 'utf8').digest('hex')}`;
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
