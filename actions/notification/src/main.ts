import { access, constants } from 'node:fs/promises';
import { InputError, runContext, UserError } from '@tripo04os/common';
import { mask, readActionInputs, run, runnerLogger, Summary, setOutput } from '@tripo04os/kit';
import type { EmailTarget, NotifyTargets } from '@tripo04os/notify';
import { spec } from './inputs.ts';

const ADDRESS = /^[^\s@<>]+@[^\s@<>]+$|^[^<>]*<[^\s@<>]+@[^\s@<>]+>$/;

/** Inputs that configure a channel (or belong to one): with none of them there is nothing to do. */
const CHANNEL_INPUTS = [
  'slackWebhookUrl',
  'slackToken',
  'slackChannel',
  'slackTs',
  'slackThreadTs',
  'teamsWebhookUrl',
  'discordWebhookUrl',
  'webhookUrl',
  'webhookSecret',
  'smtpUrl',
  'smtpHost',
  'emailTo',
] as const;
const NO_CHANNEL =
  'No channel configured: set slack-webhook-url, slack-token with slack-channel, teams-webhook-url, discord-webhook-url, webhook-url, or smtp-url/smtp-host with email-to';

async function main(): Promise<void> {
  const inputs = readActionInputs(spec);
  if (
    CHANNEL_INPUTS.every((k) => {
      const v = inputs[k];
      return v === undefined || (Array.isArray(v) && v.length === 0);
    })
  ) {
    throw new UserError(NO_CHANNEL);
  }
  // The channel code (and marked) loads only once there is something to send.
  const { buildMessage, configuredChannels, notify, parsePayload } = await import('@tripo04os/notify');
  const secrets: string[] = [];
  const secret = (value: string | undefined) => {
    if (!value) return;
    mask(value);
    secrets.push(value);
  };
  // The URL objects may normalise what was typed (a trailing slash, case): mask that form too.
  for (const url of [inputs.slackWebhookUrl, inputs.teamsWebhookUrl, inputs.discordWebhookUrl, inputs.webhookUrl, inputs.smtpUrl]) {
    if (url) secret(url.href);
  }
  secret(inputs.slackToken);
  secret(inputs.webhookSecret);
  secret(inputs.smtpPassword);

  const targets: NotifyTargets = {};
  if (inputs.slackWebhookUrl) targets.slackWebhookUrl = inputs.slackWebhookUrl.href;
  if (inputs.slackToken) {
    if (!inputs.slackChannel) throw new InputError('slack-channel', '', 'a channel ID or name is required with slack-token');
    targets.slackApi = {
      token: inputs.slackToken,
      channel: inputs.slackChannel,
      apiUrl: inputs.slackApiUrl.href,
      ...(inputs.slackTs ? { ts: inputs.slackTs } : {}),
      ...(inputs.slackThreadTs ? { threadTs: inputs.slackThreadTs } : {}),
    };
  } else {
    for (const [name, value] of [
      ['slack-channel', inputs.slackChannel],
      ['slack-ts', inputs.slackTs],
      ['slack-thread-ts', inputs.slackThreadTs],
    ] as const) {
      if (value) throw new InputError(name, value, 'it needs slack-token (the Web API); an incoming webhook posts to its own channel');
    }
  }
  if (inputs.teamsWebhookUrl) targets.teamsWebhookUrl = inputs.teamsWebhookUrl.href;
  if (inputs.discordWebhookUrl) targets.discordWebhookUrl = inputs.discordWebhookUrl.href;
  if (inputs.webhookUrl) {
    targets.webhook = { url: inputs.webhookUrl.href, ...(inputs.webhookSecret ? { secret: inputs.webhookSecret } : {}) };
  } else if (inputs.webhookSecret) {
    throw new InputError('webhook-url', '', 'it is required when webhook-secret is set');
  }
  const email = await emailTarget(inputs, secret);
  if (email) targets.email = email;
  if (inputs.payload) targets.payload = await parsePayload(inputs.payload);

  const channels = configuredChannels(targets);
  if (channels.length === 0) {
    throw new UserError(NO_CHANNEL);
  }

  const message = buildMessage(
    {
      status: inputs.status,
      ...(inputs.title ? { title: inputs.title } : {}),
      ...(inputs.text ? { text: inputs.text } : {}),
      fields: inputs.fields,
      ...(inputs.environment ? { environment: inputs.environment } : {}),
      automaticFields: inputs.automaticFields,
    },
    runContext(process.env),
  );

  const result = await runnerLogger.group(`Notify ${channels.join(', ')}`, () =>
    notify(message, targets, {
      retries: inputs.retries,
      deadlineMs: inputs.retryDeadline,
      logger: runnerLogger,
      secrets,
    }),
  );

  if (result.slackTs) setOutput('slack-ts', result.slackTs);
  if (result.slackChannel) setOutput('slack-channel', result.slackChannel);
  const delivered: Record<string, { ok: boolean; attempts: number; id: string | null }> = {};
  for (const c of result.channels) delivered[c.channel] = { ok: c.ok, attempts: c.attempts, id: c.id ?? null };
  setOutput('delivered', delivered);
  setOutput('failed-channels', result.failed.join(','));

  const summary = new Summary().heading(`${message.status.emoji} Notification: ${message.title}`).table(
    ['Channel', 'Status', 'Attempts', 'Message id', 'Error'],
    // A Message-ID's angle brackets would read as an HTML tag in the summary.
    result.channels.map((c) => [c.channel, c.ok ? '✅ delivered' : '❌ failed', c.attempts, c.id?.replace(/^<(.*)>$/, '$1'), c.error]),
  );
  await summary.write();

  const failures = result.channels.filter((c) => !c.ok);
  if (failures.length === 0) return;
  const lines = failures.map((c) => `${c.channel}: ${c.error}`);
  if (inputs.failOnError) {
    throw new UserError(`Notification failed on ${failures.length} of ${result.channels.length} channels: ${lines.join('; ')}`);
  }
  for (const line of lines) runnerLogger.warning(`Notification not delivered: ${line}`);
}

