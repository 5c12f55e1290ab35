/** What the run did, as outputs and as the job summary; both say only what is true after a partial push. */
import { formatDuration } from '@tripo04os/common';
import {
  type BuildOutcome,
  type Finding,
  type MetaResult,
  type PublishResult,
  type ScanReport,
  SEVERITIES,
  type Threshold,
} from '@tripo04os/image';
import { Summary, setOutput } from '@tripo04os/kit';
import type { Plan } from './plan.ts';
import type { Access } from './registry.ts';
import type { GateResult } from './scan.ts';

export interface Facts {
  image: string;
  registry: string;
  /** Every reference built, in rule order. */
  refs: string[];
  pushed: boolean;
  /** References the registry holds at `digest` (pushed runs). */
  moved: string[];
  notMoved: { ref: string; reason: string }[];
  version: string;
  digest?: string;
  imageId?: string;
  builder: string;
  buildMs: number;
  pushMs: number;
  latest: boolean;
  latestReason: string;
  labels: Record<string, string>;
  buildxMetadata?: Record<string, unknown>;
  scan?: { report: ScanReport; threshold: Threshold; blocking: Finding[] };
}

export function factsOf(o: {
  plan: Plan;
  access: Access;
  builder: string;
  refs: string[];
  meta: MetaResult;
  labels: Record<string, string>;
  built: BuildOutcome;
  published: PublishResult | undefined;
  gate: GateResult | undefined;
}): Facts {
  const { plan, built, published, gate } = o;
  return {
    image: o.access.image,
    registry: o.access.registry,
    refs: o.refs,
    pushed: plan.push,
    moved: published?.moved ?? [],
    notMoved: published?.notMoved ?? [],
    version: o.meta.version,
    ...(published?.digest ? { digest: published.digest } : {}),
    ...(built.imageId ? { imageId: built.imageId } : {}),
    builder: o.builder,
    buildMs: built.buildMs,
    pushMs: published?.pushMs ?? 0,
    latest: o.meta.latest,
    latestReason: o.meta.latestReason,
    labels: o.labels,
    ...(built.metadata ? { buildxMetadata: built.metadata } : {}),
    ...(gate ? { scan: { report: gate.report, threshold: plan.scan.threshold, blocking: gate.blocking } } : {}),
  };
}

/** `tags` lists what is in the registry after a push (only what moved), or what was built. */
export function writeOutputs(f: Facts): void {
  const tags = f.pushed ? f.refs.filter((r) => f.moved.includes(r)) : f.refs;
  const imageRef = f.digest ? `${f.image}@${f.digest}` : '';
  setOutput('registry', f.registry);
  setOutput('image', f.image);
  setOutput('tags', tags.join('\n'));
  setOutput('version', f.version);
  setOutput('digest', f.digest ?? '');
  setOutput('image-ref', imageRef);
  setOutput('imageid', f.imageId ?? '');
  setOutput(
    'labels',
    Object.entries(f.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n'),
  );
  setOutput('metadata', {
    image: f.image,
    tags,
    version: f.version,
    digest: f.digest ?? null,
    'image-ref': imageRef || null,
    imageid: f.imageId ?? null,
    pushed: f.pushed,
    'not-moved': f.notMoved,
    latest: f.latest,
    'latest-reason': f.latestReason,
    builder: f.builder,
    labels: f.labels,
    ...(f.buildxMetadata ? { buildx: f.buildxMetadata } : {}),
  });
}

/** The job summary: one table about the image, then the scan counts by severity and the blocking findings. */
export function jobSummary(f: Facts): Summary {
  const tag = (ref: string) => ref.slice(f.image.length + 1);
  const summary = new Summary()
    .heading(`docker-build: ${f.image}`)
    .table(
      ['Image', 'Details'],
      [
        ['Name', f.image],
        ['Tags', (f.pushed ? f.refs.filter((r) => f.moved.includes(r)) : f.refs).map(tag).join('\n')],
        ...(f.notMoved.length > 0 ? [['Not moved', f.notMoved.map((n) => `${tag(n.ref)}: ${n.reason}`).join('\n')]] : []),
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
