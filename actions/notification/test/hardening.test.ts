/**
 * Issue 10's notification cases, each reproduced through the committed bundle run the way the
 * runner runs it: against the sandbox's webhook sink where it can show the case, and against a
 * loopback server of the test's own where the case needs a server that misbehaves (one that
 * echoes its URL in an error, one that does not offer STARTTLS).
 */
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { leaks, type RunOptions, type RunResult, repoRoot, runAction } from '@tripo04os/kit/harness';
import { sandboxControl, sandboxEnv } from '@tripo04os/sandbox/testing';
import { SMTPServer } from 'smtp-server';

const action = join(repoRoot, 'notification');
const sb = sandboxEnv();
const control = sandboxControl();
const WH = sb.SANDBOX_WEBHOOK_URL.replace(/\/+$/, '');
const unique = () => randomUUID().replace(/-/g, '').slice(0, 16);

function run(inputs: RunOptions['inputs'], extra: Partial<RunOptions> = {}): Promise<RunResult> {
  return runAction({ action, inputs, timeoutMs: 60_000, ...extra });
}

/** Every string in a JSON value (keys and values), so a test can look at what a service shows. */
function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...strings(v)]);
  return [];
}

/** A loopback server answering every request with what `answer` says for its path and query. */
async function echoServer(answer: (url: string) => { status: number; body: string }) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const a = answer(req.url ?? '');
      res.writeHead(a.status).end(a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

const chars = (s: string) => Array.from(s).length;

interface Embed {
  title: string;
  description?: string;
  fields: { name: string; value: string }[];
  footer?: { text: string };
}
const embedLength = (e: Embed) =>
  chars(e.title) +
  chars(e.description ?? '') +
  chars(e.footer?.text ?? '') +
  e.fields.reduce((n, f) => n + chars(f.name) + chars(f.value), 0);

describe('issue 10.10: long messages keep their text', () => {
  test('Discord: long fields never push the text out, no field is dropped, and the log says what was cut', async () => {
    const id = unique();
    const text = `Rollout stalled: ${'details '.repeat(600)}END`;
    const fields = Array.from({ length: 14 }, (_, i) => `Field ${i}: ${String(i).repeat(1500)}`).join('\n');
    const result = await run({ 'discord-webhook-url': `${WH}/api/webhooks/77/${id}`, text, fields });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const [req] = await control.webhooks(`/api/webhooks/77/${id}`);
    const embed = (req!.json as { embeds: Embed[] }).embeds[0]!;
    expect(embedLength(embed)).toBeLessThanOrEqual(6000);
    expect(embed.description?.startsWith('Rollout stalled: details')).toBe(true);
    expect(embed.description?.endsWith('…')).toBe(true);
    // A good share of the text, not the crumbs the fields leave.
    expect(chars(embed.description!)).toBeGreaterThanOrEqual(2000);
    // 7 automatic fields + 14 given: all there, the long ones cut with an ellipsis.
    expect(embed.fields.map((f) => f.name)).toEqual([
      'Repository',
      'Branch',
      'Commit',
      'Actor',
      'Workflow',
      'Event',
      'Run',
      ...Array.from({ length: 14 }, (_, i) => `Field ${i}`),
    ]);
    for (const f of embed.fields.slice(7)) expect(f.value.endsWith('…')).toBe(true);
    expect(result.log).toMatch(/discord: cut the text from 4\d{3} to \d+ characters/);
    expect(result.log).toMatch(/discord: cut 14 field values to fit Discord's 6000 characters/);
  });

  test('Discord: more than 25 fields are folded into the last one instead of dropped', async () => {
    const id = unique();
    const fields = Array.from({ length: 30 }, (_, i) => `K${i}: v${i}`).join('\n');
    const result = await run({ 'discord-webhook-url': `${WH}/api/webhooks/78/${id}`, text: 'short', fields, 'automatic-fields': false });
    expect(result.errors).toEqual([]);
    const [req] = await control.webhooks(`/api/webhooks/78/${id}`);
    const embed = (req!.json as { embeds: Embed[] }).embeds[0]!;
    expect(embed.fields).toHaveLength(25);
    expect(embed.description).toBe('short');
    const shown = strings(embed).join('\n');
    for (let i = 0; i < 30; i++) expect(shown).toContain(`K${i}`);
    expect(result.log).toMatch(/discord: 30 fields: the last 6 folded into one \(Discord shows at most 25\)/);
  });

  test('Teams: a card over the 28 KB message limit is cut to fit, text first, and the log says so', async () => {
    const id = unique();
    const text = `Release notes ${'ünïcödé '.repeat(5000)}END`;
    const fields = Array.from({ length: 20 }, (_, i) => `Note ${i}: ${'x'.repeat(2000)}`).join('\n');
    const result = await run({ 'teams-webhook-url': `${WH}/workflows/${id}/triggers/manual/paths/invoke`, text, fields });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const [req] = await control.webhooks(`/workflows/${id}/`);
    expect(Buffer.byteLength(req!.body)).toBeLessThanOrEqual(28 * 1024);
    const card = (req!.json as { attachments: { content: { body: { type: string; text?: string; facts?: unknown[] }[] } }[] })
      .attachments[0]!.content;
    const textBlock = card.body.find((b) => b.type === 'TextBlock' && b.text?.startsWith('Release notes'));
    expect(textBlock?.text?.endsWith('…')).toBe(true);
    expect(Buffer.byteLength(textBlock!.text!)).toBeGreaterThanOrEqual(8 * 1024);
    const facts = card.body.find((b) => b.type === 'FactSet')?.facts as { title: string; value: string }[];
    expect(facts.map((f) => f.title)).toContain('Note 19');
    expect(result.log).toMatch(/teams: cut .* to fit Teams' 28 KB message limit/);
  });
});

describe('issue 10.11: Slack mentions only when asked', () => {
  const hostile = 'Release <!channel> & <@U999>';
  const pings = /<!channel>|<!here>|<@U999>|<!subteam\^S1>/;

  test('title and text reach Slack escaped: the top-level text, the blocks and a payload placeholder', async () => {
    const id = unique();
    const token = `xoxb-${unique()}`;
    const channel = `#deploys-${unique()}`;
    const result = await run({
      title: hostile,
      text: 'cc <!here> [team](<!subteam^S1>)',
      'slack-webhook-url': `${WH}/services/T1/B1/${id}`,
      'slack-token': token,
      'slack-channel': channel,
      'slack-api-url': `${WH}/api`,
    });
    expect(result.errors).toEqual([]);
    const [webhook] = await control.webhooks(`/services/T1/B1/${id}`);
    const [api] = (await control.webhooks('/api/chat.postMessage')).filter((r) => (r.json as { channel?: string }).channel === channel);
    for (const req of [webhook!, api!]) {
      const json = req.json as { text: string };
      expect(json.text).toBe('✅ Release &lt;!channel&gt; &amp; &lt;@U999&gt;');
      expect(strings(json).filter((s) => pings.test(s))).toEqual([]);
    }

    const payload = await run({
      title: hostile,
      payload: '{"text": "{{title}} by {{actor}}"}',
      'slack-webhook-url': `${WH}/services/T1/B2/${id}`,
    });
    expect(payload.errors).toEqual([]);
    const [sent] = await control.webhooks(`/services/T1/B2/${id}`);
    expect(sent!.json).toEqual({ text: 'Release &lt;!channel&gt; &amp; &lt;@U999&gt; by octocat' });
  });

  test('slack-mentions: true keeps the mention syntax, and still escapes the rest', async () => {
    const id = unique();
    const result = await run({ title: hostile, 'slack-mentions': true, 'slack-webhook-url': `${WH}/services/T2/B1/${id}` });
    expect(result.errors).toEqual([]);
    const [req] = await control.webhooks(`/services/T2/B1/${id}`);
    expect((req!.json as { text: string }).text).toBe('✅ Release <!channel> &amp; <@U999>');
  });
});

describe('issue 10.12: parts of a secret URL are masked', () => {
  test('an error body echoing the token in the path or a query value never reaches the log, warning or summary', async () => {
    const token = `Tk${unique()}`;
    const sig = `Sg${unique()}`;
    const server = await echoServer((url) => ({
      status: 404,
      body: url.startsWith('/services/') ? `no_service: no hook ${token}` : `{"error": {"message": "bad signature ${sig}"}}`,
    }));
    try {
      const slack = `${server.url}/services/T0/B0/${token}`;
      const teams = `${server.url}/workflows/abc/triggers/manual/paths/invoke?api-version=1&sig=${sig}`;
      const result = await run({ 'slack-webhook-url': slack, 'teams-webhook-url': teams, retries: 0 });
      expect(result.exitCode).toBe(0);
      expect(result.warnings.sort()).toEqual([
        'Notification not delivered: slack: HTTP 404: no_service: no hook ***',
        'Notification not delivered: teams: HTTP 404: bad signature ***',
      ]);
      for (const secret of [slack, teams, token, sig]) {
        expect({ secret, where: leaks(result, secret) }).toEqual({ secret, where: [] });
        const printed = result.rawLog.split('\n').filter((l) => l.includes(secret) && !l.startsWith('::add-mask::'));
        expect({ secret, printed }).toEqual({ secret, printed: [] });
      }
      expect(result.summary).toContain('no_service: no hook ***');
    } finally {
      await server.close();
    }
  });
});

describe('issue 10.18: payload placeholders outside strings', () => {
  test.each([
    ['{"n":{{run_number}}}', '{{run_number}}'],
    ['n: {{run_number}}', '{{run_number}}'],
  ])('%s is refused before anything is sent', async (payload, name) => {
    const id = unique();
    const result = await run({ 'webhook-url': `${WH}/hooks/${id}`, payload });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      `Input 'payload' has the value '${payload}': placeholder ${name} is not inside a quoted string; quote it ("${name}") so its value stays text`,
    ]);
    expect(await control.webhooks(`/hooks/${id}`)).toEqual([]);
  });
});

describe('issue 10.19: no password in clear unless smtp-tls: off says so', () => {
  async function plainSmtp() {
    const auths: string[] = [];
    const mails: string[] = [];
    const server = new SMTPServer({
      disabledCommands: ['STARTTLS'],
      authOptional: true,
      allowInsecureAuth: true,
      logger: false,
      onAuth(auth, _session, cb) {
        auths.push(`${auth.username}:${auth.password}`);
        cb(null, { user: auth.username });
      },
      onData(stream, _session, cb) {
        stream.resume();
        stream.on('end', () => {
          mails.push('mail');
          cb();
        });
      },
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.server.address() as AddressInfo).port;
    return { port, auths, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
  }

  test('auto with credentials and a server without STARTTLS: nothing sent, one clear line', async () => {
    const smtp = await plainSmtp();
    const password = `pw-${unique()}`;
    try {
      const common = { 'email-to': 'ops@example.com', 'email-from': 'ci@example.com', retries: 0 };
      const byHost = await run({
        ...common,
        'smtp-host': '127.0.0.1',
        'smtp-port': smtp.port,
        'smtp-username': 'ci',
        'smtp-password': password,
      });
      const byUrl = await run({ ...common, 'smtp-url': `smtp://ci:${password}@127.0.0.1:${smtp.port}` });
      for (const result of [byHost, byUrl]) {
        expect(result.exitCode).toBe(0);
        expect(result.warnings).toEqual([
          'Notification not delivered: email: SMTP server does not offer STARTTLS; the password is not sent without TLS (smtp-tls auto requires TLS with credentials; smtp-tls: off allows plain text)',
        ]);
      }
      expect(smtp.auths).toEqual([]);
      expect(smtp.mails).toEqual([]);

      const off = await run({
        ...common,
        'smtp-host': '127.0.0.1',
        'smtp-port': smtp.port,
        'smtp-username': 'ci',
        'smtp-password': password,
        'smtp-tls': 'off',
      });
      expect(off.warnings).toEqual([]);
      expect(smtp.auths).toEqual([`ci:${password}`]);
    } finally {
      await smtp.close();
    }
  });
});
