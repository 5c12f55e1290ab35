import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from '@jest/globals';
import { recordingLogger } from '@tripo04os/common';
import { verifySigV4 } from '@tripo04os/sandbox';
import { sandboxEnv } from '@tripo04os/sandbox/testing';
import { parseMetricChecks } from '../src/checks.ts';
import { runGate } from '../src/gate.ts';
import { PrometheusClient } from '../src/prometheus.ts';

const env = sandboxEnv();
const prom = () => new PrometheusClient({ url: env.SANDBOX_PROMETHEUS_URL });

/** A test server on loopback; `handle` answers each request. */
async function server(
  handle: (req: IncomingMessage, body: Buffer) => { status: number; body: string } | Promise<{ status: number; body: string }> | null,
) {
  const s: Server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const a = await handle(req, Buffer.concat(chunks));
    if (!a) return; // never answers
    res.writeHead(a.status, { 'content-type': 'application/json' });
    res.end(a.body);
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(s.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        s.close(() => r());
        s.closeAllConnections();
      }),
  };
}

/** Forwards to the sandbox Prometheus what `allowed` lets through, else 401/403 (an auth proxy, like AMP's). */
async function authProxy(allowed: (req: IncomingMessage, body: Buffer) => boolean) {
  return server(async (req, body) => {
    if (!allowed(req, body)) return { status: 403, body: '{"message":"denied"}' };
    const res = await fetch(`${env.SANDBOX_PROMETHEUS_URL}${req.url}`);
    return { status: res.status, body: await res.text() };
  });
}

describe('PrometheusClient against the sandbox Prometheus', () => {
  it('reads a vector and a scalar as one number; +Inf too', async () => {
    expect(await prom().query('vector(0.25)')).toEqual({ kind: 'value', value: 0.25, series: 1 });
    expect(await prom().query('scalar(vector(3))')).toEqual({ kind: 'value', value: 3, series: 1 });
    expect(await prom().query('vector(1)/0')).toEqual({ kind: 'value', value: Number.POSITIVE_INFINITY, series: 1 });
  });

  it('says empty for no series, and errors for NaN, several series, and Prometheus error bodies as they are', async () => {
    expect(await prom().query('http_requests_total{namespace="no-such-namespace"}')).toEqual({ kind: 'empty' });
    expect(await prom().query('0/0')).toEqual({ kind: 'error', message: 'the query returned NaN, not a number' });
    expect(await prom().query('vector(1) or label_replace(vector(2), "a", "b", "", "")')).toEqual({
      kind: 'error',
      message: 'the query returned 2 series, expected one number: aggregate it (for example sum(...) or max(...))',
    });
    // A real 422 execution error.
    expect(await prom().query('vector(1) + on() (vector(1) or label_replace(vector(1), "a", "b", "", ""))')).toEqual({
      kind: 'error',
      message: expect.stringMatching(/^Prometheus answered HTTP 422: execution: found duplicate series for the match group/),
    });
    expect(await prom().query('sum(foo{')).toEqual({
      kind: 'error',
      message: expect.stringMatching(/^Prometheus answered HTTP 400: bad_data: invalid parameter "query": 1:9: parse error/),
    });
  });

  it('reports a Prometheus that is down, answers 5xx or does not answer in time', async () => {
    const gone = await server(() => ({ status: 200, body: '' }));
    await gone.close();
    expect(await new PrometheusClient({ url: gone.url }).query('up')).toEqual({
      kind: 'error',
      message: `cannot reach Prometheus at ${gone.url}: ECONNREFUSED`,
    });
    const broken = await server(() => ({ status: 503, body: '{"status":"error","errorType":"unavailable","error":"too many queries"}' }));
    const slow = await server(() => null);
    try {
      expect(await new PrometheusClient({ url: broken.url }).query('up')).toEqual({
        kind: 'error',
        message: 'Prometheus answered HTTP 503: unavailable: too many queries',
      });
      expect(await new PrometheusClient({ url: slow.url, timeoutMs: 300 }).query('up')).toEqual({
        kind: 'error',
        message: `Prometheus at ${slow.url} did not answer within 300 ms`,
      });
    } finally {
      await broken.close();
      await slow.close();
    }
  });

  describe('authentication', () => {
    let proxies: { url: string; close(): Promise<void> }[] = [];
    afterAll(async () => {
      await Promise.all(proxies.map((p) => p.close()));
      proxies = [];
    });
    const proxy = async (allowed: Parameters<typeof authProxy>[0]) => {
      const p = await authProxy(allowed);
      proxies.push(p);
      return p.url;
    };

    it('bearer and basic', async () => {
      const bearer = await proxy((req) => req.headers.authorization === 'Bearer t0ken');
      expect(await new PrometheusClient({ url: bearer, auth: { kind: 'bearer', token: 't0ken' } }).query('vector(1)')).toMatchObject({
        value: 1,
      });
      expect(await new PrometheusClient({ url: bearer, auth: { kind: 'bearer', token: 'wrong' } }).query('vector(1)')).toEqual({
        kind: 'error',
        message: 'Prometheus answered HTTP 403: {"message":"denied"}',
      });
      const basic = await proxy((req) => req.headers.authorization === `Basic ${Buffer.from('ops:pa ss').toString('base64')}`);
      expect(
        await new PrometheusClient({ url: basic, auth: { kind: 'basic', username: 'ops', password: 'pa ss' } }).query('vector(2)'),
      ).toMatchObject({ value: 2 });
    });

    it('sigv4 for Amazon Managed Service for Prometheus (service aps), verified as AWS does', async () => {
      const credentials = { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY };
      let seen: string | undefined;
      const url = await proxy((req, body) => {
        const [rawPath, rawQuery = ''] = (req.url ?? '/').split('?');
        const r = verifySigV4({ method: req.method ?? 'GET', rawPath: rawPath!, rawQuery, headers: req.headers, body }, credentials);
        seen = r.ok ? `${r.service}/${r.region}` : r.message;
        return r.ok && r.service === 'aps';
      });
      const signed = new PrometheusClient({ url, auth: { kind: 'sigv4', region: 'us-east-1', credentials: async () => credentials } });
      expect(await signed.query('sum(vector(4)) by ()')).toMatchObject({ kind: 'value', value: 4 });
      expect(seen).toBe('aps/us-east-1');
      const wrong = new PrometheusClient({
        url,
        auth: { kind: 'sigv4', region: 'us-east-1', credentials: async () => ({ ...credentials, secretAccessKey: 'nope' }) },
      });
      expect(await wrong.query('vector(1)')).toMatchObject({ kind: 'error', message: expect.stringContaining('HTTP 403') });
    });
  });
});

