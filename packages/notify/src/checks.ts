/**
 * What the notification action needs to check its inputs, without the channel code: an action
 * imports `@tripo04os/notify/checks` first, so a bad input fails before marked, nodemailer and
 * the channels load (issue 15).
 */
export { urlSecrets } from './secrets.ts';
export { parsePayload } from './template.ts';

/** What an `smtp://user:pass@host:port` (or `smtps://`) URL says; user and password URL-decoded. */
export function parseSmtpUrl(url: URL): { host: string; port?: number; username?: string; password?: string; implicitTls: boolean } {
  const out: { host: string; port?: number; username?: string; password?: string; implicitTls: boolean } = {
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    implicitTls: url.protocol === 'smtps:',
  };
  if (url.port) out.port = Number(url.port);
  if (url.username) out.username = decodeURIComponent(url.username);
  if (url.password) out.password = decodeURIComponent(url.password);
  return out;
}
