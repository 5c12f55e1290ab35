import { formatDuration } from '@tripo04os/common';
import { type Finding, type ScanReport, SEVERITIES, type Threshold } from '@tripo04os/image';
import { Summary } from '@tripo04os/kit';

export interface SummaryFacts {
  image: string;
  tags: string[];
  digest?: string;
  pushed: boolean;
  imageId?: string;
  builder: string;
  buildMs: number;
  pushMs: number;
  latest: boolean;
  latestReason: string;
  scan?: { report: ScanReport; threshold: Threshold; blocking: Finding[] };
}

/** The job summary: one table about the image, then the scan counts by severity and the blocking findings. */
export function jobSummary(f: SummaryFacts): Summary {
  const summary = new Summary().heading(`docker-build: ${f.image}`).table(
    ['Image', 'Details'],
    [
      ['Name', f.image],
      ['Tags', f.tags.join('\n')],
      ['Digest', f.digest ?? (f.pushed ? '' : 'not pushed')],
      ['Image ID', f.imageId],
      ['Builder', f.builder],
      ['Build time', formatDuration(f.buildMs)],
      ['Push time', f.pushed ? formatDuration(f.pushMs) : 'not pushed'],
      ['latest', `${f.latest ? 'yes' : 'no'}: ${f.latestReason}`],
    ],
  );
  if (f.scan) {
    const { report, threshold, blocking } = f.scan;
    const shown = SEVERITIES.filter((s) => s !== 'UNDEFINED' || report.counts[s] > 0);
    summary.heading(`Scan (${report.scanner}, ${report.status}): fail at ${threshold} or above`, 4);
    summary.table(shown, [shown.map((s) => report.counts[s])]);
    if (blocking.length > 0) {
      summary.table(
        ['Finding', 'Severity', 'Package', 'Fixed in'],
        blocking.slice(0, 30).map((b) => [b.uri ? `[${b.id}](${b.uri})` : b.id, b.severity, b.package, b.fixedVersion]),
      );
    }
  }
  return summary;
}
