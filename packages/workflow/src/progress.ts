/** Live progress for a person (works without a TTY): job start/end, steps, a closing table. */
import type { Terminal } from './log.ts';
import type { Masker } from './mask.ts';
import type { RunRecord } from './types.ts';

function secs(a: string, b: string): string {
  return `${((Date.parse(b) - Date.parse(a)) / 1000).toFixed(1)}s`;
}

export class Progress {
  readonly term: Terminal;
  private readonly masker: Masker;
  constructor(term: Terminal, masker: Masker) {
    this.term = term;
    this.masker = masker;
  }
  line(text: string): void {
    this.term.write(`${this.masker.mask(text)}\n`);
  }
  jobStarted(path: string): void {
    this.line(`▶ ${path}`);
  }
  jobEnded(path: string, result: string, started: string, ended: string): void {
    this.line(`${result === 'success' ? '✓' : result === 'skipped' ? '○' : '✗'} ${path}: ${result} (${secs(started, ended)})`);
  }
  jobSkipped(path: string, result: string, why: string): void {
    this.line(`○ ${path}: ${result} (${why})`);
  }
  step(path: string, name: string, outcome: string, conclusion: string, started: string, ended: string): void {
    const c = outcome === conclusion ? outcome : `${outcome}, continue-on-error → ${conclusion}`;
    this.line(`  ${path} · ${name}: ${c} (${secs(started, ended)})`);
  }
  table(run: RunRecord): void {
    const rows = run.jobs.map((j) => [j.path, j.result, secs(j.started, j.ended)]);
    const w0 = Math.max(3, ...rows.map((r) => (r[0] as string).length));
    const w1 = Math.max(6, ...rows.map((r) => (r[1] as string).length));
    this.line('');
    this.line(`${'job'.padEnd(w0)}  ${'result'.padEnd(w1)}  time`);
    for (const r of rows) this.line(`${(r[0] as string).padEnd(w0)}  ${(r[1] as string).padEnd(w1)}  ${r[2]}`);
  }
}
