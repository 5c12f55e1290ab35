import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { compareInputSpec, readInputs } from '@tripo04os/kit';
import { repoRoot } from '@tripo04os/kit/harness';
import { parse } from 'yaml';
import { spec } from '../src/inputs.ts';

interface ActionYml {
  inputs: Parameters<typeof compareInputSpec>[1];
  outputs: Record<string, { description?: string }>;
  runs: { using: string; main: string };
}

test('notification/action.yml and the input spec agree, outputs are described, runs on node24', async () => {
  const yml = parse(await readFile(join(repoRoot, 'notification', 'action.yml'), 'utf8')) as ActionYml;
  expect(compareInputSpec(spec, yml.inputs)).toEqual([]);
  expect(Object.keys(yml.outputs).sort()).toEqual(['delivered', 'failed-channels', 'slack-channel', 'slack-ts']);
  for (const o of Object.values(yml.outputs)) expect(o.description?.trim()).toBeTruthy();
  expect(yml.runs).toEqual({ using: 'node24', main: '../actions/notification/dist/index.js' });
});

test('every webhook URL, token, password and secret input is masked', () => {
  const secret = Object.entries(spec)
    .filter(([, d]) => (d as { secret?: boolean }).secret)
    .map(([n]) => n)
    .sort();
  expect(secret).toEqual([
    'discord-webhook-url',
    'slack-token',
    'slack-webhook-url',
    'smtp-password',
    'smtp-url',
    'teams-webhook-url',
    'webhook-secret',
    'webhook-url',
  ]);
});

test.each(['https://hooks.slack.com/services/T/B/X', 'http://127.0.0.1:8080/services/T/B/X', 'http://localhost/x'])(
  'webhook URL %s is accepted and masked',
  (url) => {
    const masked: string[] = [];
    const inputs = readInputs(spec, { env: { 'INPUT_SLACK-WEBHOOK-URL': url }, mask: (s) => masked.push(s) });
    expect(inputs.slackWebhookUrl?.href).toBe(new URL(url).href);
    expect(masked).toContain(url);
  },
);

test.each(['http://hooks.slack.com/services/T/B/X', 'ftp://example.com/x'])(
  'webhook URL %s is refused, and masked before the error',
  (url) => {
    const masked: string[] = [];
    expect(() => readInputs(spec, { env: { 'INPUT_SLACK-WEBHOOK-URL': url }, mask: (s) => masked.push(s) })).toThrow(
      /expected a URL starting with https:\/\//,
    );
    expect(masked).toContain(url);
  },
);

test('defaults: status success, smtp-tls auto, 3 retries within 1m, fail-on-error false', () => {
  const inputs = readInputs(spec, { env: {} });
  expect([inputs.status, inputs.smtpTls, inputs.retries, inputs.retryDeadline, inputs.failOnError, inputs.automaticFields]).toEqual([
    'success',
    'auto',
    3,
    60_000,
    false,
    true,
  ]);
  expect(inputs.slackApiUrl.href).toBe('https://slack.com/api');
});
