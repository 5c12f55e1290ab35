/**
 * AWS Signature Version 4 verification: recomputes the signature of a request (Authorization
 * header) or of a presigned URL (X-Amz-* query parameters) with the sandbox credentials, the
 * way AWS services do. Canonicalisation follows the SigV4 specification as the AWS SDK v3
 * (@smithy/signature-v4) applies it to non-S3 services: path segments encoded twice,
 * query keys and values sorted and encoded, signed headers trimmed.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface Credentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SignedRequest {
  method: string;
  /** The path as it came on the wire (still percent-encoded), without the query. */
  rawPath: string;
  /** The query string as it came on the wire, without `?`. */
  rawQuery: string;
  /** Header names in lower case (as node gives them). */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type SigV4Failure = 'missing' | 'malformed' | 'unknown-key' | 'mismatch' | 'expired';

export type SigV4Result =
  | { ok: true; accessKeyId: string; region: string; service: string; date: Date; signedHeaders: string[]; query: [string, string][] }
  | { ok: false; failure: SigV4Failure; message: string; service?: string };

const ALGORITHM = 'AWS4-HMAC-SHA256';
const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');
/** How far a request's X-Amz-Date may be from now (AWS allows 15 minutes). */
const MAX_SKEW_MS = 15 * 60 * 1000;

/** RFC 3986 encoding as SigV4 wants it. */
export function escapeUri(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function canonicalUri(rawPath: string): string {
  const segments: string[] = [];
  for (const segment of rawPath.split('/')) {
    if (segment.length === 0 || segment === '.') continue;
    if (segment === '..') segments.pop();
    else segments.push(segment);
  }
  const normalized = `${rawPath.startsWith('/') ? '/' : ''}${segments.join('/')}${segments.length > 0 && rawPath.endsWith('/') ? '/' : ''}`;
  return escapeUri(normalized).replace(/%2F/g, '/');
}

function decode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, '%20'));
  } catch {
    return s;
  }
}

/** The query's pairs, decoded. */
export function queryPairs(rawQuery: string): [string, string][] {
  if (!rawQuery) return [];
  return rawQuery
    .split('&')
    .filter(Boolean)
    .map((p) => {
      const eq = p.indexOf('=');
      return eq < 0 ? [decode(p), ''] : [decode(p.slice(0, eq)), decode(p.slice(eq + 1))];
    });
}

