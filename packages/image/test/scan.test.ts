import { describe, expect, test } from '@jest/globals';
import { atOrAbove, countBySeverity, formatCounts, normalizeSeverity, parseTrivyReport, trivyArgs, trivyEnv } from '../src/index.ts';

const report = {
  SchemaVersion: 2,
  ArtifactName: '127.0.0.1:5000/app@sha256:abc',
  Results: [
    {
      Target: 'app (debian 12.5)',
      Vulnerabilities: [
        {
          VulnerabilityID: 'CVE-2024-0001',
          PkgName: 'openssl',
          InstalledVersion: '3.0.1',
          FixedVersion: '3.0.2',
          Severity: 'CRITICAL',
          PrimaryURL: 'https://avd.aquasec.com/nvd/cve-2024-0001',
        },
        { VulnerabilityID: 'CVE-2024-0002', PkgName: 'zlib', InstalledVersion: '1.2', Severity: 'HIGH' },
        { VulnerabilityID: 'CVE-2024-0003', PkgName: 'bash', InstalledVersion: '5', FixedVersion: '5.1', Severity: 'LOW' },
        { VulnerabilityID: 'CVE-2024-0004', PkgName: 'tar', Severity: 'UNKNOWN' },
      ],
    },
    { Target: 'requirements.txt', Vulnerabilities: null },
    { Target: 'empty' },
  ],
};

describe('trivy', () => {
  test.each([
    [
      'defaults',
      { image: 'r/app@sha256:abc', output: '/t/r.json', ignoreUnfixed: false, timeoutMs: 300_000 },
      ['image', '--format', 'json', '--output', '/t/r.json', '--exit-code', '0', '--timeout', '5m0s', '--quiet', 'r/app@sha256:abc'],
    ],
    [
      'ignore unfixed, insecure loopback registry',
      { image: '127.0.0.1:5000/app:1', output: 'o', ignoreUnfixed: true, timeoutMs: 90_500, insecure: true },
      [
        'image',
        '--format',
        'json',
        '--output',
        'o',
        '--exit-code',
        '0',
        '--timeout',
        '1m31s',
        '--quiet',
        '--ignore-unfixed',
        '--insecure',
        '127.0.0.1:5000/app:1',
      ],
    ],
  ])('arguments: %s', (_n, options, expected) => {
    expect(trivyArgs(options)).toEqual(expected);
  });

  test('credentials go through the environment only', () => {
    expect(trivyEnv('AWS', 'pw')).toEqual({ TRIVY_USERNAME: 'AWS', TRIVY_PASSWORD: 'pw' });
    expect(trivyEnv()).toEqual({});
  });

  test('report parsing counts by severity', () => {
    const r = parseTrivyReport(JSON.stringify(report));
    expect(r.findings.map((f) => f.id)).toEqual(['CVE-2024-0001', 'CVE-2024-0002', 'CVE-2024-0003', 'CVE-2024-0004']);
    expect(r.findings[0]).toEqual({
      id: 'CVE-2024-0001',
      severity: 'CRITICAL',
      package: 'openssl',
      installedVersion: '3.0.1',
      fixedVersion: '3.0.2',
      uri: 'https://avd.aquasec.com/nvd/cve-2024-0001',
    });
    expect(r.counts).toEqual({ CRITICAL: 1, HIGH: 1, MEDIUM: 0, LOW: 1, INFORMATIONAL: 0, UNDEFINED: 1 });
    expect(formatCounts(r.counts)).toBe('CRITICAL 1, HIGH 1, MEDIUM 0, LOW 1, UNDEFINED 1');
  });

  test('ignore unfixed drops findings without a fixed version', () => {
    const r = parseTrivyReport(JSON.stringify(report), true);
    expect(r.findings.map((f) => f.id)).toEqual(['CVE-2024-0001', 'CVE-2024-0003']);
  });

  test('an image without findings', () => {
    expect(parseTrivyReport(JSON.stringify({ SchemaVersion: 2, Results: null })).findings).toEqual([]);
  });
});

describe('gate', () => {
  const findings = parseTrivyReport(JSON.stringify(report)).findings;
  test.each([
    ['CRITICAL', 1],
    ['HIGH', 2],
    ['MEDIUM', 2],
    ['LOW', 3],
  ] as const)('threshold %s', (threshold, n) => {
    expect(atOrAbove(findings, threshold)).toHaveLength(n);
  });
  test('only LOW findings pass a HIGH threshold', () => {
    expect(atOrAbove([{ id: 'x', severity: 'LOW' }], 'HIGH')).toEqual([]);
  });
  test.each([
    ['critical', 'CRITICAL'],
    ['UNKNOWN', 'UNDEFINED'],
    ['INFORMATIONAL', 'INFORMATIONAL'],
    ['weird', 'UNDEFINED'],
  ])('normalizeSeverity(%s)', (input, expected) => {
    expect(normalizeSeverity(input)).toBe(expected);
  });
  test('counts', () => {
    expect(countBySeverity([]).CRITICAL).toBe(0);
  });
});
