/**
 * Secrets in what the action prints. A webhook URL is a secret as a whole, but a service that
 * fails may echo only a piece of it (`no_service: no hook XXXX`, `bad signature SIG`): every
 * piece that can carry a token is a secret too.
 */

/**
 * Path words of the services' own URL formats (`/services/T…/B…/TOKEN`, `/api/webhooks/ID/TOKEN`,
 * `/workflows/ID/triggers/manual/paths/invoke?sig=SIG`, `/hooks/…`): public, and masking them would
 * hide those words in every later line of the job.
 */
const URL_WORDS = new Set([
  'api',
  'services',
  'webhooks',
  'webhook',
  'webhookb2',
  'incomingwebhook',
  'hooks',
  'hook',
  'workflows',
  'triggers',
  'manual',
  'paths',
  'invoke',
  'powerautomate',
]);

/** Shorter pieces cannot hold a token, and masking them would hide common words. */
const MIN_SECRET_PART = 6;

/**
 * The pieces of a secret URL to mask besides the URL itself: its password, every path segment
 * and every query value (as written and decoded), except the services' path words
 * and pieces under six characters.
 */
export function urlSecrets(url: string | URL): string[] {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return [];
  }
  const out = new Set<string>([u.href]);
  const add = (raw: string) => {
    for (const s of [raw, decode(raw)]) {
      if (s.length >= MIN_SECRET_PART && !URL_WORDS.has(s.toLowerCase())) out.add(s);
    }
  };
  add(u.password);
  for (const segment of u.pathname.split('/')) add(segment);
  for (const pair of u.search.replace(/^\?/, '').split('&')) add(pair.slice(pair.indexOf('=') + 1));
  return [...out];
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/** Replaces every secret (and its URL-encoded form) in a text with `***`, the longest first. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  const all = new Set<string>();
  for (const s of secrets) {
    if (!s || s.length < 3) continue;
    all.add(s);
    all.add(encodeURIComponent(s));
  }
  for (const s of [...all].sort((a, b) => b.length - a.length)) out = out.split(s).join('***');
  return out;
}
