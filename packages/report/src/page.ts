/**
 * Writes the page: static HTML for everything visible when it opens (header, graph,
 * annotations, artifacts), and per job a JSON data block the page script turns into the job's
 * details on demand (its log only when a step is unfolded). Every text from the run is escaped
 * here or set as textContent by the script; summaries come pre-rendered by `renderMarkdown`.
 * A Content-Security-Policy allows the one inline script (by hash) and nothing from the network.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatDuration } from '@tripo04os/common';
import type { Layout } from './layout.ts';
import { escapeHtml } from './markdown.ts';
import { type Annotation, elapsed, type Job, type Run } from './run.ts';

const here = (name: string) => fileURLToPath(new URL(name, import.meta.url));
const STYLE = readFileSync(here('./style.css'), 'utf8');
const SCRIPT = readFileSync(here('./client.js'), 'utf8');

const KNOWN = new Set(['success', 'failure', 'cancelled', 'skipped']);

/** The CSS class of a result: known results have their own colours, any other is neutral. */
export function resultClass(result: string): string {
  return `r-${KNOWN.has(result) ? result : 'other'}`;
}

const ICONS = `<svg xmlns="http://www.w3.org/2000/svg" style="display:none" aria-hidden="true">
<symbol id="i-success" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7.5" fill="currentColor"/><path d="M4.6 8.3l2.2 2.2 4.6-4.9" fill="none" stroke="#fff" stroke-width="1.9" stroke-linecap="round" stroke-linejoin="round"/></symbol>
<symbol id="i-failure" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7.5" fill="currentColor"/><path d="M5.3 5.3l5.4 5.4M10.7 5.3l-5.4 5.4" stroke="#fff" stroke-width="1.9" stroke-linecap="round"/></symbol>
<symbol id="i-cancelled" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6.8" fill="none" stroke="currentColor" stroke-width="1.5"/><rect x="5.2" y="5.2" width="5.6" height="5.6" rx="1" fill="currentColor"/></symbol>
<symbol id="i-skipped" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6.8" fill="none" stroke="currentColor" stroke-width="1.5"/><path d="M3.4 12.6l9.2-9.2" stroke="currentColor" stroke-width="1.5"/></symbol>
<symbol id="i-other" viewBox="0 0 16 16"><circle cx="8" cy="8" r="6.8" fill="none" stroke="currentColor" stroke-width="1.5"/><circle cx="8" cy="8" r="2.2" fill="currentColor"/></symbol>
<symbol id="i-error" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7.5" fill="currentColor"/><path d="M8 4.2v4.6" stroke="#fff" stroke-width="1.9" stroke-linecap="round"/><circle cx="8" cy="11.4" r="1.1" fill="#fff"/></symbol>
<symbol id="i-warning" viewBox="0 0 16 16"><path d="M8 1.2l7.2 13.3H.8z" fill="currentColor"/><path d="M8 6v4" stroke="#fff" stroke-width="1.7" stroke-linecap="round"/><circle cx="8" cy="12.2" r="1" fill="#fff"/></symbol>
<symbol id="i-notice" viewBox="0 0 16 16"><circle cx="8" cy="8" r="7.5" fill="currentColor"/><path d="M8 7.2v4.4" stroke="#fff" stroke-width="1.9" stroke-linecap="round"/><circle cx="8" cy="4.6" r="1.1" fill="#fff"/></symbol>
</svg>`;

export function icon(name: string, cls = ''): string {
  const id = KNOWN.has(name) || ['error', 'warning', 'notice'].includes(name) ? name : 'other';
  return `<svg class="icon ${cls}" aria-hidden="true" focusable="false"><use href="#i-${id}"/></svg>`;
}

export function badge(result: string): string {
  return `<span class="badge ${resultClass(result)}">${icon(result)}<span class="word">${escapeHtml(result)}</span></span>`;
}

/** `<` never appears inside the JSON, so a data block cannot end early or open a tag. */
function jsonBlock(id: string, value: unknown): string {
  const json = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return `<script type="application/json" id="${id}">${json}</script>`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v < 10 ? v.toFixed(1) : Math.round(v)} ${units[i]}`;
}

function when(iso: string | undefined): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 19).replace('T', ' ')} UTC`;
}

function duration(started?: string, ended?: string): string {
  const ms = elapsed(started, ended);
  return ms === undefined ? '' : formatDuration(ms);
}

