import { readFile } from 'node:fs/promises';
import { rootCertificates } from 'node:tls';
import { errorMessage } from '@tripo04os/common';
import { type Delivered, DeliveryError, type DeliveryOptions, deliver } from '../delivery.ts';
import { escapeHtml, toHtml } from '../markdown.ts';
import { allFields, type Message } from '../message.ts';

/**
 * Email with nodemailer (loaded only when email is configured), a text and an HTML body.
 *
 * `smtp-tls` is mapped the way RFC 8314 and the ports mean it (dawidd6/action-send-mail got
 * this wrong by treating "STARTTLS" as implicit TLS):
 * - `tls`: implicit TLS from the first byte (port 465 by default);
 * - `starttls`: plain connection upgraded with STARTTLS, which is required (no fallback);
 * - `off`: no TLS at all, even when the server offers STARTTLS;
 * - `auto`: implicit TLS on 465, otherwise STARTTLS whenever the server offers it, and
 *   required (no plain-text fallback) when a user name and password are to be sent.
 * Certificates are always verified; `caFile` adds a private CA to Node's own roots.
 */
export type SmtpTls = 'auto' | 'starttls' | 'tls' | 'off';
export const SMTP_TLS_MODES: readonly SmtpTls[] = ['auto', 'starttls', 'tls', 'off'];

export interface EmailTarget {
  host: string;
  port?: number;
  username?: string;
  password?: string;
  tls: SmtpTls;
  /** PEM file of a CA to trust besides the system roots (e.g. a private or sandbox CA). */
  caFile?: string;
  from: string;
  to: string[];
  cc: string[];
  subject?: string;
}

export interface TransportSettings {
  host: string;
  port: number;
  /** Implicit TLS. */
  secure: boolean;
  requireTLS: boolean;
  ignoreTLS: boolean;
}

/**
 * The nodemailer connection settings for a `smtp-tls` mode and port. With credentials, `auto`
 * requires TLS (STARTTLS when not on 465): a server that does not offer STARTTLS (or a
 * man in the middle stripping it) must not get the password in clear; only `off` allows that.
 */
export function tlsSettings(host: string, tls: SmtpTls, port?: number, credentials = false): TransportSettings {
  switch (tls) {
    case 'tls':
      return { host, port: port ?? 465, secure: true, requireTLS: false, ignoreTLS: false };
    case 'starttls':
      return { host, port: port ?? 587, secure: false, requireTLS: true, ignoreTLS: false };
    case 'off':
      return { host, port: port ?? 25, secure: false, requireTLS: false, ignoreTLS: true };
    default: {
      const p = port ?? 587;
      return { host, port: p, secure: p === 465, requireTLS: credentials && p !== 465, ignoreTLS: false };
    }
  }
}

export function emailSubject(message: Message, subject?: string): string {
  return subject?.trim() ? subject.trim() : `${message.status.emoji} ${message.title}`;
}

/** The text body: title, text, then `Name: value <url>` lines. */
export function emailText(message: Message): string {
  const lines = [`${message.status.emoji} ${message.title}`, ''];
  if (message.text.trim()) lines.push(message.text.trim(), '');
  for (const f of allFields(message)) lines.push(`${f.name}: ${f.value}${f.url ? ` <${f.url}>` : ''}`);
  if (message.context.runUrl) lines.push('', `View the run: ${message.context.runUrl}`);
  return `${lines.join('\n')}\n`;
}

/** The HTML body: a coloured title, the text as HTML, a table of fields. */
export function emailHtml(message: Message): string {
  const { status, context } = message;
  const rows = allFields(message)
    .map((f) => {
      const value = f.url ? `<a href="${escapeHtml(f.url)}">${escapeHtml(f.value)}</a>` : escapeHtml(f.value);
      return `<tr><th align="left" style="padding:2px 12px 2px 0;color:#555">${escapeHtml(f.name)}</th><td style="padding:2px 0">${value}</td></tr>`;
    })
    .join('\n');
  const title = context.runUrl
    ? `<a href="${escapeHtml(context.runUrl)}" style="color:inherit">${escapeHtml(message.title)}</a>`
    : escapeHtml(message.title);
  return [
    '<!doctype html>',
    '<html><body style="font-family:-apple-system,Segoe UI,Helvetica,Arial,sans-serif;font-size:14px">',
    `<div style="border-left:4px solid ${status.color};padding:4px 12px">`,
    `<h2 style="margin:0 0 8px">${status.emoji} ${title}</h2>`,
    toHtml(message.text),
    rows ? `<table cellspacing="0" cellpadding="0">\n${rows}\n</table>` : '',
    '</div>',
    '</body></html>',
    '',
  ].join('\n');
}

