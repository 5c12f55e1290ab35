import { randomBytes } from 'node:crypto';
import { SandboxControl } from '../src/index.ts';
import { sandboxEnv } from '../src/testing.ts';

const env = sandboxEnv();
const control = new SandboxControl(env.SANDBOX_CONTROL_URL);
// The sandbox is shared with other suites running at the same time: every test uses its own path.
const unique = () => randomBytes(6).toString('hex');

async function post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${env.SANDBOX_WEBHOOK_URL}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
}

test('a Slack incoming webhook answers 200 ok and the request is recorded', async () => {
  const path = `/services/T${unique()}/B1/x`;
  const res = await post(path, { text: 'deployed *svc*' });
  expect(res.status).toBe(200);
  expect(await res.text()).toBe('ok');
  const bad = await post(path, 'not json');
  expect(bad.status).toBe(400);
  expect(await bad.text()).toBe('invalid_payload');
  const recorded = await control.webhooks(path);
  expect(recorded).toHaveLength(2);
  expect(recorded[0]).toMatchObject({
    method: 'POST',
    path,
    body: '{"text":"deployed *svc*"}',
    json: { text: 'deployed *svc*' },
    status: 200,
  });
  expect(recorded[0]!.headers['content-type']).toBe('application/json');
  expect(recorded[1]!.status).toBe(400);
});

test('the Slack Web API posts and updates messages and answers errors the way Slack does', async () => {
  const channel = `deploys-${unique()}`;
  const auth = { authorization: 'Bearer xoxb-123' };
  const posted = await post('/api/chat.postMessage', { channel, text: 'starting' }, auth);
  expect(posted.status).toBe(200);
  const p = (await posted.json()) as { ok: boolean; ts: string; channel: string; message: { text: string } };
  expect(p.ok).toBe(true);
  expect(p.ts).toMatch(/^\d+\.\d{6}$/);
  expect(p.channel).toMatch(/^C[A-Z0-9]+$/);
  expect(p.message.text).toBe('starting');

  const updated = (await (await post('/api/chat.update', { channel: p.channel, ts: p.ts, text: 'done' }, auth)).json()) as Record<
    string,
    unknown
  >;
  expect(updated).toMatchObject({ ok: true, ts: p.ts, channel: p.channel, text: 'done' });
  // The channel name and its ID are the same channel.
  expect(((await (await post('/api/chat.update', { channel, ts: p.ts, text: 'again' }, auth)).json()) as { ok: boolean }).ok).toBe(true);

  const errors = await Promise.all([
    post('/api/chat.postMessage', { channel, text: 'x' }, { authorization: 'Bearer not-a-token' }),
    post('/api/chat.postMessage', { channel, text: 'x' }),
    post('/api/chat.postMessage', { channel: 'missing-channel', text: 'x' }, auth),
    post('/api/chat.update', { channel, ts: '1.000000', text: 'x' }, auth),
  ]);
  expect(errors.map((r) => r.status)).toEqual([200, 200, 200, 200]);
  const bodies = await Promise.all(errors.map((r) => r.json()));
  expect(bodies).toEqual([
    { ok: false, error: 'invalid_auth' },
    { ok: false, error: 'not_authed' },
    { ok: false, error: 'channel_not_found' },
    { ok: false, error: 'message_not_found' },
  ]);

  // A form-encoded call with the token in the body works too.
  const form = await fetch(`${env.SANDBOX_WEBHOOK_URL}/api/chat.postMessage`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: 'xoxp-1', channel, text: 'form' }).toString(),
  });
  expect(((await form.json()) as { ok: boolean }).ok).toBe(true);
});

test('Teams answers 202 with an empty body, Discord 204 (200 with the message on ?wait=true), anything else 200', async () => {
  const id = unique();
  const teams = await post(`/workflows/${id}/triggers/manual/paths/invoke`, { type: 'message' });
  expect(teams.status).toBe(202);
  expect(await teams.text()).toBe('');
  const discord = await post(`/api/webhooks/${id}/token`, { content: 'hi' });
  expect(discord.status).toBe(204);
  const waited = await post(`/api/webhooks/${id}/token?wait=true`, { content: 'hi' });
  expect(waited.status).toBe(200);
  expect(await waited.json()).toMatchObject({ content: 'hi', webhook_id: id, type: 0 });
  const generic = await post(`/hooks/${id}`, { anything: 1 });
  expect(generic.status).toBe(200);
  expect(await generic.json()).toEqual({ ok: true });
  const recorded = await control.webhooks(`/api/webhooks/${id}`);
  expect(recorded.map((r) => r.query)).toEqual([{}, { wait: 'true' }]);
});

test('the sink answers 429 with Retry-After (or 5xx) for the next N requests to a path, then recovers', async () => {
  const path = `/services/T${unique()}/B/x`;
  await control.failWebhooks({ status: 429, count: 2, retryAfter: 3, path });
  const first = await post(path, { text: 'a' });
  const second = await post(path, { text: 'a' });
  const third = await post(path, { text: 'a' });
  expect([first.status, second.status, third.status]).toEqual([429, 429, 200]);
  expect(first.headers.get('retry-after')).toBe('3');
  const other = `/services/T${unique()}/B/x`;
  await control.failWebhooks({ status: 503, count: 1, path: other });
  const failed = await post(other, { text: 'a' });
  expect(failed.status).toBe(503);
  expect(failed.headers.get('retry-after')).toBeNull();
  expect((await post(other, { text: 'a' })).status).toBe(200);
  expect((await control.webhooks(path)).map((r) => r.status)).toEqual([429, 429, 200]);
});

test('the control endpoint rejects a bad failure rule with 400', async () => {
  await expect(control.failWebhooks({ status: 200, count: 1 })).rejects.toMatchObject({ status: 400 });
});
