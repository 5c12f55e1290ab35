import { Marked, marked, type Token, type Tokens } from 'marked';

/**
 * The `text` input is markdown. Discord and Teams render (most of) markdown themselves; Slack
 * has its own "mrkdwn" and email wants HTML. marked's lexer does the parsing; this file only
 * writes the tokens out in Slack's syntax.
 */

/** Escapes the three characters Slack treats as control characters in mrkdwn. */
export function slackEscape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** A Slack link `<url|text>`; the text may not hold `|` or `>`. */
export function slackLink(url: string, text: string): string {
  const label = slackEscape(text).replace(/\|/g, '¦');
  return `<${url.replace(/[<>| ]/g, encodeURIComponent)}|${label}>`;
}

/**
 * Slack's mention syntax, once escaped: `<!channel>`, `<!here>`, `<!everyone>`, a user
 * `<@U…>`/`<@W…>`, a user group `<!subteam^S…>`.
 */
const ESCAPED_MENTION = /&lt;(!channel|!here|!everyone|!subteam\^[A-Z0-9]+|@[UW][A-Z0-9]+)&gt;/g;

/** Turns escaped mentions back into mentions: only for callers that asked for pings (`slack-mentions`). */
export function allowSlackMentions(mrkdwn: string): string {
  return mrkdwn.replace(ESCAPED_MENTION, '<$1>');
}

/** A markdown link target Slack may link to: http(s) and mailto only (`<!channel|x>` is a ping, not a link). */
function slackHref(href: string): string | undefined {
  return /^(https?:\/\/|mailto:)/i.test(href) ? href.replace(/[<>| ]/g, encodeURIComponent) : undefined;
}

function inline(tokens: readonly Token[] | undefined): string {
  let out = '';
  for (const t of tokens ?? []) {
    switch (t.type) {
      case 'strong':
        out += `*${inline((t as Tokens.Strong).tokens)}*`;
        break;
      case 'em':
        out += `_${inline((t as Tokens.Em).tokens)}_`;
        break;
      case 'del':
        out += `~${inline((t as Tokens.Del).tokens)}~`;
        break;
      case 'codespan':
        out += `\`${slackEscape((t as Tokens.Codespan).text)}\``;
        break;
      case 'link': {
        const link = t as Tokens.Link;
        const label = inline(link.tokens);
        const href = slackHref(link.href);
        if (!href) out += label;
        else out += link.href === link.text ? `<${href}>` : `<${href}|${label.replace(/\|/g, '¦')}>`;
        break;
      }
      case 'image': {
        const img = t as Tokens.Image;
        const href = slackHref(img.href);
        const label = slackEscape(img.text || img.href).replace(/\|/g, '¦');
        out += href ? `<${href}|${label}>` : label;
        break;
      }
      case 'br':
        out += '\n';
        break;
      case 'text': {
        const text = t as Tokens.Text;
        out += text.tokens ? inline(text.tokens) : slackEscape(text.text);
        break;
      }
      case 'escape':
        out += slackEscape((t as Tokens.Escape).text);
        break;
      case 'html':
        out += slackEscape((t as Tokens.HTML).text);
        break;
      default:
        out += slackEscape(t.raw);
    }
  }
  return out;
}

function block(tokens: readonly Token[], indent = ''): string[] {
  const parts: string[] = [];
  for (const t of tokens) {
    switch (t.type) {
      case 'space':
      case 'def':
        break;
      case 'heading':
        parts.push(`*${inline((t as Tokens.Heading).tokens)}*`);
        break;
      case 'paragraph':
        parts.push(inline((t as Tokens.Paragraph).tokens));
        break;
      case 'text': {
        const text = t as Tokens.Text;
        parts.push(text.tokens ? inline(text.tokens) : slackEscape(text.text));
        break;
      }
      case 'code':
        parts.push(`\`\`\`\n${slackEscape((t as Tokens.Code).text)}\n\`\`\``);
        break;
      case 'blockquote':
        parts.push(
          block((t as Tokens.Blockquote).tokens)
            .join('\n')
            .split('\n')
            .map((l) => `> ${l}`)
            .join('\n'),
        );
        break;
      case 'hr':
        parts.push('───');
        break;
      case 'list': {
        const list = t as Tokens.List;
        const start = typeof list.start === 'number' ? list.start : 1;
        const lines = list.items.map((item, i) => {
          const bullet = list.ordered ? `${start + i}.` : '•';
          const box = item.task ? (item.checked ? '☑ ' : '☐ ') : '';
          const body = block(item.tokens, `${indent}    `).join('\n');
          return `${indent}${bullet} ${box}${body}`;
        });
        parts.push(lines.join('\n'));
        break;
      }
      case 'table': {
        const table = t as Tokens.Table;
        const row = (cells: Tokens.TableCell[]) => cells.map((c) => inline(c.tokens)).join(' | ');
        parts.push([`*${row(table.header)}*`, ...table.rows.map(row)].join('\n'));
        break;
      }
      case 'html':
        parts.push(slackEscape((t as Tokens.HTML).text.trim()));
        break;
      default:
        parts.push(slackEscape(t.raw.trim()));
    }
  }
  return parts;
}

/** Markdown to Slack mrkdwn: `**b**` → `*b*`, `[t](u)` → `<u|t>`, headings bold, lists with bullets. */
export function toSlackMrkdwn(markdown: string): string {
  if (!markdown.trim()) return '';
  return block(marked.lexer(markdown, { gfm: true }))
    .join('\n\n')
    .trim();
}

// Raw HTML in the text (a commit message, say) is shown as text, never passed into the mail.
const htmlMarked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: { html: ({ text }) => escapeHtml(text) },
});

/** Markdown to an HTML fragment (for email), GitHub-flavoured, line breaks kept, raw HTML escaped. */
export function toHtml(markdown: string): string {
  if (!markdown.trim()) return '';
  return htmlMarked.parse(markdown) as string;
}

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}