function canonicalQuery(pairs: [string, string][]): string {
  return pairs
    .filter(([k]) => k.toLowerCase() !== 'x-amz-signature')
    .map(([k, v]) => [escapeUri(k), escapeUri(v)] as const)
    .sort(([ak, av], [bk, bv]) => (ak < bk ? -1 : ak > bk ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
}

function headerValue(v: string | string[] | undefined): string {
  const s = Array.isArray(v) ? v.join(',') : (v ?? '');
  return s.trim().replace(/\s+/g, ' ');
}

function hmac(key: Buffer | string, data: string): Buffer {
  return createHmac('sha256', key).update(data, 'utf8').digest();
}

export function signingKey(secret: string, date: string, region: string, service: string): Buffer {
  return hmac(hmac(hmac(hmac(`AWS4${secret}`, date), region), service), 'aws4_request');
}

/** Parses `YYYYMMDDTHHMMSSZ`. */
export function parseAmzDate(s: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(s);
  if (!m) return undefined;
  const d = new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export interface SignatureInput {
  method: string;
  rawPath: string;
  pairs: [string, string][];
  headers: Record<string, string | string[] | undefined>;
  signedHeaders: string[];
  payloadHash: string;
  amzDate: string;
  scope: string;
  key: Buffer;
}

export function computeSignature(i: SignatureInput): string {
  const canonicalHeaders = i.signedHeaders.map((h) => `${h}:${headerValue(i.headers[h])}\n`).join('');
  const canonicalRequest = [
    i.method.toUpperCase(),
    canonicalUri(i.rawPath),
    canonicalQuery(i.pairs),
    canonicalHeaders,
    i.signedHeaders.join(';'),
    i.payloadHash,
  ].join('\n');
  const stringToSign = [ALGORITHM, i.amzDate, i.scope, createHash('sha256').update(canonicalRequest, 'utf8').digest('hex')].join('\n');
  return createHmac('sha256', i.key).update(stringToSign, 'utf8').digest('hex');
}

function sameHex(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

interface Parsed {
  accessKeyId: string;
  date: string;
  region: string;
  service: string;
  signedHeaders: string[];
  signature: string;
  amzDate: string;
}

function parseCredential(credential: string): Omit<Parsed, 'signedHeaders' | 'signature' | 'amzDate'> | undefined {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[4] !== 'aws4_request') return undefined;
  const [accessKeyId, date, region, service] = parts as [string, string, string, string];
  if (!accessKeyId || !/^\d{8}$/.test(date) || !region || !service) return undefined;
  return { accessKeyId, date, region, service };
}

function check(
  req: SignedRequest,
  p: Parsed,
  pairs: [string, string][],
  credentials: Credentials,
  now: number,
  payloadHashes: string[],
  expiresMs?: number,
): SigV4Result {
  const when = parseAmzDate(p.amzDate);
  if (!when || p.amzDate.slice(0, 8) !== p.date)
    return {
      ok: false,
      failure: 'malformed',
      message: 'X-Amz-Date is missing or does not match the credential scope date',
      service: p.service,
    };
  if (p.accessKeyId !== credentials.accessKeyId) {
    return { ok: false, failure: 'unknown-key', message: 'The security token included in the request is invalid.', service: p.service };
  }
  if (!p.signedHeaders.includes('host'))
    return { ok: false, failure: 'malformed', message: 'The host header must be signed', service: p.service };
  const scope = `${p.date}/${p.region}/${p.service}/aws4_request`;
  const key = signingKey(credentials.secretAccessKey, p.date, p.region, p.service);
  const matches = payloadHashes.some((payloadHash) =>
    sameHex(
      computeSignature({
        method: req.method,
        rawPath: req.rawPath,
        pairs,
        headers: req.headers,
        signedHeaders: p.signedHeaders,
        payloadHash,
        amzDate: p.amzDate,
        scope,
        key,
      }),
      p.signature,
    ),
  );
  if (!matches) {
    return {
      ok: false,
      failure: 'mismatch',
      message:
        'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.',
      service: p.service,
    };
  }
  if (expiresMs !== undefined) {
    if (now > when.getTime() + expiresMs)
      return { ok: false, failure: 'expired', message: `Request has expired (signed at ${p.amzDate})`, service: p.service };
  } else if (Math.abs(now - when.getTime()) > MAX_SKEW_MS) {
    return {
      ok: false,
      failure: 'expired',
      message: `Signature expired: ${p.amzDate} is now earlier or later than 15 minutes from now`,
      service: p.service,
    };
  }
  return {
    ok: true,
    accessKeyId: p.accessKeyId,
    region: p.region,
    service: p.service,
    date: when,
    signedHeaders: p.signedHeaders,
    query: pairs,
  };
}

/**
 * Verifies a request signed in the Authorization header or presigned in the query.
 * `presignedExpiresMs` overrides how long a presigned URL stays valid (default: its X-Amz-Expires).
 */
export function verifySigV4(
  req: SignedRequest,
  credentials: Credentials,
  options: { now?: number; presignedExpiresMs?: number } = {},
): SigV4Result {
  const now = options.now ?? Date.now();
  const pairs = queryPairs(req.rawQuery);
  const auth = headerValue(req.headers.authorization);
  if (auth) {
    const m = /^AWS4-HMAC-SHA256 (.*)$/.exec(auth);
    if (!m) return { ok: false, failure: 'malformed', message: `Authorization header requires the ${ALGORITHM} algorithm` };
    const fields: Record<string, string> = {};
    for (const part of m[1]!.split(',')) {
      const eq = part.indexOf('=');
      if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
    }
    const cred = fields.Credential ? parseCredential(fields.Credential) : undefined;
    if (!cred || !fields.SignedHeaders || !fields.Signature) {
      return {
        ok: false,
        failure: 'malformed',
        message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters",
      };
    }
    const amzDate = headerValue(req.headers['x-amz-date']);
    const bodyHash = createHash('sha256').update(req.body).digest('hex');
    const contentHash = headerValue(req.headers['x-amz-content-sha256']);
    if (/^[0-9a-f]{64}$/.test(contentHash) && contentHash !== bodyHash) {
      return {
        ok: false,
        failure: 'mismatch',
        message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
        service: cred.service,
      };
    }
    const payloadHash = contentHash || bodyHash;
    return check(
      req,
      { ...cred, signedHeaders: fields.SignedHeaders.split(';'), signature: fields.Signature, amzDate },
      pairs,
      credentials,
      now,
      [payloadHash],
    );
  }
  const q = new Map(pairs.map(([k, v]) => [k, v]));
  if (q.has('X-Amz-Signature') || q.has('X-Amz-Credential')) {
    if (q.get('X-Amz-Algorithm') !== ALGORITHM) return { ok: false, failure: 'malformed', message: `X-Amz-Algorithm must be ${ALGORITHM}` };
    const cred = parseCredential(q.get('X-Amz-Credential') ?? '');
    const signedHeaders = q.get('X-Amz-SignedHeaders');
    const signature = q.get('X-Amz-Signature');
    const expires = Number(q.get('X-Amz-Expires'));
    if (!cred || !signedHeaders || !signature || !Number.isInteger(expires) || expires < 0) {
      return {
        ok: false,
        failure: 'malformed',
        message: 'A presigned URL needs X-Amz-Credential, X-Amz-SignedHeaders, X-Amz-Signature and X-Amz-Expires',
      };
    }
    // Presigned GETs are signed over the empty body's hash (SDKs) or UNSIGNED-PAYLOAD.
    const hashes = [createHash('sha256').update(req.body).digest('hex'), 'UNSIGNED-PAYLOAD', EMPTY_SHA256];
    return check(
      req,
      { ...cred, signedHeaders: signedHeaders.split(';'), signature, amzDate: q.get('X-Amz-Date') ?? '' },
      pairs,
      credentials,
      now,
      hashes,
      options.presignedExpiresMs ?? expires * 1000,
    );
  }
  return { ok: false, failure: 'missing', message: 'Missing Authentication Token' };
}
