/**
 * The one loopback rule of the repository: a host is loopback when it is `localhost` exactly, an
 * IPv4 address in 127.0.0.0/8, or the IPv6 loopback `::1` (bracketed or not, in any spelling that
 * the URL parser normalises to `[::1]`). `localhost.example.com`, `127.example.com` and
 * `0.0.0.0` are not. Plain HTTP and other relaxations are allowed for loopback hosts only.
 */
export function isLoopbackHost(host: string): boolean {
  const h = host.trim().toLowerCase().replace(/\.$/, '');
  if (h === 'localhost') return true;
  if (h === '::1' || h === '[::1]') return true;
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m?.slice(1).every((o) => Number(o) <= 255) ?? false;
}

/** Whether a URL (string or URL) points at a loopback host; false for what does not parse. */
export function isLoopbackUrl(url: string | URL): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/** A URL without its userinfo (`https://user:pass@host/` → `https://host/`), for anything printed. */
export function redactUrl(url: string | URL): string {
  try {
    const u = new URL(url);
    if (!u.username && !u.password) return u.toString();
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return String(url).replace(/\/\/[^/@\s]*@/, '//***@');
  }
}
