/**
 * Vulnerability scan results in one shape for ECR and trivy: findings, counts by severity,
 * and the gate (fail when any finding is at or above the threshold).
 */
export const SEVERITIES = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFORMATIONAL', 'UNDEFINED'] as const;
export type Severity = (typeof SEVERITIES)[number];
export const THRESHOLDS = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW'] as const;
export type Threshold = (typeof THRESHOLDS)[number];

const RANK: Record<Severity, number> = { CRITICAL: 5, HIGH: 4, MEDIUM: 3, LOW: 2, INFORMATIONAL: 1, UNDEFINED: 0 };

/** Maps the scanners' names (trivy UNKNOWN, ECR UNDEFINED/INFORMATIONAL, any case) onto one scale. */
export function normalizeSeverity(text: string | undefined): Severity {
  const s = (text ?? '').toUpperCase();
  if (s === 'UNKNOWN' || s === '') return 'UNDEFINED';
  if (s === 'INFO' || s === 'NEGLIGIBLE') return 'INFORMATIONAL';
  return (SEVERITIES as readonly string[]).includes(s) ? (s as Severity) : 'UNDEFINED';
}

export interface Finding {
  id: string;
  severity: Severity;
  package?: string;
  installedVersion?: string;
  fixedVersion?: string;
  uri?: string;
  title?: string;
}

export interface ScanReport {
  scanner: 'ecr' | 'trivy';
  /** COMPLETE, or the scanner's final status (UNSUPPORTED_IMAGE, …). */
  status: string;
  description?: string;
  findings: Finding[];
  counts: Record<Severity, number>;
}

export function countBySeverity(findings: readonly Finding[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) counts[f.severity]++;
  return counts;
}

/** Findings at or above the threshold: the gate fails when there is any. */
export function atOrAbove(findings: readonly Finding[], threshold: Threshold): Finding[] {
  return findings.filter((f) => RANK[f.severity] >= RANK[threshold]);
}

/** `CRITICAL 1, HIGH 0, MEDIUM 2, LOW 0` (the four that matter, plus others when present). */
export function formatCounts(counts: Record<Severity, number>): string {
  return SEVERITIES.filter((s) => (THRESHOLDS as readonly string[]).includes(s) || counts[s] > 0)
    .map((s) => `${s} ${counts[s]}`)
    .join(', ');
}

/** A report from findings whose severities are the scanner's own words (ECR's, for example). */
export function reportOf(
  scanner: ScanReport['scanner'],
  status: string,
  findings: readonly (Omit<Finding, 'severity'> & { severity: string })[],
  description?: string,
): ScanReport {
  const normal = findings.map((f) => ({ ...f, severity: normalizeSeverity(f.severity) }));
  return { scanner, status, ...(description ? { description } : {}), findings: normal, counts: countBySeverity(normal) };
}

/** The one line the gate fails with. */
export function gateMessage(blocking: readonly Finding[], threshold: Threshold, image: string): string {
  const shown = blocking
    .slice(0, 5)
    .map((f) => `${f.id} (${f.severity})`)
    .join(', ');
  const n = blocking.length;
  return `Scan found ${n} vulnerabilit${n === 1 ? 'y' : 'ies'} at or above ${threshold} in ${image}: ${shown}${n > 5 ? ', …' : ''}`;
}
