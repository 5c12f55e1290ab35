/**
 * The SMTP sink: `smtp-server` with STARTTLS (sandbox server certificate) and AUTH PLAIN/LOGIN
 * for one account; unauthenticated plain mail is accepted too. Every message is parsed with
 * mailparser and recorded.
 */
import { timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { AddressObject } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface RecordedMail {
  envelope: { from: string; to: string[] };
  /** The From header as text, e.g. `"CI" <ci@example.com>`. */
  from: string;
  /** Addresses of the To header. */
  to: string[];
  /** Addresses of the Cc header. */
  cc: string[];
  subject: string;
  text: string;
  html: string;
  /** The authenticated user, or null for unauthenticated mail. */
  user: string | null;
  /** Whether STARTTLS (or TLS) was in use. */
  secure: boolean;
  headers: Record<string, string>;
  attachments: { filename: string; contentType: string; size: number }[];
  /** The whole message as received. */
  raw: string;
  at: string;
}

export interface SmtpSink {
  host: string;
  port: number;
  mails(): RecordedMail[];
  reset(): void;
  close(): Promise<void>;
}

export interface SmtpSinkOptions {
  host?: string;
  port?: number;
  user: string;
  password: string;
  tls: { cert: string; key: string };
  log?: (line: string) => void;
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  if (!a) return [];
  const list = Array.isArray(a) ? a : [a];
  return list.flatMap((o) => o.value.map((v) => v.address ?? '').filter(Boolean));
}

export async function startSmtpSink(options: SmtpSinkOptions): Promise<SmtpSink> {
  const host = options.host ?? '127.0.0.1';
  let recorded: RecordedMail[] = [];
  const server = new SMTPServer({
    secure: false,
    key: options.tls.key,
    cert: options.tls.cert,
    name: 'sandbox.smtp',
    banner: 'tripo04os sandbox SMTP sink',
    authMethods: ['PLAIN', 'LOGIN'],
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    size: 25 * 1024 * 1024,
    onAuth(auth, _session, callback) {
      if (auth.username !== undefined && same(auth.username, options.user) && same(auth.password ?? '', options.password)) {
        callback(null, { user: auth.username });
        return;
      }
      const err = new Error('Authentication credentials invalid') as Error & { responseCode: number };
      err.responseCode = 535;
      callback(err);
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('error', callback);
      stream.on('end', async () => {
        try {
          const raw = Buffer.concat(chunks);
          const { simpleParser } = await import('mailparser');
          const parsed = await simpleParser(raw);
          const headers: Record<string, string> = {};
          for (const line of parsed.headerLines) headers[line.key] = line.line.slice(line.line.indexOf(':') + 1).trim();
          recorded.push({
            envelope: {
              from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
              to: session.envelope.rcptTo.map((r) => r.address),
            },
            from: parsed.from?.text ?? '',
            to: addresses(parsed.to),
            cc: addresses(parsed.cc),
            subject: parsed.subject ?? '',
            text: parsed.text ?? '',
            html: typeof parsed.html === 'string' ? parsed.html : '',
            user: typeof session.user === 'string' ? session.user : null,
            secure: session.secure,
            headers,
            attachments: parsed.attachments.map((a) => ({ filename: a.filename ?? '', contentType: a.contentType, size: a.size })),
            raw: raw.toString('utf8'),
            at: new Date().toISOString(),
          });
          options.log?.(`smtp: message from ${session.envelope.mailFrom ? session.envelope.mailFrom.address : '?'} (${raw.length} bytes)`);
          callback();
        } catch (err) {
          callback(err as Error);
        }
      });
    },
  });
  server.on('error', (err) => options.log?.(`smtp: ${err.message}`));
  const port = await new Promise<number>((resolve, reject) => {
    server.server.once('error', reject);
    server.listen(options.port ?? 0, host, () => resolve((server.server.address() as AddressInfo).port));
  });
  return {
    host,
    port,
    mails: () => [...recorded],
    reset: () => {
      recorded = [];
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
