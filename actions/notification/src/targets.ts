import { InputError, UserError } from '@tripo04os/common';
import type { Inputs } from '@tripo04os/kit/early';
import type { EmailTarget, NotifyTargets } from '@tripo04os/notify';
import { parsePayload, parseSmtpUrl, urlSecrets } from '@tripo04os/notify/checks';
import type { spec } from './inputs.ts';

/**
 * From the inputs to the channels to send to: every rule that spans several inputs (a token
 * needs a channel, a secret needs its URL, email needs a server, recipients and a sender), checked
 * before anything is sent. Only light modules here: this runs before @actions/core and the
 * channel code load, so a bad input fails fast.
 */
export type ActionInputs = Inputs<typeof spec>;

export interface Plan {
  targets: NotifyTargets;
  /** Every secret value and piece of one, already masked, for scrubbing error texts. */
  secrets: string[];
}

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

export const NO_CHANNEL =
  'No channel configured: set slack-webhook-url, slack-token with slack-channel, teams-webhook-url, discord-webhook-url, webhook-url, or smtp-url/smtp-host with email-to';

/** Throws the one "no channel" line when no channel input is set at all. */
function requireChannel(inputs: ActionInputs): void {
  const unset = (v: unknown) => v === undefined || (Array.isArray(v) && v.length === 0);
  if (CHANNEL_INPUTS.every((k) => unset(inputs[k]))) throw new UserError(NO_CHANNEL);
}

/** The targets of a step, with the secrets to mask (`mask` is called with each before it is kept). */
export async function buildTargets(inputs: ActionInputs, mask: (secret: string) => void): Promise<Plan> {
  requireChannel(inputs);
  const secrets: string[] = [];
  const secret = (value: string | undefined) => {
    if (!value || secrets.includes(value)) return;
    mask(value);
    secrets.push(value);
  };
  // A failing service may echo a piece of its URL (a token in the path, a signature in the
  // query): each piece is masked, and the URL in the form the parser gave it (trailing slash, case).
  for (const url of [inputs.slackWebhookUrl, inputs.teamsWebhookUrl, inputs.discordWebhookUrl, inputs.webhookUrl, inputs.smtpUrl]) {
    if (url) for (const piece of urlSecrets(url)) secret(piece);
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
  if (inputs.slackMentions) targets.slackMentions = true;
  if (inputs.teamsWebhookUrl) targets.teamsWebhookUrl = inputs.teamsWebhookUrl.href;
  if (inputs.discordWebhookUrl) targets.discordWebhookUrl = inputs.discordWebhookUrl.href;
  if (inputs.webhookUrl) {
    targets.webhook = { url: inputs.webhookUrl.href, ...(inputs.webhookSecret ? { secret: inputs.webhookSecret } : {}) };
  } else if (inputs.webhookSecret) {
    throw new InputError('webhook-url', '', 'it is required when webhook-secret is set');
  }
  const email = await emailTarget(inputs, inputs.smtpUrl ? parseSmtpUrl(inputs.smtpUrl) : undefined);
  if (email) {
    secret(email.password);
    targets.email = email;
  }
  if (inputs.payload) targets.payload = await parsePayload(inputs.payload);
  return { targets, secrets };
}

type SmtpUrl = ReturnType<typeof parseSmtpUrl>;

/** The email target: server from smtp-url or smtp-host, recipients, sender, TLS mode and CA file, all checked. */
async function emailTarget(inputs: ActionInputs, fromUrl: SmtpUrl | undefined): Promise<EmailTarget | undefined> {
  if (inputs.smtpUrl && inputs.smtpHost) {
    throw new InputError('smtp-host', inputs.smtpHost, 'leave it empty when smtp-url is set (the URL names the host)');
  }
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
  if (!from) {
    const why = username ? 'a sender address is required (the SMTP user name is not an address)' : 'a sender address is required';
    throw new InputError('email-from', '', why);
  }
  if (!ADDRESS.test(from)) throw new InputError('email-from', from, 'expected an address such as "CI/CD <ci@example.com>"');
  if (inputs.smtpCaFile) {
    // Loaded here: node:fs/promises pulls in readline and streams, which most steps never need.
    const { access, constants } = await import('node:fs/promises');
    try {
      await access(inputs.smtpCaFile, constants.R_OK);
    } catch {
      throw new InputError('smtp-ca-file', inputs.smtpCaFile, 'expected a readable PEM file');
    }
  }
  const port = fromUrl?.port ?? inputs.smtpPort;
  return {
    host,
    ...(port !== undefined ? { port } : {}),
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
