import { createHmac } from 'node:crypto';
import { recordingLogger, runContext, silentLogger } from '@tripo04os/common';
import { sendDiscord } from '../src/channels/discord.ts';
import { sendSlackApi, sendSlackWebhook } from '../src/channels/slack.ts';
import { sendTeams } from '../src/channels/teams.ts';
import { SIGNATURE_HEADER, sendWebhook } from '../src/channels/webhook.ts';
import type { DeliveryOptions } from '../src/delivery.ts';
import { buildMessage } from '../src/message.ts';
import { notify } from '../src/notify.ts';
import { redact } from '../src/secrets.ts';
import { parsePayload } from '../src/template.ts';
import { closedPort, failure, type TestServer, testServer } from './servers.ts';

const fast: DeliveryOptions = { retries: 3, deadlineMs: 10_000, baseDelayMs: 20, timeoutMs: 5000, logger: silentLogger };
let server: TestServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('retry decisions', () => {
  test('429 waits as long as Retry-After says, then succeeds', async () => {
    server = await testServer((n) =>
      n === 1 ? { status: 429, headers: { 'retry-after': '1' }, body: 'rate_limited' } : { status: 200, body: 'ok' },
    );
    const r = await sendSlackWebhook(`${server.url}/services/T/B/X`, { text: 'hi' }, fast);
    expect(r.attempts).toBe(2);
    const [a, b] = server.requests;
    expect(b!.at - a!.at).toBeGreaterThanOrEqual(950);
  });

  test('5xx backs off and gives up after retries + 1 attempts with the last error', async () => {
    server = await testServer(() => ({ status: 503, body: 'upstream down' }));
    const err = await failure(sendTeams(`${server.url}/workflows/x`, {}, { ...fast, retries: 2 }));
    expect(err.attempts).toBe(3);
    expect(err.message).toBe('HTTP 503: upstream down (gave up after 3 attempts)');
    expect(server.requests).toHaveLength(3);
  });

  test('other 4xx fail at once with the service’s own error text', async () => {
    server = await testServer(() => ({ status: 404, body: 'no_service' }));
    const err = await failure(sendSlackWebhook(`${server.url}/services/T/B/X`, { text: 'hi' }, fast));
    expect(err.attempts).toBe(1);
    expect(err.message).toBe('HTTP 404: no_service');
  });

  test('a JSON error body gives its message (Discord, Teams)', async () => {
    server = await testServer(() => ({ status: 400, body: JSON.stringify({ message: 'Invalid Form Body', code: 50035 }) }));
    const err = await failure(sendDiscord(`${server.url}/api/webhooks/1/abc`, {}, fast));
    expect(err.message).toBe('HTTP 400: Invalid Form Body');
  });

  test('network errors are retried, then named without the URL', async () => {
    const port = await closedPort();
    const err = await failure(sendWebhook(`http://127.0.0.1:${port}/hook/secret-path`, {}, undefined, { ...fast, retries: 1 }));
    expect(err.attempts).toBe(2);
    expect(err.message).toMatch(/network error: connection refused \(ECONNREFUSED\)/);
    expect(err.message).not.toContain('secret-path');
  });

  test('a receiver that does not answer times out per attempt and is retried', async () => {
    server = await testServer(() => ({ status: 200, body: 'late', delayMs: 3000 }));
    const err = await failure(sendWebhook(`${server.url}/hook`, {}, undefined, { ...fast, retries: 1, timeoutMs: 300 }));
    expect(err.attempts).toBe(2);
    expect(err.message).toBe('no answer within 300ms (gave up after 2 attempts)');
  });

  test('a Retry-After beyond the deadline gives up at once instead of waiting', async () => {
    server = await testServer(() => ({ status: 429, headers: { 'retry-after': '30' } }));
    const t0 = Date.now();
    const err = await failure(sendTeams(`${server.url}/workflows/x`, {}, { ...fast, deadlineMs: 2000 }));
    expect(Date.now() - t0).toBeLessThan(1500);
    expect(err.message).toMatch(/HTTP 429.*deadline reached after 1 attempt/);
  });
});

