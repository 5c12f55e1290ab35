import { defineInputs } from '@tripo04os/kit/early';

const webhook = (what: string) =>
  ({
    type: 'url',
    schemes: ['https'],
    httpLoopback: true,
    secret: true,
    description: `${what} URL (https; http only for loopback hosts). Masked.`,
  }) as const;

/** The notification action's inputs; action.yml declares the same names, defaults and required flags. */
export const spec = defineInputs({
  status: {
    type: 'string',
    default: 'success',
    description:
      'success, failure, cancelled, started, warning, or free text; picks the colour and emoji. Callers pass the job status expression (job.status).',
  },
  title: { type: 'string', description: 'Title. Default: "<workflow> <succeeded|failed|...> on <repository> (<environment>)".' },
  text: { type: 'string', description: 'Message body in markdown (rendered as mrkdwn for Slack, HTML for email).' },
  fields: {
    type: 'map',
    separator: ':',
    description: 'Extra fields, one "key: value" a line, shown after the automatic ones.',
  },
  environment: { type: 'string', description: 'Deployment environment, shown as a field and available as {{environment}}.' },
  'automatic-fields': {
    type: 'boolean',
    default: true,
    description: 'Add the fields taken from the run: repository, branch/tag/pull request, commit, actor, workflow, event, run.',
  },
  payload: {
    type: 'string',
    description:
      'A raw channel payload (JSON or YAML) sent instead of the rendered message to every webhook channel, with {{variable}} placeholders from the documented set.',
  },

  'slack-webhook-url': webhook('Slack incoming webhook'),
  'slack-token': {
    type: 'string',
    secret: true,
    description: 'Slack bot or user token (xoxb-/xoxp-) for the Web API (chat.postMessage / chat.update). Needs slack-channel. Masked.',
  },
  'slack-channel': { type: 'string', description: 'Slack channel ID or name for the Web API.' },
  'slack-ts': {
    type: 'string',
    description: 'ts of a message to update (chat.update) instead of posting a new one; from an earlier slack-ts output.',
  },
  'slack-thread-ts': { type: 'string', description: 'ts of a message to reply to in its thread.' },
  'slack-mentions': {
    type: 'boolean',
    default: false,
    description:
      'Let Slack mention syntax in the title, text and fields (<!channel>, <!here>, <@U123>, <!subteam^S123>) notify people. Default: it is escaped and shows as text.',
  },
  'slack-api-url': {
    type: 'url',
    schemes: ['https'],
    httpLoopback: true,
    default: 'https://slack.com/api',
    description: 'Base URL of the Slack Web API (Enterprise Grid proxies, tests).',
  },
  'teams-webhook-url': webhook('Microsoft Teams Workflows webhook'),
  'discord-webhook-url': webhook('Discord webhook'),
  'webhook-url': webhook('Generic JSON webhook'),
  'webhook-secret': {
    type: 'string',
    secret: true,
    description: 'Signs the generic webhook body: header X-Signature-256: sha256=<HMAC-SHA256 hex>. Masked.',
  },

  'smtp-url': {
    type: 'url',
    schemes: ['smtp', 'smtps'],
    secret: true,
    description: 'SMTP server as smtp://user:password@host:port (smtps:// for implicit TLS). Instead of smtp-host etc. Masked.',
  },
  'smtp-host': { type: 'string', description: 'SMTP server host name.' },
  'smtp-port': {
    type: 'integer',
    min: 1,
    max: 65535,
    description: 'SMTP port. Default: 465 with smtp-tls tls, 25 with off, otherwise 587.',
  },
  'smtp-username': { type: 'string', description: 'SMTP user name.' },
  'smtp-password': { type: 'string', secret: true, description: 'SMTP password. Masked.' },
  'smtp-tls': {
    type: 'enum',
    values: ['auto', 'starttls', 'tls', 'off'] as const,
    default: 'auto',
    description:
      'auto (implicit TLS on 465, else STARTTLS when offered, and required with credentials), starttls (required upgrade, e.g. 587), tls (implicit TLS, e.g. 465), off (no TLS).',
  },
  'smtp-ca-file': { type: 'string', description: 'PEM file of a private CA to trust for the SMTP server, besides the system roots.' },
  'email-to': { type: 'list', commas: true, description: 'Recipients, comma- or line-separated.' },
  'email-cc': { type: 'list', commas: true, description: 'Copy recipients, comma- or line-separated.' },
  'email-from': {
    type: 'string',
    description: 'Sender, e.g. "CI/CD <ci@example.com>". Default: the SMTP user name when it is an address.',
  },
  'email-subject': { type: 'string', description: 'Subject. Default: the status emoji and the title.' },

  retries: {
    type: 'integer',
    min: 0,
    max: 10,
    default: 3,
    description: 'Retries per channel after the first attempt (429, 5xx, network errors).',
  },
  'retry-deadline': {
    type: 'duration',
    default: '1m',
    minMs: 0,
    maxMs: 600_000,
    description: 'No retry starts later than this after the first attempt (e.g. 30s, 2m).',
  },
  'fail-on-error': {
    type: 'boolean',
    default: false,
    description: 'Fail the step when a channel cannot be reached. Default: a warning and the failed-channels output.',
  },
});
