/**
 * trivy: the command line for an image scan and the JSON report it writes.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { exec, type Logger, UserError } from '@tripo04os/common';
import { countBySeverity, type Finding, normalizeSeverity, type ScanReport } from './scan.ts';

export interface TrivyOptions {
  /** The image to scan (`registry/repo@sha256:…` or `registry/repo:tag`). */
  image: string;
  /** Where the JSON report goes. */
  output: string;
  ignoreUnfixed: boolean;
  timeoutMs: number;
  /** Plain HTTP registry (loopback). */
  insecure?: boolean;
}

function goDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  return `${Math.floor(s / 60)}m${s % 60}s`;
}

/** `trivy image --format json …`: the exit code stays 0 so the gate is decided here, from the report. */
export function trivyArgs(o: TrivyOptions): string[] {
  const args = ['image', '--format', 'json', '--output', o.output, '--exit-code', '0', '--timeout', goDuration(o.timeoutMs), '--quiet'];
  if (o.ignoreUnfixed) args.push('--ignore-unfixed');
  if (o.insecure) args.push('--insecure');
  args.push(o.image);
  return args;
}

/** Registry credentials for trivy go through its environment, never on the command line. */
export function trivyEnv(username?: string, password?: string): Record<string, string> {
  return username && password ? { TRIVY_USERNAME: username, TRIVY_PASSWORD: password } : {};
}

interface TrivyVulnerability {
  VulnerabilityID?: string;
  PkgName?: string;
  InstalledVersion?: string;
  FixedVersion?: string;
  Severity?: string;
  Title?: string;
  PrimaryURL?: string;
}
interface TrivyReport {
  Results?: { Target?: string; Vulnerabilities?: TrivyVulnerability[] | null }[] | null;
}

/** Reads trivy's JSON report (schema 2); `ignoreUnfixed` drops findings with no fixed version. */
export function parseTrivyReport(json: string, ignoreUnfixed = false): ScanReport {
  const report = JSON.parse(json) as TrivyReport;
  const findings: Finding[] = [];
  for (const result of report.Results ?? []) {
    for (const v of result.Vulnerabilities ?? []) {
      if (ignoreUnfixed && !v.FixedVersion) continue;
      findings.push({
        id: v.VulnerabilityID ?? 'unknown',
        severity: normalizeSeverity(v.Severity),
        ...(v.PkgName ? { package: v.PkgName } : {}),
        ...(v.InstalledVersion ? { installedVersion: v.InstalledVersion } : {}),
        ...(v.FixedVersion ? { fixedVersion: v.FixedVersion } : {}),
        ...(v.PrimaryURL ? { uri: v.PrimaryURL } : {}),
        ...(v.Title ? { title: v.Title } : {}),
      });
    }
  }
  return { scanner: 'trivy', status: 'COMPLETE', findings, counts: countBySeverity(findings) };
}

export interface RunTrivyOptions extends Omit<TrivyOptions, 'output'> {
  /** Folder for the JSON report (RUNNER_TEMP). */
  outputDir: string;
  username?: string;
  password?: string;
  logger: Logger;
  env?: NodeJS.ProcessEnv;
}

/** Runs `trivy image` and reads its report; the gate is decided by the caller from the findings. */
export async function runTrivy(o: RunTrivyOptions): Promise<ScanReport> {
  const output = join(o.outputDir, `trivy-${process.pid}-${Date.now()}.json`);
  const args = trivyArgs({
    image: o.image,
    output,
    ignoreUnfixed: o.ignoreUnfixed,
    timeoutMs: o.timeoutMs,
    ...(o.insecure ? { insecure: true } : {}),
  });
  o.logger.info(`$ trivy ${args.join(' ')}`);
  const r = await exec('trivy', args, { env: { ...(o.env ?? process.env), ...trivyEnv(o.username, o.password) } });
  if (r.code !== 0) throw new UserError(`trivy failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' | ')}`);
  return parseTrivyReport(await readFile(output, 'utf8'), o.ignoreUnfixed);
}
