/**
 * The scan gate: ECR findings of the pushed digest, or trivy against the image; the findings at
 * or above the threshold block. Runs after the immutable tags are pushed and before the mutable
 * ones move (see publish in @tripo04os/image).
 */
import { tmpdir } from 'node:os';
import { waitForScanFindings } from '@tripo04os/aws';
import { isLoopbackHost, type Logger } from '@tripo04os/common';
import { atOrAbove, type Finding, formatCounts, gateMessage, reportOf, runTrivy, type ScanReport } from '@tripo04os/image';
import type { Plan } from './plan.ts';
import type { Access } from './registry.ts';

export interface GateResult {
  report: ScanReport;
  blocking: Finding[];
  /** The line the step fails with, when something blocks. */
  verdict?: string;
}

/** Scans `image` (a digest reference when pushed, else the local tag). */
export async function scanGate(plan: Plan, access: Access, image: string, digest: string | undefined, log: Logger): Promise<GateResult> {
  const scan = plan.scan;
  const report = await log.group(`Scan (${scan.kind})`, async () => {
    if (scan.kind === 'ecr' && access.ecr && digest) {
      const r = await waitForScanFindings(access.ecr.client, access.ecr.repository, digest, {
        timeoutMs: scan.timeoutMs,
        ignoreUnfixed: scan.ignoreUnfixed,
        logger: log,
      });
      if (r.status !== 'COMPLETE' && r.status !== 'ACTIVE')
        log.warning(`ECR could not scan ${image}: ${r.status}${r.description ? ` (${r.description})` : ''}`);
      return reportOf('ecr', r.status, r.findings, r.description);
    }
    return runTrivy({
      image,
      outputDir: process.env.RUNNER_TEMP ?? tmpdir(),
      ignoreUnfixed: scan.ignoreUnfixed,
      timeoutMs: scan.timeoutMs,
      insecure: isLoopbackHost(access.registry.replace(/:\d+$/, '')),
      ...access.credentials,
      logger: log,
    });
  });
  log.info(`Scan: ${formatCounts(report.counts)}`);
  const blocking = atOrAbove(report.findings, scan.threshold);
  return { report, blocking, ...(blocking.length > 0 ? { verdict: gateMessage(blocking, scan.threshold, image) } : {}) };
}
