/**
 * The notification action's target building, fast: inputs read through the input spec from an
 * environment, as the runner gives them, then every cross-input rule of targets.ts. The
 * bundle's own runs (e2e.test.ts) prove the same lines reach the step's log.
 */
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InputError, UserError } from '@tripo04os/common';
import { readInputs } from '@tripo04os/kit';
import { spec } from '../src/inputs.ts';
import { buildTargets, NO_CHANNEL } from '../src/targets.ts';

/** Reads inputs named as in action.yml, then builds the targets; the masked values are kept too. */
async function plan(inputs: Record<string, string>) {
  const env = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
  const masked: string[] = [];
  const mask = (s: string) => masked.push(s);
  const built = await buildTargets(readInputs(spec, { env, mask }), mask);
  return { ...built, masked };
}

async function refusal(inputs: Record<string, string>): Promise<string> {
  const err = await plan(inputs).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UserError);
  return (err as Error).message;
}

describe('cross-input rules, each one line naming the input', () => {
  test.each([
    [{}, NO_CHANNEL],
    [{ 'slack-token': 'xoxb-1' }, "Input 'slack-channel' has no value: a channel ID or name is required with slack-token"],
    [
      { 'slack-webhook-url': 'https://hooks.slack.com/services/T/B/X', 'slack-ts': '1.2' },
      "Input 'slack-ts' has the value '1.2': it needs slack-token (the Web API); an incoming webhook posts to its own channel",
    ],
    [{ 'webhook-secret': 's3cret-value' }, "Input 'webhook-url' has no value: it is required when webhook-secret is set"],
    [
      { 'email-to': 'ops@example.com' },
      "Input 'smtp-host' has no value: an SMTP server (smtp-host or smtp-url) is required when email-to is set",
    ],
    [{ 'smtp-host': 'mail.example.com' }, "Input 'email-to' has no value: at least one recipient is required when smtp-host is set"],
    [
      { 'smtp-url': 'smtp://mail.example.com', 'smtp-host': 'mail.example.com', 'email-to': 'a@example.com' },
      "Input 'smtp-host' has the value 'mail.example.com': leave it empty when smtp-url is set (the URL names the host)",
    ],
    [
      { 'smtp-host': 'mail.example.com', 'email-to': 'a@example.com', 'email-cc': 'nobody' },
      "Input 'email-cc' has the value 'nobody': expected e-mail addresses such as ops@example.com",
    ],
    [
      { 'smtp-url': 'smtps://u:p4ss@mail.example.com', 'smtp-tls': 'off', 'email-to': 'a@example.com' },
      "Input 'smtp-tls' has the value 'off': smtps:// means implicit TLS: use auto or tls, or an smtp:// URL",
    ],
    [
      { 'smtp-host': 'mail.example.com', 'smtp-password': 'pw-123456', 'email-to': 'a@example.com' },
      "Input 'smtp-username' has no value: it is required when a password is given",
    ],
    [
      { 'smtp-host': 'mail.example.com', 'smtp-username': 'ci', 'email-to': 'a@example.com' },
      "Input 'email-from' has no value: a sender address is required (the SMTP user name is not an address)",
    ],
    [
      { 'smtp-host': 'mail.example.com', 'email-to': 'a@example.com', 'email-from': 'CI <ci@>' },
      "Input 'email-from' has the value 'CI <ci@>': expected an address such as \"CI/CD <ci@example.com>\"",
    ],
    [
      {
        'smtp-host': 'mail.example.com',
        'email-to': 'a@example.com',
        'email-from': 'ci@example.com',
        'smtp-ca-file': '/nonexistent/ca.pem',
      },
      "Input 'smtp-ca-file' has the value '/nonexistent/ca.pem': expected a readable PEM file",
    ],
    [
      { 'webhook-url': 'https://ci.example.com/hooks/x', payload: '{"n": {{run_number}}}' },
      'Input \'payload\' has the value \'{"n": {{run_number}}}\': placeholder {{run_number}} is not inside a quoted string; quote it ("{{run_number}}") so its value stays text',
    ],
  ])('%j', async (inputs, line) => {
    expect(await refusal(inputs)).toBe(line);
  });

  test('the errors are InputErrors (one line, the input named) except the no-channel line', async () => {
    const err = await plan({ 'slack-token': 'xoxb-1' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
  });
});

describe('targets', () => {
  test('every channel at once, with the secrets and every piece of the secret URLs masked', async () => {
    const ca = join(tmpdir(), `notify-ca-${process.pid}.pem`);
    await writeFile(ca, '-----BEGIN CERTIFICATE-----\n');
    const p = await plan({
      'slack-webhook-url': 'https://hooks.slack.com/services/T0123456/B0123456/SlackT0ken99',
      'slack-token': 'xoxb-token-1234',
      'slack-channel': '#deploys',
      'slack-thread-ts': '1700000000.000100',
      'slack-mentions': 'true',
      'teams-webhook-url': 'https://x.logic.azure.com/workflows/wf1234567/triggers/manual/paths/invoke?api-version=1&sig=TeamsSig99',
      'discord-webhook-url': 'https://discord.com/api/webhooks/1234567890/DiscordT0ken99',
      'webhook-url': 'https://ci.example.com/hooks/deploy?token=GenericT0ken99',
      'webhook-secret': 'whsec-12345',
      'smtp-url': 'smtp://ci%40example.com:p%40ssw0rd!@mail.example.com:2525',
      'smtp-ca-file': ca,
      'email-to': 'ops@example.com, lead@example.com',
      payload: 'text: "{{title}}"',
    });
    expect(p.targets).toEqual({
      slackWebhookUrl: 'https://hooks.slack.com/services/T0123456/B0123456/SlackT0ken99',
      slackApi: { token: 'xoxb-token-1234', channel: '#deploys', apiUrl: 'https://slack.com/api', threadTs: '1700000000.000100' },
      slackMentions: true,
      teamsWebhookUrl: 'https://x.logic.azure.com/workflows/wf1234567/triggers/manual/paths/invoke?api-version=1&sig=TeamsSig99',
      discordWebhookUrl: 'https://discord.com/api/webhooks/1234567890/DiscordT0ken99',
      webhook: { url: 'https://ci.example.com/hooks/deploy?token=GenericT0ken99', secret: 'whsec-12345' },
      email: {
        host: 'mail.example.com',
        port: 2525,
        username: 'ci@example.com',
        password: 'p@ssw0rd!',
        tls: 'auto',
        caFile: ca,
        from: 'ci@example.com',
        to: ['ops@example.com', 'lead@example.com'],
        cc: [],
      },
      payload: { text: '{{title}}' },
    });
    for (const s of [
      'SlackT0ken99',
      'TeamsSig99',
      'DiscordT0ken99',
      'GenericT0ken99',
      'wf1234567',
      'p@ssw0rd!',
      'whsec-12345',
      'xoxb-token-1234',
    ]) {
      expect(p.masked).toContain(s);
      expect(p.secrets).toContain(s);
    }
    for (const word of ['services', 'workflows', 'triggers', 'webhooks', 'hooks']) expect(p.masked).not.toContain(word);
  });

  test('smtps:// is implicit TLS; a webhook alone needs nothing else', async () => {
    const smtps = await plan({ 'smtp-url': 'smtps://mail.example.com', 'email-to': 'a@example.com', 'email-from': 'ci@example.com' });
    expect(smtps.targets.email).toMatchObject({ host: 'mail.example.com', tls: 'tls' });
    expect(smtps.targets.email).not.toHaveProperty('port');
    const hook = await plan({ 'webhook-url': 'http://127.0.0.1:9/x' });
    expect(hook.targets).toEqual({ webhook: { url: 'http://127.0.0.1:9/x' } });
  });
});
