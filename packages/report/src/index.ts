/**
 * @tripo04os/report: the run report page. `writeReport(OUT)` reads a run folder written by the
 * workflow runner (run.json, logs/KEY.log, summaries/KEY.md) and writes OUT/report.html, one
 * self-contained file: no network, scripts and styles inline.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { layoutJobs } from './layout.ts';
import { renderMarkdown } from './markdown.ts';
import { renderPage } from './page.ts';
import { readRun, readRunText } from './run.ts';

export type { Layout } from './layout.ts';
export { layoutJobs } from './layout.ts';
export { escapeHtml, renderMarkdown, safeHref } from './markdown.ts';
export { formatBytes } from './page.ts';
export type { Annotation, Artifact, Job, Run, Step } from './run.ts';
export { parseRun, readRun } from './run.ts';

/** Builds the page's HTML from a run folder without writing it. */
export async function renderReport(outDir: string): Promise<string> {
  const run = await readRun(outDir);
  const logs = new Map<string, string[]>();
  const summaries = new Map<string, string>();
  await Promise.all(
    run.jobs.map(async (job) => {
      const log = await readRunText(outDir, job.log);
      if (log !== undefined) {
        // Colour codes some tools print would show as noise; the text itself is kept as written.
        const lines = stripVTControlCharacters(log).split(/\r?\n/);
        if (lines.at(-1) === '') lines.pop();
        logs.set(job.key, lines);
      }
      const md = await readRunText(outDir, job.summary);
      if (md?.trim()) summaries.set(job.key, renderMarkdown(md));
    }),
  );
  const layout = await layoutJobs(run.jobs);
  return renderPage({ run, layout, logs, summaries });
}

/** Reads the run folder OUT and writes OUT/report.html; returns that path. */
export async function writeReport(outDir: string): Promise<string> {
  const html = await renderReport(outDir);
  const file = join(outDir, 'report.html');
  await writeFile(file, html);
  return file;
}
