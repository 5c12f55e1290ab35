import { type Logger, redactUrl } from '@tripo04os/common';
import type { HealthCheckOptions } from '@tripo04os/kube';

/** The input that may carry credentials in its userinfo. */
const URL_INPUT = 'INPUT_HEALTH-CHECK-URL';

/**
 * Masks the userinfo of `health-check-url` (the password as written, decoded, and as it travels
 * in a Basic Authorization header) before anything else runs, so that no line — not even an
 * input error — can print it.
 */
export function maskHealthCheckCredentials(logger: Pick<Logger, 'mask'>, env: NodeJS.ProcessEnv = process.env): void {
  const raw = (env[URL_INPUT] ?? '').trim();
  const userinfo = /^[a-z][a-z0-9+.-]*:\/\/([^/?#@]*)@/i.exec(raw)?.[1];
  if (!userinfo) return;
  const colon = userinfo.indexOf(':');
  const password = colon >= 0 ? userinfo.slice(colon + 1) : '';
  for (const secret of [userinfo, password, safeDecode(password), basic(userinfo)]) if (secret) logger.mask(secret);
}

/**
 * The health check of a run: credentials in the URL's userinfo become an `Authorization: Basic`
 * header (fetch refuses URLs with credentials) and the URL itself is kept without them.
 */
export function healthCheckOptions(
  url: URL | undefined,
  expect: HealthCheckOptions['expect'],
  retries: number,
  intervalMs: number,
  logger: Logger,
): Omit<HealthCheckOptions, 'logger' | 'signal'> | undefined {
  if (!url) return undefined;
  const options = { url: url.toString(), retries, intervalMs, expect };
  if (!url.username && !url.password) return options;
  const header = basic(`${url.username}:${url.password}`);
  logger.mask(header);
  logger.info(`health-check-url carries credentials: they are sent as an Authorization header to ${redactUrl(url)}`);
  return { ...options, url: redactUrl(url), headers: { Authorization: `Basic ${header}` } };
}

function safeDecode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `user:password` (percent-encoded, as in a URL) as the base64 of a Basic Authorization header. */
function basic(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  const user = safeDecode(colon >= 0 ? userinfo.slice(0, colon) : userinfo);
  const password = colon >= 0 ? safeDecode(userinfo.slice(colon + 1)) : '';
  return Buffer.from(`${user}:${password}`, 'utf8').toString('base64');
}