const PERMANENT_SOCKET = /wrong version number|certificate|self[- ]signed|unable to (get|verify)|altname|handshake/i;
const TLS_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** Nodemailer's errors as one line, and whether another attempt may help. */
export function classifySmtpError(err: unknown, target: Pick<EmailTarget, 'username' | 'tls'>): DeliveryError {
  const e = err as { code?: string; originalCode?: string; responseCode?: number; response?: string; command?: string; message?: string };
  const code = e.code ?? '';
  const response = e.response ? e.response.replace(/\s+/g, ' ').trim() : '';
  const inner = e.originalCode ?? (err as { cause?: { code?: string } }).cause?.code ?? '';
  if (code === 'EAUTH') {
    const who = target.username ? ` for user '${target.username}'` : '';
    return new DeliveryError(`SMTP authentication failed${who}: ${response || errorMessage(err)} (check smtp-username and smtp-password)`, {
      retryable: false,
      cause: err,
    });
  }
  if (TLS_CODES.has(code) || TLS_CODES.has(inner) || ((code === 'ESOCKET' || code === 'ETLS') && PERMANENT_SOCKET.test(e.message ?? ''))) {
    if (/wrong version number/i.test(e.message ?? '')) {
      return new DeliveryError(
        `SMTP TLS failed: the server does not speak implicit TLS on this port (smtp-tls ${target.tls}; 465 speaks implicit TLS, 587 and 25 use STARTTLS)`,
        { retryable: false, cause: err },
      );
    }
    return new DeliveryError(`SMTP TLS failed: ${firstLine(e.message)} (trust a private CA with smtp-ca-file or NODE_EXTRA_CA_CERTS)`, {
      retryable: false,
      cause: err,
    });
  }
  // The server answered STARTTLS with a refusal (it does not offer it, or someone stripped it).
  if (e.command === 'STARTTLS' && code === 'ETLS' && response) {
    const why =
      target.tls === 'auto'
        ? 'the password is not sent without TLS (smtp-tls auto requires TLS with credentials; smtp-tls: off allows plain text)'
        : `smtp-tls ${target.tls} requires it`;
    return new DeliveryError(`SMTP server does not offer STARTTLS; ${why}`, { retryable: false, cause: err });
  }
  if (typeof e.responseCode === 'number') {
    const hint = e.command === 'STARTTLS' ? ' (smtp-tls starttls needs a server that offers STARTTLS)' : '';
    const what = `SMTP ${e.command ? `${e.command} ` : ''}refused: ${response || firstLine(e.message)}${hint}`;
    return new DeliveryError(what, { retryable: e.responseCode < 500, cause: err });
  }
  if (['ECONNECTION', 'ESOCKET', 'ETIMEDOUT', 'EDNS', 'ECONNREFUSED', 'ECONNRESET', 'ESTREAM'].includes(code)) {
    return new DeliveryError(`SMTP connection failed: ${firstLine(e.message)}${inner ? ` (${inner})` : ''}`, {
      retryable: true,
      cause: err,
    });
  }
  return new DeliveryError(`SMTP error: ${firstLine(e.message)}`, { retryable: false, cause: err });
}

function firstLine(text: string | undefined): string {
  return (text ?? 'unknown error').split('\n')[0]?.trim() ?? '';
}

export async function sendEmail(target: EmailTarget, message: Message, options: DeliveryOptions): Promise<Delivered<{ id?: string }>> {
  const settings = tlsSettings(target.host, target.tls, target.port, Boolean(target.username));
  const ca = target.caFile ? [...rootCertificates, await readFile(target.caFile, 'utf8')] : undefined;
  const nodemailer = await import('nodemailer');
  const transport = nodemailer.createTransport({
    ...settings,
    ...(target.username ? { auth: { user: target.username, pass: target.password ?? '' } } : {}),
    tls: { minVersion: 'TLSv1.2', rejectUnauthorized: true, ...(ca ? { ca } : {}) },
    connectionTimeout: 15_000,
    greetingTimeout: 15_000,
    socketTimeout: 30_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  const mail = {
    from: target.from,
    to: target.to,
    ...(target.cc.length > 0 ? { cc: target.cc } : {}),
    subject: emailSubject(message, target.subject),
    text: emailText(message),
    html: emailHtml(message),
  };
  try {
    return await deliver(
      'email',
      async () => {
        try {
          const info = await transport.sendMail(mail);
          return { id: String(info.messageId ?? '') };
        } catch (err) {
          throw classifySmtpError(err, target);
        }
      },
      options,
    );
  } finally {
    transport.close();
  }
}
