import type { AddressInfo } from 'node:net';
import { runContext, silentLogger } from '@tripo04os/common';
import { SMTPServer, type SMTPServerOptions, type SMTPServerSession } from 'smtp-server';
import { type EmailTarget, sendEmail, tlsSettings } from '../src/channels/email.ts';
import { parseSmtpUrl } from '../src/checks.ts';
import { buildMessage } from '../src/message.ts';
import { failure } from './servers.ts';

describe('smtp-tls modes', () => {
  test.each([
    ['auto', undefined, { port: 587, secure: false, requireTLS: false, ignoreTLS: false }],
    ['auto', 465, { port: 465, secure: true, requireTLS: false, ignoreTLS: false }],
    ['auto', 25, { port: 25, secure: false, requireTLS: false, ignoreTLS: false }],
    ['starttls', undefined, { port: 587, secure: false, requireTLS: true, ignoreTLS: false }],
    ['starttls', 25, { port: 25, secure: false, requireTLS: true, ignoreTLS: false }],
    ['tls', undefined, { port: 465, secure: true, requireTLS: false, ignoreTLS: false }],
    ['tls', 2465, { port: 2465, secure: true, requireTLS: false, ignoreTLS: false }],
    ['off', undefined, { port: 25, secure: false, requireTLS: false, ignoreTLS: true }],
    ['off', 587, { port: 587, secure: false, requireTLS: false, ignoreTLS: true }],
  ] as const)('%s on port %s', (mode, port, expected) => {
    expect(tlsSettings('mail.example.com', mode, port)).toEqual({ host: 'mail.example.com', ...expected });
  });

  test.each([
    ['auto', undefined, { port: 587, secure: false, requireTLS: true, ignoreTLS: false }],
    ['auto', 25, { port: 25, secure: false, requireTLS: true, ignoreTLS: false }],
    ['auto', 465, { port: 465, secure: true, requireTLS: false, ignoreTLS: false }],
    ['off', 25, { port: 25, secure: false, requireTLS: false, ignoreTLS: true }],
  ] as const)('with credentials, %s on port %s never falls back to plain text (unless off)', (mode, port, expected) => {
    expect(tlsSettings('mail.example.com', mode, port, true)).toEqual({ host: 'mail.example.com', ...expected });
  });

  test('smtp URLs: host, port, decoded user and password, smtps is implicit TLS', () => {
    expect(parseSmtpUrl(new URL('smtps://ci%40example.com:p%40ss%3Aw@mail.example.com:465'))).toEqual({
      host: 'mail.example.com',
      port: 465,
      username: 'ci@example.com',
      password: 'p@ss:w',
      implicitTls: true,
    });
    expect(parseSmtpUrl(new URL('smtp://[::1]'))).toEqual({ host: '::1', implicitTls: false });
  });
});

interface Sink {
  port: number;
  mails: { secure: boolean; user: string | undefined; data: string }[];
  close(): Promise<void>;
}

/** A plain SMTP server (smtp-server's built-in self-signed certificate for STARTTLS) with one account. */
async function sink(options: Partial<SMTPServerOptions> = {}): Promise<Sink> {
  const mails: Sink['mails'] = [];
  const server = new SMTPServer({
    authOptional: true,
    allowInsecureAuth: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === 'ci' && auth.password === 'right') return cb(null, { user: 'ci' });
      return cb(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    onData(stream, session: SMTPServerSession, cb) {
      let data = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (data += c));
      stream.on('end', () => {
        mails.push({ secure: session.secure, user: session.user as string | undefined, data });
        cb();
      });
    },
    ...options,
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.server.address() as AddressInfo;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

const message = buildMessage(
  { status: 'success', text: 'Deployed **v2**' },
  runContext({ GITHUB_REPOSITORY: 'o/r', GITHUB_WORKFLOW: 'CI' }),
);
const delivery = { retries: 2, deadlineMs: 5000, baseDelayMs: 10, timeoutMs: 5000, logger: silentLogger };
const target = (port: number, extra: Partial<EmailTarget> = {}): EmailTarget => ({
  host: '127.0.0.1',
  port,
  tls: 'off',
  from: 'CI <ci@example.com>',
  to: ['ops@example.com'],
  cc: ['lead@example.com'],
  ...extra,
});

let server: Sink | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

test('off: plain SMTP with AUTH, no STARTTLS even though the server offers it; text and HTML bodies', async () => {
  server = await sink();
  const r = await sendEmail(target(server.port, { username: 'ci', password: 'right' }), message, delivery);
  expect(r.attempts).toBe(1);
  expect(r.value.id).toMatch(/^<.+@.+>$/);
  expect(server.mails).toHaveLength(1);
  const mail = server.mails[0]!;
  expect(mail.secure).toBe(false);
  expect(mail.user).toBe('ci');
  expect(mail.data).toMatch(/^Subject: =\?UTF-8\?|^Subject: /m);
  expect(mail.data).toContain('Content-Type: text/plain');
  expect(mail.data).toContain('Content-Type: text/html');
  expect(mail.data).toMatch(/^Cc: lead@example.com/m);
});

test('a wrong password fails at once with a clear line', async () => {
  server = await sink();
  const err = await failure(sendEmail(target(server.port, { username: 'ci', password: 'wrong' }), message, delivery));
  expect(err.attempts).toBe(1);
  expect(err.message).toMatch(/^SMTP authentication failed for user 'ci': 535 .*\(check smtp-username and smtp-password\)$/);
  expect(err.message).not.toContain('wrong');
});

test('auto upgrades with STARTTLS when offered, and verifies the certificate (a self-signed one is refused)', async () => {
  server = await sink();
  const err = await failure(sendEmail(target(server.port, { tls: 'auto' }), message, delivery));
  expect(err.attempts).toBe(1);
  expect(err.message).toMatch(/^SMTP TLS failed: .*(certificate|self[- ]signed).*smtp-ca-file/i);
  expect(server.mails).toHaveLength(0);
});

test('starttls is required: a server without STARTTLS is refused, nothing is sent in clear', async () => {
  server = await sink({ disabledCommands: ['STARTTLS'] });
  const err = await failure(sendEmail(target(server.port, { tls: 'starttls' }), message, delivery));
  expect(err.message).toBe('SMTP server does not offer STARTTLS; smtp-tls starttls requires it');
  expect(err.attempts).toBe(1);
  expect(server.mails).toHaveLength(0);
});

test('tls (implicit) against a plain port says what is wrong, without retrying', async () => {
  server = await sink();
  const err = await failure(sendEmail(target(server.port, { tls: 'tls' }), message, delivery));
  expect(err.attempts).toBe(1);
  expect(err.message).toMatch(/^SMTP TLS failed: the server does not speak implicit TLS on this port \(smtp-tls tls; 465/);
});

test('a refused connection is retried, then reported', async () => {
  server = await sink();
  const port = server.port;
  await server.close();
  server = undefined;
  const err = await failure(sendEmail(target(port), message, delivery));
  expect(err.attempts).toBe(3);
  expect(err.message).toMatch(/SMTP connection failed.*ECONNREFUSED/);
});
