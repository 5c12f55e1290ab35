import { describe, expect, it } from '@jest/globals';
import { escapePromQL, parseMetricChecks, renderQuery } from '../src/checks.ts';

describe('metric-checks input', () => {
  it('parses a list with defaults', () => {
    const checks = parseMetricChecks(`
- name: error-ratio
  query: sum(rate(http_requests_total{version="{{color}}",code="500"}[10s]))
  phase: post
  max: 0.05
  interval: 2s
  count: 5
  failure-limit: 1
- name: latency
  query: histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[30s])))
  phase: pre
  min: 0
  max: "0.5"
  on-empty: inconclusive
  on-error: inconclusive
`);
    expect(checks).toEqual([
      {
        name: 'error-ratio',
        query: 'sum(rate(http_requests_total{version="{{color}}",code="500"}[10s]))',
        phase: 'post',
        max: 0.05,
        intervalMs: 2000,
        count: 5,
        failureLimit: 1,
        onEmpty: 'fail',
        onError: 'fail',
      },
      {
        name: 'latency',
        query: 'histogram_quantile(0.9, sum by (le) (rate(http_request_duration_seconds_bucket[30s])))',
        phase: 'pre',
        min: 0,
        max: 0.5,
        intervalMs: 10_000,
        failureLimit: 0,
        onEmpty: 'inconclusive',
        onError: 'inconclusive',
      },
    ]);
    expect(parseMetricChecks('  ')).toEqual([]);
  });

  it.each([
    [
      'name: x\nquery: up\nphase: post\nmax: 1',
      "Input 'metric-checks' has the value 'name: x\\nquery: up\\nphase: post\\nmax: 1': expected a YAML list of checks",
    ],
    ['- name: x\n  phase: post\n  max: 1', "item 1: lacks 'query' (check 'x' (item 1))"],
    ['- query: up\n  phase: post\n  max: 1', "item 1: lacks 'name'"],
    ['- name: x\n  query: up\n  phase: post\n  min: 2\n  max: 1', "item 1: check 'x' (item 1): 'min' (2) is greater than 'max' (1)"],
    ['- name: x\n  query: up\n  max: 1', "'phase' (pre or post)"],
    ['- name: x\n  query: up\n  phase: during\n  max: 1', "'phase' must be one of pre, post, not 'during'"],
    ['- name: x\n  query: up\n  phase: post', "give 'min' and/or 'max'"],
    ['- name: x\n  query: up\n  phase: post\n  max: lots', "'max' must be a number, not 'lots'"],
    ['- name: x\n  query: up\n  phase: post\n  max: 1\n  interval: soon', "'interval' must be a duration such as 5s or 1m, not 'soon'"],
    ['- name: x\n  query: up\n  phase: post\n  max: 1\n  count: 0', "'count' must be a whole number ≥ 1, not 0"],
    [
      '- name: x\n  query: up\n  phase: post\n  max: 1\n  count: 2\n  failure-limit: 2',
      "'failure-limit' (2) must be less than 'count' (2)",
    ],
    [
      '- name: x\n  query: up\n  phase: post\n  max: 1\n  on-empty: ignore',
      "'on-empty' must be one of fail, pass, inconclusive, not 'ignore'",
    ],
    ['- name: x\n  query: up\n  phase: post\n  max: 1\n  on-error: pass', "'on-error' must be one of fail, inconclusive, not 'pass'"],
    ['- name: x\n  query: up{pod="{{pod}}"}\n  phase: post\n  max: 1', 'unknown placeholder {{pod}}'],
    ['- name: x\n  query: up\n  phase: post\n  max: 1\n  threshold: 2', "unknown key 'threshold'"],
    ['- {name: x, query: up, phase: post, max: 1}\n- {name: x, query: up, phase: pre, max: 1}', "two checks are named 'x'"],
    ['- [1, 2', 'expected a YAML list of checks ('],
  ])('refuses %j in one line naming the input', (text, message) => {
    let err: Error | undefined;
    try {
      parseMetricChecks(text);
    } catch (e) {
      err = e as Error;
    }
    expect(err?.message).toContain(message);
    expect(err?.message).toMatch(/^Input 'metric-checks' has /);
    expect(err?.message.split('\n')).toHaveLength(1);
  });

  it('substitutes placeholders escaped for PromQL strings, leaving the rest', () => {
    expect(escapePromQL('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    expect(
      renderQuery('x{version="{{color}}",namespace="{{ namespace }}",deployment="{{deployment}}",service="{{service}}"} {{other}}', {
        color: 'green',
        namespace: 'prod',
        deployment: 'api-green',
        service: 'we"ird',
      }),
    ).toBe('x{version="green",namespace="prod",deployment="api-green",service="we\\"ird"} {{other}}');
  });
});