describe('runGate against the sandbox Prometheus', () => {
  const vars = { color: 'green', namespace: 'prod', deployment: 'api-green', service: 'api' };

  it('passes, records every measurement, and substitutes the placeholders', async () => {
    const logger = recordingLogger();
    const checks = parseMetricChecks(`
- name: constant
  query: sum(vector(0.01)) + 0 * count(label_replace(vector(1), "v", "{{color}}", "", ""))
  phase: post
  max: 0.05
  interval: 200ms
  count: 3
`);
    const r = await runGate({ client: prom(), checks, phase: 'post', vars, logger });
    expect(r.verdict).toBe('pass');
    expect(r.checks[0]!.query).toContain('"v", "green"');
    expect(r.checks[0]!.measurements.map((m) => [m.value, m.outcome, m.verdict])).toEqual([
      [0.01, 'in bounds', 'pass'],
      [0.01, 'in bounds', 'pass'],
      [0.01, 'in bounds', 'pass'],
    ]);
    expect(logger.lines).toContain('[post] constant 3/3: 0.01 within v ≤ 0.05 → pass');
    // Other phases are not run.
    expect(await runGate({ client: prom(), checks, phase: 'pre', vars, logger })).toMatchObject({ verdict: 'pass', checks: [] });
  });

  it('fails at the first measurement past the failure limit and stops the other checks', async () => {
    const checks = parseMetricChecks(`
- {name: high, query: vector(0.5), phase: post, max: 0.05, interval: 200ms, count: 10, failure-limit: 1}
- {name: fine, query: vector(0), phase: post, max: 0.05, interval: 200ms, count: 50}
`);
    const started = Date.now();
    const r = await runGate({ client: prom(), checks, phase: 'post', vars, logger: recordingLogger() });
    expect(r.verdict).toBe('fail');
    expect(r.message).toBe("metric check 'high' failed: 2 failed measurements (limit 1); last: 0.5 outside v ≤ 0.05");
    expect(r.checks[0]!.measurements).toHaveLength(2);
    expect(r.checks[1]!.verdict).toBe('inconclusive');
    expect(r.checks[1]!.message).toMatch(/^stopped after \d+ of 50 measurements$/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('fails closed on empty, NaN and errors unless on-empty/on-error say otherwise', async () => {
    const run = async (yaml: string) =>
      runGate({ client: prom(), checks: parseMetricChecks(yaml), phase: 'pre', vars, logger: recordingLogger() });
    const empty = 'http_requests_total{namespace="{{namespace}}-none"}';
    expect((await run(`- {name: e, query: '${empty}', phase: pre, max: 1, interval: 100ms}`)).verdict).toBe('fail');
    expect((await run(`- {name: e, query: '${empty}', phase: pre, max: 1, interval: 100ms, on-empty: pass}`)).verdict).toBe('pass');
    const inconclusive = await run(`- {name: e, query: '${empty}', phase: pre, max: 1, interval: 100ms, on-empty: inconclusive}`);
    expect(inconclusive.verdict).toBe('inconclusive');
    expect(inconclusive.message).toBe("metric check 'e' was inconclusive: measurement 1/1: empty result (on-empty: inconclusive)");
    const nan = await run('- {name: n, query: 0/0, phase: pre, max: 1, interval: 100ms}');
    expect(nan.verdict).toBe('fail');
    expect(nan.message).toBe(
      "metric check 'n' failed: 1 failed measurement (limit 0); last: the query returned NaN, not a number (on-error: fail)",
    );
    const bad = await run('- {name: b, query: "sum(foo{", phase: pre, max: 1, interval: 100ms, on-error: inconclusive}');
    expect(bad.verdict).toBe('inconclusive');
    expect(bad.message).toContain('Prometheus answered HTTP 400: bad_data:');
  });
});