describe('channel answers', () => {
  test('Teams: 202 with an empty body is success', async () => {
    server = await testServer(() => ({ status: 202 }));
    const r = await sendTeams(`${server.url}/workflows/x`, { type: 'message' }, fast);
    expect(r).toEqual({ value: {}, attempts: 1 });
  });

  test('Discord: asks with wait=true and returns the message id', async () => {
    server = await testServer(() => ({ status: 200, body: JSON.stringify({ id: '1234567890', content: '' }) }));
    const r = await sendDiscord(`${server.url}/api/webhooks/1/abc?thread_id=9`, { embeds: [] }, fast);
    expect(r.value.id).toBe('1234567890');
    expect(server.requests[0]!.path).toBe('/api/webhooks/1/abc?thread_id=9&wait=true');
  });

  test('generic webhook: the signature header verifies against the exact body', async () => {
    server = await testServer(() => ({ status: 200, body: '{"id": 77}' }));
    const r = await sendWebhook(`${server.url}/hook`, { a: 'é' }, 's3cret', fast);
    expect(r.value.id).toBe('77');
    const req = server.requests[0]!;
    const expected = `sha256=${createHmac('sha256', 's3cret').update(Buffer.from(req.body, 'utf8')).digest('hex')}`;
    expect(req.headers[SIGNATURE_HEADER.toLowerCase()]).toBe(expected);
  });

  describe('Slack Web API', () => {
    const api = (url: string) => ({ token: 'xoxb-1-2-3', channel: 'C123', apiUrl: `${url}/api` });

    test('chat.postMessage with the bearer token; ts and channel come back', async () => {
      server = await testServer(() => ({ status: 200, body: JSON.stringify({ ok: true, ts: '1700000000.000100', channel: 'C123' }) }));
      const r = await sendSlackApi({ ...api(server.url), threadTs: '1699.1' }, { text: 'hi' }, fast);
      expect(r.value).toEqual({ id: '1700000000.000100', ts: '1700000000.000100', channel: 'C123' });
      const req = server.requests[0]!;
      expect(req.path).toBe('/api/chat.postMessage');
      expect(req.headers.authorization).toBe('Bearer xoxb-1-2-3');
      expect(JSON.parse(req.body)).toEqual({ text: 'hi', channel: 'C123', thread_ts: '1699.1' });
    });

    test('with ts it is chat.update of that message', async () => {
      server = await testServer(() => ({ status: 200, body: JSON.stringify({ ok: true, ts: '1.2', channel: 'C123' }) }));
      await sendSlackApi({ ...api(server.url), ts: '1.2' }, { text: 'done' }, fast);
      expect(server.requests[0]!.path).toBe('/api/chat.update');
      expect(JSON.parse(server.requests[0]!.body)).toEqual({ text: 'done', channel: 'C123', ts: '1.2' });
    });

    test('HTTP 200 with ok:false fails at once with Slack’s error', async () => {
      server = await testServer(() => ({ status: 200, body: JSON.stringify({ ok: false, error: 'channel_not_found' }) }));
      const err = await failure(sendSlackApi(api(server.url), { text: 'hi' }, fast));
      expect(err.message).toBe('chat.postMessage: channel_not_found');
      expect(err.attempts).toBe(1);
    });

    test('ok:false with ratelimited is retried', async () => {
      server = await testServer((n) =>
        n === 1
          ? { status: 200, body: JSON.stringify({ ok: false, error: 'ratelimited' }) }
          : { status: 200, body: JSON.stringify({ ok: true, ts: '3.4', channel: 'C1' }) },
      );
      const r = await sendSlackApi(api(server.url), { text: 'hi' }, fast);
      expect(r.attempts).toBe(2);
    });
  });
});

describe('notify', () => {
  const message = buildMessage({ status: 'success', text: 'hello' }, runContext({ GITHUB_REPOSITORY: 'o/r', GITHUB_SHA: 'abcdef1234567' }));

  test('sends to every channel at once and reports each one', async () => {
    server = await testServer((_n, req) => ({
      status: req.path.startsWith('/workflows') ? 202 : 200,
      delayMs: 300,
      body: req.path.startsWith('/api/chat') ? JSON.stringify({ ok: true, ts: '9.9', channel: 'C9' }) : 'ok',
    }));
    const t0 = Date.now();
    const r = await notify(
      message,
      {
        slackWebhookUrl: `${server.url}/services/a`,
        slackApi: { token: 'xoxb-x', channel: '#ops', apiUrl: `${server.url}/api` },
        teamsWebhookUrl: `${server.url}/workflows/a`,
        webhook: { url: `${server.url}/generic` },
      },
      { retries: 0, deadlineMs: 1000, logger: silentLogger },
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(r.failed).toEqual([]);
    expect(r.channels.map((c) => [c.channel, c.ok, c.attempts])).toEqual([
      ['slack', true, 1],
      ['slack-api', true, 1],
      ['teams', true, 1],
      ['webhook', true, 1],
    ]);
    expect([r.slackTs, r.slackChannel]).toEqual(['9.9', 'C9']);
  });

  test('a failing channel does not stop the others; secrets never show in errors or logs', async () => {
    const token = 'xoxb-very-secret-token';
    server = await testServer((_n, req) =>
      req.path.startsWith('/api/chat')
        ? { status: 200, body: JSON.stringify({ ok: false, error: `invalid_auth for ${token}` }) }
        : { status: 500, body: 'boom' },
    );
    const hookUrl = `${server.url}/services/T000/B000/very-secret-path`;
    const logger = recordingLogger();
    const r = await notify(
      message,
      {
        slackWebhookUrl: hookUrl,
        slackApi: { token, channel: 'C1', apiUrl: `${server.url}/api` },
      },
      { retries: 1, deadlineMs: 5000, baseDelayMs: 10, logger, secrets: [hookUrl, token] },
    );
    expect(r.failed).toEqual(['slack', 'slack-api']);
    expect(r.channels.find((c) => c.channel === 'slack')).toMatchObject({
      ok: false,
      attempts: 2,
      error: 'HTTP 500: boom (gave up after 2 attempts)',
    });
    expect(r.channels.find((c) => c.channel === 'slack-api')!.error).toBe('chat.postMessage: invalid_auth for ***');
    expect(JSON.stringify([r, logger.lines])).not.toContain('very-secret');
  });

  test('a payload template replaces the rendered message for webhook channels', async () => {
    server = await testServer(() => ({ status: 200, body: 'ok' }));
    const payload = await parsePayload('{"text": "{{status_emoji}} {{repository}} {{short_sha}}"}');
    await notify(message, { slackWebhookUrl: `${server.url}/services/x`, payload }, { retries: 0, deadlineMs: 1000, logger: silentLogger });
    expect(JSON.parse(server.requests[0]!.body)).toEqual({ text: '✅ o/r abcdef1' });
  });
});

test('redact replaces secrets and their URL-encoded forms', () => {
  expect(redact('a p@ss b p%40ss c', ['p@ss'])).toBe('a *** b *** c');
});
