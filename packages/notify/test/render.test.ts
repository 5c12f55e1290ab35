import { runContext } from '@tripo04os/common';
import { DISCORD_LIMITS, discordEmbed, discordMessage, embedLength } from '../src/channels/discord.ts';
import { emailHtml, emailText } from '../src/channels/email.ts';
import { slackMessage, slackValues } from '../src/channels/slack.ts';
import { TEAMS_MAX_BYTES, teamsCard, teamsMessage } from '../src/channels/teams.ts';
import { sign } from '../src/channels/webhook.ts';
import { allowSlackMentions, toHtml, toSlackMrkdwn } from '../src/markdown.ts';
import { buildMessage, fairShare, type Message } from '../src/message.ts';
import { redact, urlSecrets } from '../src/secrets.ts';
import { webhookMessage } from '../src/template.ts';

const ctx = runContext({
  GITHUB_SERVER_URL: 'https://github.com',
  GITHUB_REPOSITORY: 'tripo04os/ai-support',
  GITHUB_REF: 'refs/heads/main',
  GITHUB_REF_NAME: 'main',
  GITHUB_REF_TYPE: 'branch',
  GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
  GITHUB_ACTOR: 'octocat',
  GITHUB_WORKFLOW: 'CI',
  GITHUB_EVENT_NAME: 'push',
  GITHUB_RUN_ID: '99',
  GITHUB_RUN_NUMBER: '7',
});

function message(extra: Partial<Parameters<typeof buildMessage>[0]> = {}): Message {
  return buildMessage(
    {
      status: 'success',
      text: 'Deployed **v2** to `prod` — see [the docs](https://docs.example.com)',
      environment: 'production',
      ...extra,
    },
    ctx,
  );
}

describe('markdown per channel', () => {
  test.each([
    ['**bold** and _it_ and ~~gone~~', '*bold* and _it_ and ~gone~'],
    ['[docs](https://e.com/a?b=1)', '<https://e.com/a?b=1|docs>'],
    ['# Heading\n\ntext', '*Heading*\n\ntext'],
    ['- one\n- two', '• one\n• two'],
    ['1. one\n2. two', '1. one\n2. two'],
    ['a < b & c > d', 'a &lt; b &amp; c &gt; d'],
    ['`x<y`', '`x&lt;y`'],
    ['```\necho <x>\n```', '```\necho &lt;x&gt;\n```'],
    ['> quoted', '> quoted'],
  ])('Slack mrkdwn of %j', (md, expected) => {
    expect(toSlackMrkdwn(md)).toBe(expected);
  });

  test('HTML for email escapes raw HTML from the text', () => {
    const html = toHtml('**ok** <script>alert(1)</script>');
    expect(html).toContain('<strong>ok</strong>');
    expect(html).not.toContain('<script>');
    expect(html).toContain('&lt;script&gt;');
  });
});

describe('Slack', () => {
  test('an attachment with the status colour, mrkdwn title, text and the automatic fields', () => {
    const p = slackMessage(message());
    expect(p.text).toBe('✅ CI succeeded on tripo04os/ai-support (production)');
    const att = (
      p.attachments as { color: string; blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[] }[]
    )[0]!;
    expect(att.color).toBe('#2EB67D');
    expect(att.blocks[0]!.text!.text).toBe(
      '✅ *<https://github.com/tripo04os/ai-support/actions/runs/99|CI succeeded on tripo04os/ai-support (production)>*\nDeployed *v2* to `prod` — see <https://docs.example.com|the docs>',
    );
    const fields = att.blocks[1]!.fields!.map((f) => f.text);
    expect(fields).toContain('*Commit*\n<https://github.com/tripo04os/ai-support/commit/0123456789abcdef0123456789abcdef01234567|0123456>');
    expect(fields).toContain('*Environment*\nproduction');
  });

  test('more than 10 fields are split over sections (Block Kit allows 10 per section)', () => {
    const fields = Object.fromEntries(Array.from({ length: 12 }, (_, i) => [`k${i}`, `v${i}`]));
    const att = (slackMessage(message({ fields })).attachments as { blocks: { fields?: unknown[] }[] }[])[0]!;
    const counts = att.blocks.filter((b) => b.fields).map((b) => b.fields!.length);
    expect(counts).toEqual([10, 10]);
  });
});