export interface JobData {
  key: string;
  path: string;
  result: string;
  duration: string;
  started: string;
  needs: string[];
  matrix: Record<string, unknown> | null;
  outputs: Record<string, unknown>;
  annotations: Annotation[];
  steps: { name: string; result: string; duration: string }[];
  /** Index of the job's log data block, or -1 when the job has no log. */
  log: number;
  summary: string;
}

export interface PageInput {
  run: Run;
  layout: Layout;
  /** Per job key: its log lines (masked by the runner) and its rendered summary. */
  logs: Map<string, string[]>;
  summaries: Map<string, string>;
}

function header(run: Run): string {
  const counts = new Map<string, number>();
  for (const j of run.jobs) counts.set(j.result, (counts.get(j.result) ?? 0) + 1);
  const countText = [...counts].map(([r, n]) => `${n} ${r}`).join(', ');
  const sha = run.sha ? `<code title="${escapeHtml(run.sha)}">${escapeHtml(run.sha.slice(0, 12))}</code>` : '—';
  const facts: [string, string][] = [
    ['Conclusion', badge(run.conclusion)],
    ['Event', escapeHtml(run.event || '—')],
    ['Ref', escapeHtml(run.ref || '—')],
    ['Commit', sha],
    ['Workflow file', escapeHtml(run.file || '—')],
    ['Started', escapeHtml(when(run.started))],
    ['Duration', escapeHtml(duration(run.started, run.ended) || '—')],
  ];
  return `<header class="run">
<h1>${icon(run.conclusion, resultClass(run.conclusion))}<span>${escapeHtml(run.workflow || run.file || 'Workflow run')}</span></h1>
<dl>${facts.map(([k, v]) => `<div><dt>${k}</dt><dd data-fact="${k.toLowerCase()}">${v}</dd></div>`).join('')}</dl>
<p class="counts">${run.jobs.length} job${run.jobs.length === 1 ? '' : 's'}: ${escapeHtml(countText || 'none')}</p>
</header>`;
}

function points(p: [number, number][]): string {
  return p.map(([x, y], i) => `${i === 0 ? 'M' : 'L'}${Math.round(x * 10) / 10} ${Math.round(y * 10) / 10}`).join(' ');
}

function graph(run: Run, layout: Layout): string {
  const byKey = new Map(run.jobs.map((j) => [j.key, j]));
  const w = Math.ceil(layout.width);
  const h = Math.ceil(layout.height);
  const rects = layout.groups
    .map(
      (g) =>
        `<rect class="group ${g.kind}" data-group="${escapeHtml(g.id)}" x="${g.x}" y="${g.y}" width="${g.width}" height="${g.height}" rx="8"/>`,
    )
    .join('');
  const labels = layout.groups
    .map(
      (g) =>
        `<div class="group-label ${g.kind}" style="left:${g.x + 8}px;top:${g.y + 4}px;max-width:${Math.max(g.width - 16, 0)}px" title="${escapeHtml(g.label)}">${escapeHtml(g.kind === 'matrix' ? `${g.label} (matrix)` : g.label)}</div>`,
    )
    .join('');
  const edges = layout.edges
    .map(
      (e) =>
        `<path class="edge" data-from="${escapeHtml(e.from)}" data-to="${escapeHtml(e.to)}" d="${points(e.points)}" marker-end="url(#arrow)"/>`,
    )
    .join('');
  // Tab order follows the picture: left to right, then top to bottom.
  const nodes = [...layout.nodes].sort((a, b) => a.x - b.x || a.y - b.y);
  const buttons = nodes
    .map((n) => {
      const job = byKey.get(n.key) as Job;
      const d = duration(job.started, job.ended);
      const aria = `${job.path}: ${job.result}${d ? `, ${d}` : ''}`;
      return `<button type="button" class="job ${resultClass(job.result)}" data-key="${escapeHtml(job.key)}" data-result="${escapeHtml(job.result)}" style="left:${n.x}px;top:${n.y}px;width:${n.width}px;height:${n.height}px" title="${escapeHtml(job.path)}" aria-label="${escapeHtml(aria)}">${icon(job.result)}<span class="name">${escapeHtml(n.label)}</span><span class="meta"><span class="word">${escapeHtml(job.result)}</span>${d ? ` · <span class="dur">${escapeHtml(d)}</span>` : ''}</span></button>`;
    })
    .join('\n');
  return `<section aria-labelledby="graph-h">
<h2 id="graph-h">Jobs</h2>
<p class="hint">Tab or the arrow keys move between jobs; Enter or a click shows a job's steps, log, annotations and summary.</p>
<div class="graph-scroll"><div class="graph" id="graph" role="group" aria-label="Job graph" style="width:${w}px;height:${h}px">
<svg class="edges" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" aria-hidden="true"><defs><marker id="arrow" viewBox="0 0 8 8" refX="7" refY="4" markerWidth="7" markerHeight="7" orient="auto"><path d="M0 0L8 4L0 8z" fill="#6e7781"/></marker></defs>${rects}${edges}</svg>
${labels}
${buttons}
</div></div>
</section>`;
}

