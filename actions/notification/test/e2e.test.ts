/**
 * End to end: the committed bundle (notification/action.yml -> actions/notification/dist) run the
 * way the GitHub runner runs it, against the sandbox's webhook sink and SMTP sink.
 */
import { createHmac, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { leaks, type RunOptions, type RunResult, repoRoot, runAction } from '@tripo04os/kit/harness';
import type { RecordedMail, WebhookRequest } from '@tripo04os/sandbox';
import { sandboxControl, sandboxEnv } from '@tripo04os/sandbox/testing';

const action = join(repoRoot, 'notification');
const sb = sandboxEnv();
const control = sandboxControl();
const WH = sb.SANDBOX_WEBHOOK_URL.replace(/\/+$/, '');

// What the harness puts in the runner environment (GITHUB_REPOSITORY, GITHUB_SHA, ...).
const RUN_URL = 'https://github.com/tripo04os/ai-support/actions/runs/1234567890';
const COMMIT_URL = 'https://github.com/tripo04os/ai-support/commit/0123456789abcdef0123456789abcdef01234567';
const AUTOMATIC = ['tripo04os/ai-support', '0123456', COMMIT_URL, 'octocat', RUN_URL, 'main', 'push', 'CI'];

/** A path of its own per test, so parallel suites sharing the sandbox never see each other's requests. */
const unique = () => randomUUID().replace(/-/g, '').slice(0, 16);

function run(inputs: RunOptions['inputs'], extra: Partial<RunOptions> = {}): Promise<RunResult> {
  return runAction({ action, inputs, timeoutMs: 60_000, ...extra });
}

async function requests(path: string): Promise<WebhookRequest[]> {
  return control.webhooks(path);
}

async function mailsTo(address: string): Promise<RecordedMail[]> {
  return (await control.mails()).filter((m) => m.envelope.to.includes(address));
}

/** No secret in the log, outputs, summary, state or annotations, and none printed except to mask it. */
function expectNoLeak(result: RunResult, ...secrets: string[]): void {
  for (const secret of secrets) {
    expect({ secret, where: leaks(result, secret) }).toEqual({ secret, where: [] });
    const printed = result.rawLog.split('\n').filter((l) => l.includes(secret) && !l.startsWith('::add-mask::'));
    expect({ secret, printed }).toEqual({ secret, printed: [] });
  }
}

function delivered(result: RunResult): Record<string, { ok: boolean; attempts: number; id: string | null }> {
  return JSON.parse(result.outputs.delivered ?? '{}');
}

describe('webhook channels', () => {
  test('Slack, Teams, Discord and a signed generic webhook in one step, each with the automatic fields', async () => {
    const id = unique();
    const urls = {
      slack: `${WH}/services/T0000/B0000/${id}`,
      teams: `${WH}/workflows/${id}/triggers/manual/paths/invoke?sig=${id}sig`,
      discord: `${WH}/api/webhooks/1234/${id}`,
      webhook: `${WH}/hooks/${id}`,
    };
    const secret = `whsec-${id}`;
    const result = await run({
      status: 'success',
      text: 'Deployed **v2.0.0**',
      environment: 'production',
      fields: 'Image: ai-support:v2.0.0',
      'slack-webhook-url': urls.slack,
      'teams-webhook-url': urls.teams,
      'discord-webhook-url': urls.discord,
      'webhook-url': urls.webhook,
      'webhook-secret': secret,
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    expect(result.exitCode).toBe(0);

    const [slack] = await requests(`/services/T0000/B0000/${id}`);
    const [teams] = await requests(`/workflows/${id}/`);
    const [discord] = await requests(`/api/webhooks/1234/${id}`);
    const [generic] = await requests(`/hooks/${id}`);
    for (const req of [slack, teams, discord, generic]) {
      expect(req).toBeDefined();
      for (const value of [...AUTOMATIC, 'production', 'ai-support:v2.0.0']) expect(req!.body).toContain(value);
    }
    expect(slack!.body).toContain('*v2.0.0*');
    expect(slack!.body).toContain('#2EB67D');
    expect(teams!.body).toContain('application/vnd.microsoft.card.adaptive');
    expect(teams!.status).toBe(202);
    expect((discord!.json as { embeds: { color: number }[] }).embeds[0]!.color).toBe(0x2eb67d);
    expect(discord!.query.wait).toBe('true');
    expect(generic!.headers['x-signature-256']).toBe(`sha256=${createHmac('sha256', secret).update(generic!.body).digest('hex')}`);

    const d = delivered(result);
    expect(Object.keys(d).sort()).toEqual(['discord', 'slack', 'teams', 'webhook']);
    for (const channel of Object.values(d)) expect(channel).toMatchObject({ ok: true, attempts: 1 });
    expect(d.discord!.id).toMatch(/^\d+$/);
    expect(result.outputs['failed-channels']).toBe('');
    expect(result.summary).toMatch(/\| Channel \| Status \| Attempts \| Message id \|/);
    expect(result.summary).toMatch(/\| discord \| ✅ delivered \| 1 \| \d+ \|/);
    expectNoLeak(result, ...Object.values(urls), id, secret);
  });

  test('a pull request names its head branch (GITHUB_HEAD_REF)', async () => {
    const id = unique();
    const result = await run(
      { 'webhook-url': `${WH}/hooks/${id}` },
      {
        event: { name: 'pull_request', payload: { pull_request: { number: 17, head: { ref: 'feature/fast', sha: 'feedface00112233' } } } },
        context: {
          GITHUB_EVENT_NAME: 'pull_request',
          GITHUB_REF: 'refs/pull/17/merge',
          GITHUB_REF_NAME: '17/merge',
          GITHUB_HEAD_REF: 'feature/fast',
        },
      },
    );
    expect(result.exitCode).toBe(0);
    const [req] = await requests(`/hooks/${id}`);
    expect(req!.json).toMatchObject({
      refType: 'pull request',
      refName: 'feature/fast',
      sha: 'feedface00112233',
      pullRequest: { number: 17, headRef: 'feature/fast' },
    });
  });

  test('429 with Retry-After: waits as asked, then delivers', async () => {
    const id = unique();
    const path = `/services/T1/B1/${id}`;
    await control.failWebhooks({ status: 429, count: 1, retryAfter: 2, path });
    const result = await run({ 'slack-webhook-url': `${WH}${path}`, retries: 2 });
    expect(result.exitCode).toBe(0);
    expect(result.warnings).toEqual([]);
    expect(delivered(result).slack).toMatchObject({ ok: true, attempts: 2 });
    const [first, second] = await requests(path);
    expect([first!.status, second!.status]).toEqual([429, 200]);
    expect(Date.parse(second!.at) - Date.parse(first!.at)).toBeGreaterThanOrEqual(1900);
    expect(result.log).toMatch(/slack: HTTP 429: rate_limited; retrying in 2\.0s \(attempt 2 of 3\)/);
  });

  test('500 until the retries run out: a warning and failed-channels, the other channels still delivered', async () => {
    const id = unique();
    const path = `/workflows/${id}`;
    await control.failWebhooks({ status: 500, count: 10, path });
    const result = await run({ 'teams-webhook-url': `${WH}${path}`, 'webhook-url': `${WH}/hooks/${id}`, retries: 1 });
    expect(result.exitCode).toBe(0);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual(['Notification not delivered: teams: HTTP 500: internal_error (gave up after 2 attempts)']);
    expect(result.outputs['failed-channels']).toBe('teams');
    expect(delivered(result)).toMatchObject({ teams: { ok: false, attempts: 2 }, webhook: { ok: true, attempts: 1 } });
    expect(await requests(path)).toHaveLength(2);
    expect(result.summary).toMatch(/\| teams \| ❌ failed \| 2 \| — \| HTTP 500: internal_error/);
  });

  test('with fail-on-error: true the step fails with one line', async () => {
    const id = unique();
    const path = `/api/webhooks/99/${id}`;
    await control.failWebhooks({ status: 503, count: 10, path });
    const result = await run({ 'discord-webhook-url': `${WH}${path}`, retries: 1, 'fail-on-error': true });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual(['Notification failed on 1 of 1 channels: discord: HTTP 503: internal_error (gave up after 2 attempts)']);
    expect(result.outputs['failed-channels']).toBe('discord');
    expectNoLeak(result, `${WH}${path}`, id);
  });

  test('payload placeholders are rendered from the fixed set', async () => {
    const id = unique();
    const payload = JSON.stringify({
      text: '{{status_emoji}} {{repository}}@{{short_sha}} by {{actor}} in {{environment}}',
      link: '{{run_url}}',
      meta: { ref: '{{ref_name}}', event: '{{event}}' },
    });
    const result = await run({ 'webhook-url': `${WH}/hooks/${id}`, status: 'failure', environment: 'staging', payload });
    expect(result.exitCode).toBe(0);
    const [req] = await requests(`/hooks/${id}`);
    expect(req!.json).toEqual({
      text: '❌ tripo04os/ai-support@0123456 by octocat in staging',
      link: RUN_URL,
      meta: { ref: 'main', event: 'push' },
    });
  });
});

describe('Slack Web API', () => {
  test('slack-ts round-trips: a second step updates the same message, a third replies in its thread', async () => {
    const token = `xoxb-${unique()}`;
    const channel = `#deploys-${unique()}`;
    const common = { 'slack-token': token, 'slack-channel': channel, 'slack-api-url': `${WH}/api` };
    const first = await run({ ...common, status: 'started', title: 'Deploying ai-support' });
    expect(first.errors).toEqual([]);
    const ts = first.outputs['slack-ts'];
    expect(ts).toMatch(/^\d+\.\d{6}$/);
    expect(first.outputs['slack-channel']).toMatch(/^C[A-Z0-9]+$/);
    expect(delivered(first)['slack-api']).toEqual({ ok: true, attempts: 1, id: ts });

    const second = await run({ ...common, 'slack-ts': ts!, status: 'success', title: 'Deployed ai-support' });
    expect(second.errors).toEqual([]);
    expect(second.outputs['slack-ts']).toBe(ts);
    const updates = (await requests('/api/chat.update')).filter((r) => (r.json as { ts?: string }).ts === ts);
    expect(updates).toHaveLength(1);
    expect(updates[0]!.status).toBe(200);
    expect(updates[0]!.body).toContain('Deployed ai-support');
    expect(updates[0]!.headers.authorization).toBe(`Bearer ${token}`);

    const reply = await run({ ...common, 'slack-thread-ts': ts!, status: 'success', title: 'Smoke tests passed' });
    expect(reply.errors).toEqual([]);
    expect(reply.outputs['slack-ts']).not.toBe(ts);
    const [posted] = (await requests('/api/chat.postMessage')).filter((r) => (r.json as { thread_ts?: string }).thread_ts === ts);
    expect(posted!.body).toContain('Smoke tests passed');
    for (const r of [first, second, reply]) expectNoLeak(r, token);
  });

  test('Slack’s own error (HTTP 200, ok: false) is the failure text', async () => {
    const result = await run({ 'slack-token': `xoxb-${unique()}`, 'slack-channel': '#missing-channel', 'slack-api-url': `${WH}/api` });
    expect(result.exitCode).toBe(0);
    expect(result.warnings).toEqual(['Notification not delivered: slack-api: chat.postMessage: channel_not_found']);
  });
});

describe('email', () => {
  const smtp = { host: sb.SANDBOX_SMTP_HOST, port: sb.SANDBOX_SMTP_PORT, user: sb.SANDBOX_SMTP_USER, password: sb.SANDBOX_SMTP_PASSWORD };

  test('STARTTLS verified against the sandbox CA, with AUTH; text and HTML bodies with the automatic fields', async () => {
    const to = `ops-${unique()}@example.com`;
    const result = await run({
      'smtp-host': smtp.host,
      'smtp-port': smtp.port,
      'smtp-username': smtp.user,
      'smtp-password': smtp.password,
      'smtp-tls': 'starttls',
      'smtp-ca-file': sb.SANDBOX_CA_FILE,
      'email-to': to,
      'email-cc': 'lead@example.com',
      'email-from': 'CI/CD Pipeline <ci@example.com>',
      status: 'failure',
      environment: 'production',
      text: 'Rollout **stalled**',
    });
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([]);
    const [mail] = await mailsTo(to);
    expect(mail).toBeDefined();
    expect(mail!.secure).toBe(true);
    expect(mail!.user).toBe(smtp.user);
    expect(mail!.cc).toEqual(['lead@example.com']);
    expect(mail!.subject).toBe('❌ CI failed on tripo04os/ai-support (production)');
    for (const value of AUTOMATIC) {
      expect(mail!.text).toContain(value);
      expect(mail!.html).toContain(value);
    }
    expect(mail!.html).toContain('<strong>stalled</strong>');
    expect(delivered(result).email).toMatchObject({ ok: true, attempts: 1 });
    expect(delivered(result).email!.id).toMatch(/^<.+>$/);
    expectNoLeak(result, smtp.password);
  });

  test('smtp-url with the CA from NODE_EXTRA_CA_CERTS (auto upgrades with STARTTLS)', async () => {
    const to = `url-${unique()}@example.com`;
    const url = `smtp://${encodeURIComponent(smtp.user)}:${encodeURIComponent(smtp.password)}@${smtp.host}:${smtp.port}`;
    const result = await run(
      { 'smtp-url': url, 'email-to': to, 'email-from': 'ci@example.com' },
      { env: { NODE_EXTRA_CA_CERTS: sb.SANDBOX_CA_FILE } },
    );
    expect(result.errors).toEqual([]);
    const [mail] = await mailsTo(to);
    expect(mail!.secure).toBe(true);
    expectNoLeak(result, url, smtp.password);
  });

  test('plain SMTP with smtp-tls: off', async () => {
    const to = `plain-${unique()}@example.com`;
    const result = await run({
      'smtp-host': smtp.host,
      'smtp-port': smtp.port,
      'smtp-tls': 'off',
      'email-to': to,
      'email-from': 'ci@example.com',
    });
    expect(result.errors).toEqual([]);
    const [mail] = await mailsTo(to);
    expect(mail!.secure).toBe(false);
    expect(mail!.user).toBeNull();
  });

  test('a wrong password gives a clear error, and does not show the password', async () => {
    const to = `denied-${unique()}@example.com`;
    const password = `wrong-${unique()}`;
    const result = await run({
      'smtp-host': smtp.host,
      'smtp-port': smtp.port,
      'smtp-username': smtp.user,
      'smtp-password': password,
      'smtp-ca-file': sb.SANDBOX_CA_FILE,
      'email-to': to,
      'email-from': 'ci@example.com',
      'fail-on-error': true,
    });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([
      `Notification failed on 1 of 1 channels: email: SMTP authentication failed for user '${smtp.user}': 535 Authentication credentials invalid (check smtp-username and smtp-password)`,
    ]);
    expect(await mailsTo(to)).toEqual([]);
    expectNoLeak(result, password);
  });
});

describe('bad inputs fail with one line, before anything is sent', () => {
  test.each([
    [{ 'slack-webhook-url': 'not a url' }, "Input 'slack-webhook-url' has the value '***': expected a URL starting with https://"],
    [
      { 'teams-webhook-url': 'http://hooks.example.com/workflows/abc' },
      "Input 'teams-webhook-url' has the value 'http://***': expected a URL starting with https:// (http:// only for loopback hosts)",
    ],
    [
      { 'smtp-host': '127.0.0.1', 'email-from': 'ci@example.com' },
      "Input 'email-to' has no value: at least one recipient is required when smtp-host is set",
    ],
    [{ 'slack-token': 'xoxb-1' }, "Input 'slack-channel' has no value: a channel ID or name is required with slack-token"],
    [
      { 'smtp-host': '127.0.0.1', 'email-to': 'a@example.com', 'smtp-tls': 'ssl' },
      "Input 'smtp-tls' has the value 'ssl': expected one of auto, starttls, tls, off",
    ],
    [
      { 'email-to': 'ops@example.com' },
      "Input 'smtp-host' has no value: an SMTP server (smtp-host or smtp-url) is required when email-to is set",
    ],
    [{ 'webhook-secret': 's3cret-value' }, "Input 'webhook-url' has no value: it is required when webhook-secret is set"],
    [
      { 'smtp-url': 'smtps://u:p4ss@mail.example.com', 'smtp-tls': 'starttls', 'email-to': 'a@example.com' },
      "Input 'smtp-tls' has the value 'starttls': smtps:// means implicit TLS: use auto or tls, or an smtp:// URL",
    ],
    [
      { 'smtp-host': '127.0.0.1', 'email-to': 'not-an-address' },
      "Input 'email-to' has the value 'not-an-address': expected e-mail addresses such as ops@example.com",
    ],
    [
      {},
      'No channel configured: set slack-webhook-url, slack-token with slack-channel, teams-webhook-url, discord-webhook-url, webhook-url, or smtp-url/smtp-host with email-to',
    ],
  ])('%j', async (inputs, line) => {
    const result = await run(inputs);
    expect(result.exitCode).toBe(1);
    expect(result.errors).toEqual([line]);
    expect(result.outputs).toEqual({});
  });

  test.each([
    ['{"text": ', /^Input 'payload' has the value '\{"text":': expected JSON or YAML: invalid JSON \(/],
    ['text: [unclosed', /^Input 'payload' has the value 'text: \[unclosed': expected JSON or YAML: invalid YAML/],
  ])('payload %j that does not parse is refused with one line', async (payload, line) => {
    const result = await run({ 'webhook-url': `${WH}/hooks/${unique()}`, payload });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(line);
  });

  test('an unknown payload placeholder is refused and nothing is sent', async () => {
    const id = unique();
    const result = await run({ 'webhook-url': `${WH}/hooks/${id}`, payload: '{"text": "{{secrets.GITHUB_TOKEN}}"}' });
    expect(result.exitCode).toBe(1);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toMatch(/^Input 'payload' has the value .*unknown placeholder \{\{secrets\.GITHUB_TOKEN\}\}; known: status, /);
    expect(await requests(`/hooks/${id}`)).toEqual([]);
  });
});
