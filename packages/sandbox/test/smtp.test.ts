import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import nodemailer from 'nodemailer';
import { sandboxControl, sandboxEnv } from '../src/testing.ts';

const env = sandboxEnv();
const control = sandboxControl();
const ca = readFileSync(env.SANDBOX_CA_FILE, 'utf8');

async function mailWithSubject(subject: string) {
  return (await control.mails()).filter((m) => m.subject === subject);
}

test('STARTTLS with the sandbox CA and AUTH records a secure, authenticated mail', async () => {
  const subject = `deployed ${randomBytes(4).toString('hex')}`;
  for (const method of ['PLAIN', 'LOGIN']) {
    const transport = nodemailer.createTransport({
      host: env.SANDBOX_SMTP_HOST,
      port: Number(env.SANDBOX_SMTP_PORT),
      secure: false,
      requireTLS: true,
      tls: { ca, servername: 'localhost' },
      authMethod: method,
      auth: { user: env.SANDBOX_SMTP_USER, pass: env.SANDBOX_SMTP_PASSWORD },
    });
    await transport.sendMail({
      from: '"CI" <ci@example.com>',
      to: 'team@example.com, lead@example.com',
      cc: 'ops@example.com',
      subject,
      text: `via ${method}`,
      html: `<b>via ${method}</b>`,
    });
    transport.close();
  }
  const mails = await mailWithSubject(subject);
  expect(mails).toHaveLength(2);
  expect(mails[0]).toMatchObject({
    envelope: { from: 'ci@example.com', to: ['team@example.com', 'lead@example.com', 'ops@example.com'] },
    from: '"CI" <ci@example.com>',
    to: ['team@example.com', 'lead@example.com'],
    cc: ['ops@example.com'],
    text: 'via PLAIN',
    html: '<b>via PLAIN</b>',
    user: env.SANDBOX_SMTP_USER,
    secure: true,
  });
  expect(mails[1]!.text).toBe('via LOGIN');
  expect(mails[0]!.raw).toContain(`Subject: ${subject}`);
});

test('a wrong password gets 535', async () => {
  const transport = nodemailer.createTransport({
    host: env.SANDBOX_SMTP_HOST,
    port: Number(env.SANDBOX_SMTP_PORT),
    tls: { ca },
    auth: { user: env.SANDBOX_SMTP_USER, pass: 'wrong' },
  });
  await expect(transport.sendMail({ from: 'a@example.com', to: 'b@example.com', subject: 'x', text: 'x' })).rejects.toMatchObject({
    responseCode: 535,
  });
  transport.close();
});

test('plain SMTP without TLS or AUTH is accepted and recorded as such', async () => {
  const subject = `plain ${randomBytes(4).toString('hex')}`;
  const transport = nodemailer.createTransport({ host: env.SANDBOX_SMTP_HOST, port: Number(env.SANDBOX_SMTP_PORT), ignoreTLS: true });
  await transport.sendMail({ from: 'a@example.com', to: 'b@example.com', subject, text: 'hello' });
  transport.close();
  const [mail] = await mailWithSubject(subject);
  expect(mail).toMatchObject({ secure: false, user: null, text: 'hello\n' });
});