describe('Teams', () => {
  test('a Workflows message with an Adaptive Card: coloured title, text, facts with links, buttons', () => {
    const body = teamsMessage(message({ status: 'failure' })) as {
      type: string;
      attachments: { contentType: string; content: Record<string, unknown> }[];
    };
    expect(body.type).toBe('message');
    expect(body.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    const card = body.attachments[0]!.content as {
      type: string;
      version: string;
      body: Record<string, unknown>[];
      actions: { url: string }[];
    };
    expect(card.type).toBe('AdaptiveCard');
    expect(card.body[0]).toMatchObject({ type: 'Container', style: 'attention' });
    expect(JSON.stringify(card.body[0])).toContain('❌ CI failed on tripo04os/ai-support (production)');
    const facts = (card.body.find((b) => b.type === 'FactSet') as { facts: { title: string; value: string }[] }).facts;
    expect(facts).toContainEqual({ title: 'Actor', value: '[octocat](https://github.com/octocat)' });
    expect(card.actions.map((a) => a.url)).toEqual([ctx.runUrl, ctx.commitUrl]);
  });

  test('a bare AdaptiveCard payload gets the message envelope; a full message is kept', () => {
    const card = { type: 'AdaptiveCard', version: '1.4', body: [] };
    expect(teamsMessage(message(), card)).toEqual({
      type: 'message',
      attachments: [{ contentType: 'application/vnd.microsoft.card.adaptive', contentUrl: null, content: card }],
    });
    const full = { type: 'message', attachments: [] };
    expect(teamsMessage(message(), full)).toBe(full);
    expect(teamsCard(message()).version).toBe('1.4');
  });
});

describe('Discord', () => {
  test('an embed with colour, link, fields and no pings', () => {
    const body = discordMessage(message({ status: 'warning' })) as { embeds: ReturnType<typeof discordEmbed>[]; allowed_mentions: unknown };
    const e = body.embeds[0]!;
    expect(e.color).toBe(0xecb22e);
    expect(e.url).toBe(ctx.runUrl);
    expect(e.title).toBe('⚠️ CI finished with warnings on tripo04os/ai-support (production)');
    expect(e.fields).toContainEqual({ name: 'Branch', value: '[main](https://github.com/tripo04os/ai-support/tree/main)', inline: true });
    expect(body.allowed_mentions).toEqual({ parse: [] });
  });

  test('long parts are cut to Discord limits: title 256, description, 25 fields of 256/1024, 6000 in all', () => {
    const fields = Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`${i}-${'n'.repeat(300)}`, 'v'.repeat(2000)]));
    const e = discordEmbed(message({ title: 't'.repeat(400), text: 'x'.repeat(10_000), fields }));
    expect(Array.from(e.title)).toHaveLength(DISCORD_LIMITS.title);
    expect(e.title.endsWith('…')).toBe(true);
    expect(e.fields.length).toBeLessThanOrEqual(DISCORD_LIMITS.fields);
    for (const f of e.fields) {
      expect(Array.from(f.name).length).toBeLessThanOrEqual(256);
      expect(Array.from(f.value).length).toBeLessThanOrEqual(1024);
    }
    expect(embedLength(e)).toBeLessThanOrEqual(DISCORD_LIMITS.total);
  });

  test('a long text fills what the 6000 leaves, up to 4096', () => {
    const e = discordEmbed(message({ text: 'y'.repeat(5000) }));
    expect(Array.from(e.description ?? '')).toHaveLength(4096);
    expect(embedLength(e)).toBeLessThanOrEqual(6000);
  });
});

describe('generic webhook and email', () => {
  test('the generic body carries status, text, fields and the run context', () => {
    const body = webhookMessage(message());
    expect(body).toMatchObject({
      status: 'success',
      repository: 'tripo04os/ai-support',
      sha: ctx.sha,
      actor: 'octocat',
      runUrl: ctx.runUrl,
      environment: 'production',
    });
    expect(body.fields).toContainEqual({ name: 'Commit', value: '0123456', url: ctx.commitUrl });
  });

  test('the signature is HMAC-SHA256 of the exact body, hex, with a sha256= prefix', () => {
    // The known HMAC-SHA256 example (key "key", the quick brown fox).
    expect(sign('The quick brown fox jumps over the lazy dog', 'key')).toBe(
      'sha256=f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8',
    );
  });

  test('email bodies: text with field lines, HTML with a table of links', () => {
    const m = message({ status: 'failure' });
    const text = emailText(m);
    expect(text).toContain('❌ CI failed on tripo04os/ai-support (production)');
    expect(text).toContain(`Commit: 0123456 <${ctx.commitUrl}>`);
    const html = emailHtml(m);
    expect(html).toContain('#E01E5A');
    expect(html).toContain(`<a href="${ctx.commitUrl}">0123456</a>`);
    expect(html).toContain('<strong>v2</strong>');
  });
});

