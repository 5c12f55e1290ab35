/**
 * The one Markdown renderer for every job summary on the page (GitHub-flavoured, tables
 * included). Summaries are untrusted text: raw HTML in them is shown as text, links keep only
 * http(s), mailto and in-page targets, and images are never loaded (the page makes no network
 * request); they become a link to their source instead.
 */
import { Marked } from 'marked';

export function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

/** The href kept for a link, or undefined when its scheme is not one a summary may link to. */
export function safeHref(href: string): string | undefined {
  const h = href.trim();
  // Browsers ignore tabs and newlines inside a scheme (`java\tscript:`), so look without them.
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(h.replace(/[\t\n\r]/g, ''));
  if (scheme && !['http', 'https', 'mailto'].includes((scheme[1] as string).toLowerCase())) return undefined;
  return h;
}

const marked = new Marked({
  gfm: true,
  async: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
    link({ href, title, tokens }) {
      const label = this.parser.parseInline(tokens);
      const safe = safeHref(href);
      if (safe === undefined) return label;
      const t = title ? ` title="${escapeHtml(title)}"` : '';
      return `<a href="${escapeHtml(safe)}"${t} rel="noopener noreferrer">${label}</a>`;
    },
    image({ href, text }) {
      const label = `image: ${escapeHtml(text || href)}`;
      const safe = safeHref(href);
      return safe === undefined ? `[${label}]` : `<a href="${escapeHtml(safe)}" rel="noopener noreferrer">[${label}]</a>`;
    },
  },
});

/** Markdown to an HTML fragment that cannot carry markup or script of its own. */
export function renderMarkdown(markdown: string): string {
  if (!markdown.trim()) return '';
  return marked.parse(markdown) as string;
}