type ActionInputs = ReturnType<typeof readActionInputs<typeof spec>>;

async function emailTarget(inputs: ActionInputs, secret: (value: string | undefined) => void): Promise<EmailTarget | undefined> {
  if (inputs.smtpUrl && inputs.smtpHost) {
    throw new InputError('smtp-host', inputs.smtpHost, 'leave it empty when smtp-url is set (the URL names the host)');
  }
  const { parseSmtpUrl } = await import('@tripo04os/notify');
  const fromUrl = inputs.smtpUrl ? parseSmtpUrl(inputs.smtpUrl) : undefined;
  secret(fromUrl?.password);
  const host = fromUrl?.host ?? inputs.smtpHost;
  if (!host) {
    if (inputs.emailTo.length > 0)
      throw new InputError('smtp-host', '', 'an SMTP server (smtp-host or smtp-url) is required when email-to is set');
    return undefined;
  }
  if (inputs.emailTo.length === 0) {
    throw new InputError('email-to', '', `at least one recipient is required when ${fromUrl ? 'smtp-url' : 'smtp-host'} is set`);
  }
  for (const [name, list] of [
    ['email-to', inputs.emailTo],
    ['email-cc', inputs.emailCc],
  ] as const) {
    for (const address of list)
      if (!ADDRESS.test(address)) throw new InputError(name, address, 'expected e-mail addresses such as ops@example.com');
  }
  let tls = inputs.smtpTls;
  if (fromUrl?.implicitTls) {
    if (tls === 'starttls' || tls === 'off')
      throw new InputError('smtp-tls', tls, 'smtps:// means implicit TLS: use auto or tls, or an smtp:// URL');
    tls = 'tls';
  }
  const username = fromUrl?.username ?? inputs.smtpUsername;
  const password = fromUrl?.password ?? inputs.smtpPassword;
  if (password && !username) throw new InputError('smtp-username', '', 'it is required when a password is given');
  const from = inputs.emailFrom || (username && ADDRESS.test(username) ? username : '');
  if (!from)
    throw new InputError(
      'email-from',
      '',
      username ? 'a sender address is required (the SMTP user name is not an address)' : 'a sender address is required',
    );
  if (!ADDRESS.test(from)) throw new InputError('email-from', from, 'expected an address such as "CI/CD <ci@example.com>"');
  if (inputs.smtpCaFile) {
    try {
      await access(inputs.smtpCaFile, constants.R_OK);
    } catch {
      throw new InputError('smtp-ca-file', inputs.smtpCaFile, 'expected a readable PEM file');
    }
  }
  return {
    host,
    ...((fromUrl?.port ?? inputs.smtpPort) !== undefined ? { port: (fromUrl?.port ?? inputs.smtpPort) as number } : {}),
    ...(username ? { username } : {}),
    ...(password ? { password } : {}),
    tls,
    ...(inputs.smtpCaFile ? { caFile: inputs.smtpCaFile } : {}),
    from,
    to: inputs.emailTo,
    cc: inputs.emailCc,
    ...(inputs.emailSubject ? { subject: inputs.emailSubject } : {}),
  };
}

await run(main);