function annotationItem(a: Annotation, job?: Job): string {
  const where = [a.file ? `${a.file}${a.line ? `:${a.line}` : ''}` : '', a.step ? `step “${a.step}”` : ''].filter(Boolean).join(' · ');
  const jobLink = job ? `<button type="button" class="linkish" data-open="${escapeHtml(job.key)}">${escapeHtml(job.path)}</button>` : '';
  return `<li class="a-${a.level}">${icon(a.level)}<div><span class="level">${a.level}</span> ${jobLink}${where ? ` <span class="where">${escapeHtml(where)}</span>` : ''}<div class="msg">${escapeHtml(a.message)}</div></div></li>`;
}

function annotations(run: Run): string {
  const items = run.jobs.flatMap((j) => j.annotations.map((a) => annotationItem(a, j)));
  if (items.length === 0) return '';
  return `<section aria-labelledby="ann-h"><h2 id="ann-h">Annotations (${items.length})</h2><ul class="annotations">${items.join('')}</ul></section>`;
}

function artifacts(run: Run): string {
  const body =
    run.artifacts.length === 0
      ? '<p class="empty">No artifacts were uploaded.</p>'
      : `<table><thead><tr><th>Name</th><th class="num">Files</th><th class="num">Size</th></tr></thead><tbody>${run.artifacts
          .map(
            (a) =>
              `<tr><td><a href="artifacts/${encodeURIComponent(a.name)}/">${escapeHtml(a.name)}</a></td><td class="num">${a.files}</td><td class="num" title="${a.size} bytes">${formatBytes(a.size)}</td></tr>`,
          )
          .join('')}</tbody></table>`;
  return `<section aria-labelledby="art-h" id="artifacts"><h2 id="art-h">Artifacts</h2>${body}</section>`;
}

export function renderPage({ run, layout, logs, summaries }: PageInput): string {
  const blocks: string[] = [];
  const data: JobData[] = run.jobs.map((j) => {
    const lines = logs.get(j.key);
    let log = -1;
    if (lines) {
      log = blocks.length;
      blocks.push(jsonBlock(`log-${log}`, lines));
    }
    return {
      key: j.key,
      path: j.path,
      result: j.result,
      duration: duration(j.started, j.ended),
      started: when(j.started),
      needs: j.needs,
      matrix: j.matrix,
      outputs: j.outputs,
      annotations: j.annotations,
      steps: j.steps.map((s) => ({ name: s.name, result: s.conclusion, duration: duration(s.started, s.ended) })),
      log,
      summary: summaries.get(j.key) ?? '',
    };
  });
  const scriptHash = createHash('sha256').update(SCRIPT).digest('base64');
  const csp = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${scriptHash}'; base-uri 'none'; form-action 'none'`;
  const title = `${run.workflow || run.file || 'Workflow run'} · ${run.conclusion}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="generator" content="@tripo04os/report">
<title>${escapeHtml(title)} · run report</title>
<style>${STYLE}</style>
</head>
<body>
<a class="skip-link" href="#job">Skip to the job details</a>
${ICONS}
${header(run)}
<main>
${graph(run, layout)}
${annotations(run)}
<section id="job" aria-labelledby="job-h" aria-live="polite" tabindex="-1"><h2 id="job-h">Job details</h2><p class="empty">Select a job in the graph to see its steps, log, annotations and summary.</p></section>
${artifacts(run)}
</main>
${jsonBlock('jobs', data)}
${blocks.join('\n')}
<script type="module">${SCRIPT}</script>
</body>
</html>
`;
}