describe('limits: the text always survives, every cut is reported', () => {
  test('fair shares: small demands whole, the rest split evenly, never more than the room', () => {
    expect(fairShare([10, 500, 500], 400)).toEqual([10, 195, 195]);
    expect(fairShare([10, 20], 400)).toEqual([10, 20]);
  });

  test('Discord: with 25 long fields and a long text, the text keeps half the room and no field is dropped', () => {
    const fields = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, 'v'.repeat(2000)]));
    const cuts: string[] = [];
    const e = discordEmbed(message({ text: 'x'.repeat(10_000), fields }), new Date(), cuts);
    expect(embedLength(e)).toBeLessThanOrEqual(DISCORD_LIMITS.total);
    expect(Array.from(e.description ?? '').length).toBeGreaterThan(2500);
    expect(e.description!.endsWith('…')).toBe(true);
    expect(e.fields).toHaveLength(25);
    expect(e.fields[24]!.name).toBe('More');
    expect(cuts).toEqual([
      '38 fields: the last 14 folded into one (Discord shows at most 25)',
      expect.stringMatching(/^cut the text from 10000 to \d+ characters$/),
      expect.stringMatching(/^cut \d+ field values to fit Discord's 6000 characters \(1024 a value\)$/),
    ]);
  });

  test('Discord: a message within the limits is not cut, links kept', () => {
    const cuts: string[] = [];
    const e = discordEmbed(message(), new Date(), cuts);
    expect(cuts).toEqual([]);
    expect(e.description).toBe(message().text);
    expect(e.fields.find((f) => f.name === 'Commit')?.value).toBe(`[0123456](${ctx.commitUrl})`);
  });

  test('Teams: a card over 28 KB is cut to fit, the text first; a small card is left alone', () => {
    const fields = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`f${i}`, 'é'.repeat(3000)]));
    const cuts: string[] = [];
    const body = teamsMessage(message({ text: '€'.repeat(20_000), fields }), undefined, cuts);
    expect(Buffer.byteLength(JSON.stringify(body))).toBeLessThanOrEqual(TEAMS_MAX_BYTES);
    const text = JSON.stringify(body).match(/"text":"(€+…)"/)?.[1] ?? '';
    expect(Buffer.byteLength(text)).toBeGreaterThan(TEAMS_MAX_BYTES / 3);
    expect(cuts).toEqual([
      expect.stringMatching(/^cut the text from 60000 to \d+ bytes and 30 fact values to fit Teams' 28 KB message limit$/),
    ]);
    const small: string[] = [];
    teamsCard(message(), small);
    expect(small).toEqual([]);
  });
});

describe('Slack escaping and mentions', () => {
  const hostile = message({ title: 'Release <!channel> & <@U999>', text: '[x](<!here>) <!subteam^S1>', fields: { '<!here>': '<@U1>' } });

  test('no mention survives anywhere in the payload by default', () => {
    const json = JSON.stringify(slackMessage(hostile));
    expect(json).not.toMatch(/<!channel>|<!here>|<@U999>|<@U1>|<!subteam/);
    expect(slackMessage(hostile).text).toBe('✅ Release &lt;!channel&gt; &amp; &lt;@U999&gt;');
  });

  test('with mentions allowed, exactly the mention syntax is kept', () => {
    expect(slackMessage(hostile, { mentions: true }).text).toBe('✅ Release <!channel> &amp; <@U999>');
    expect(allowSlackMentions('&lt;script&gt; &lt;!here&gt;')).toBe('&lt;script&gt; <!here>');
    expect(slackValues({ title: 'a <b> & <!here>' })).toEqual({ title: 'a &lt;b&gt; &amp; &lt;!here&gt;' });
  });

  test('a markdown link to something that is not http(s) or mailto stays text', () => {
    expect(toSlackMrkdwn('[team](<!subteam^S1>) and [ok](https://e.com/a|b)')).toBe('team and <https://e.com/a%7Cb|ok>');
  });
});

describe('secret URLs', () => {
  test('path segments and query values are secrets, the services’ path words and short pieces are not', () => {
    expect(urlSecrets('https://hooks.slack.com/services/T0123456/B0123456/XXXXyyyyZZZZ').sort()).toEqual(
      ['B0123456', 'T0123456', 'XXXXyyyyZZZZ', 'https://hooks.slack.com/services/T0123456/B0123456/XXXXyyyyZZZZ'].sort(),
    );
    const teams =
      'https://x.logic.azure.com/workflows/abc123def/triggers/manual/paths/invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=S1g%2Bnature';
    const pieces = urlSecrets(teams);
    for (const p of ['abc123def', '2016-06-01', 'S1g%2Bnature', 'S1g+nature', '%2Ftriggers%2Fmanual%2Frun']) expect(pieces).toContain(p);
    for (const p of ['workflows', 'triggers', 'manual', 'paths', 'invoke', '1.0']) expect(pieces).not.toContain(p);
    expect(redact('bad signature S1g+nature', pieces)).toBe('bad signature ***');
  });
});
