import { InputError, runContext } from '@tripo04os/common';
import { buildMessage } from '../src/message.ts';
import { PLACEHOLDERS, parsePayload, placeholderValues, renderPayload, webhookMessage } from '../src/template.ts';

const message = buildMessage(
  { status: 'failure', text: 'He said "hi" \\ bye', environment: 'staging' },
  runContext({
    GITHUB_REPOSITORY: 'tripo04os/ai-support',
    GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
    GITHUB_REF: 'refs/heads/main',
    GITHUB_REF_NAME: 'main',
    GITHUB_RUN_ID: '5',
    GITHUB_ACTOR: 'octocat',
  }),
);
const values = placeholderValues(message);

test('every documented placeholder has a value', () => {
  expect(Object.keys(values).sort()).toEqual(Object.keys(PLACEHOLDERS).sort());
});

test('JSON payload: placeholders replaced inside strings, with or without spaces', async () => {
  const t = await parsePayload(
    '{"text": "{{status_emoji}} {{ repository }}@{{short_sha}} by {{actor}}", "n": 3, "list": ["{{environment}}"]}',
  );
  expect(renderPayload(t, values)).toEqual({ text: '❌ tripo04os/ai-support@0123456 by octocat', n: 3, list: ['staging'] });
});

test('a value with quotes and backslashes cannot break out of its string', async () => {
  const t = await parsePayload('{"text": "{{text}}", "ok": true}');
  const rendered = renderPayload(t, values);
  expect(rendered).toEqual({ text: 'He said "hi" \\ bye', ok: true });
  expect(JSON.parse(JSON.stringify(rendered))).toEqual(rendered);
});

test('YAML payloads are accepted', async () => {
  const t = await parsePayload('text: "{{title}}"\nblocks:\n  - type: section\n    text: { type: mrkdwn, text: "*{{status}}*" }\n');
  expect(renderPayload(t, values)).toEqual({
    text: message.title,
    blocks: [{ type: 'section', text: { type: 'mrkdwn', text: '*failure*' } }],
  });
});

test('the template is not changed by rendering', async () => {
  const t = await parsePayload('{"a": "{{status}}"}');
  renderPayload(t, values);
  expect(t).toEqual({ a: '{{status}}' });
});

test.each([
  ['{"text": "{{secrets.TOKEN}}"}', /unknown placeholder \{\{secrets\.TOKEN\}\}/],
  ['{"text": "{{ process.env.HOME }}"}', /unknown placeholder \{\{process\.env\.HOME\}\}/],
  ['{"text": ', /Input 'payload'.*expected JSON or YAML/],
  ['text: [unclosed', /Input 'payload'.*expected JSON or YAML: invalid YAML/],
  ['- a\n- b', /expected a JSON or YAML object/],
  ['just a sentence', /expected a JSON or YAML object/],
])('%j is refused with one line', async (raw, message) => {
  const err = await parsePayload(raw).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).not.toContain('\n');
});

test.each([
  ['{"n":{{run_number}}}', 'run_number'],
  ['{"a": "{{status}}", "n": {{ run_number }}}', 'run_number'],
  ['n: {{run_number}}', 'run_number'],
  ['text: "{{title}}"\nn: {{run_number}}', 'run_number'],
])('%j: a placeholder outside a quoted string is refused, naming it', async (raw, name) => {
  const err = await parsePayload(raw).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(InputError);
  expect((err as Error).message).toBe(
    `Input 'payload' has the value '${raw.replace(/\n/g, '\\n')}': placeholder {{${name}}} is not inside a quoted string; quote it ("{{${name}}}") so its value stays text`,
  );
});

test('the generic webhook body comes from the same values as the placeholders', () => {
  const body = webhookMessage(message);
  expect(Object.keys(body)).toEqual([
    'status',
    'emoji',
    'color',
    'title',
    'text',
    'repository',
    'ref',
    'refName',
    'refType',
    'sha',
    'commitUrl',
    'actor',
    'workflow',
    'job',
    'event',
    'runId',
    'runNumber',
    'runAttempt',
    'runUrl',
    'environment',
    'fields',
  ]);
  expect(body).toMatchObject({ status: values.status, emoji: values.status_emoji, refName: values.ref_name, runUrl: values.run_url });
});
