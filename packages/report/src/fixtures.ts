/**
 * Writes run folders in the shape of the run folder contract (the runner's output), for the
 * report's tests and benchmark: `@tripo04os/report/fixtures`. Each step's log is written as the
 * runner writes it: `##[step]NAME` then the step's lines, markers kept.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Annotation } from './run.ts';

export interface FixtureStep {
  name: string;
  conclusion?: string;
  /** Milliseconds; 1 s when not given. */
  ms?: number;
  lines?: string[];
}

export interface FixtureJob {
  key: string;
  id?: string;
  path?: string;
  name?: string;
  workflow?: string[];
  needs?: string[];
  result: string;
  matrix?: Record<string, unknown> | null;
  outputs?: Record<string, unknown>;
  annotations?: Annotation[];
  steps?: FixtureStep[];
  /** Lines of the runner's own first section, `##[step]Set up job`. */
  setup?: string[];
  summary?: string;
}

export interface FixtureRun {
  workflow?: string;
  file?: string;
  event?: string;
  ref?: string;
  sha?: string;
  conclusion: string;
  artifacts?: { name: string; files: Record<string, string> }[];
  jobs: FixtureJob[];
}

const T0 = Date.parse('2026-11-30T10:00:00Z');
const iso = (ms: number) => new Date(T0 + ms).toISOString();

/** Writes run.json, logs/, summaries/, summary.md and artifacts/ into dir; returns dir. */
export async function writeRunFolder(dir: string, run: FixtureRun): Promise<string> {
  await mkdir(join(dir, 'logs'), { recursive: true });
  await mkdir(join(dir, 'summaries'), { recursive: true });
  const finished = new Map<string, number>();
  const jobs = [];
  const summaries: string[] = [];
  for (const j of run.jobs) {
    const start = Math.max(0, ...(j.needs ?? []).map((n) => finished.get(n) ?? 0));
    let t = start + 500;
    const steps = (j.steps ?? []).map((s, i) => {
      const started = t;
      t += s.ms ?? 1000;
      const conclusion = s.conclusion ?? 'success';
      return { id: `s${i + 1}`, name: s.name, outcome: conclusion, conclusion, started: iso(started), ended: iso(t) };
    });
    finished.set(j.key, t);
    const log = ['##[step]Set up job', ...(j.setup ?? []), ...(j.steps ?? []).flatMap((s) => [`##[step]${s.name}`, ...(s.lines ?? [])])];
    const skipped = j.result === 'skipped';
    if (!skipped) await writeFile(join(dir, 'logs', `${j.key}.log`), log.length ? `${log.join('\n')}\n` : '');
    if (j.summary !== undefined) {
      await writeFile(join(dir, 'summaries', `${j.key}.md`), j.summary);
      summaries.push(j.summary);
    }
    const id = j.id ?? j.key.split('.').at(-1) ?? j.key;
    jobs.push({
      key: j.key,
      id,
      path: j.path ?? id,
      name: j.name ?? id,
      workflow: j.workflow ?? [],
      needs: j.needs ?? [],
      result: j.result,
      matrix: j.matrix ?? null,
      outputs: j.outputs ?? {},
      started: skipped ? null : iso(start),
      ended: skipped ? null : iso(t),
      log: skipped ? null : `logs/${j.key}.log`,
      summary: j.summary !== undefined ? `summaries/${j.key}.md` : null,
      annotations: j.annotations ?? [],
      steps,
    });
  }
  const artifacts = [];
  for (const a of run.artifacts ?? []) {
    let size = 0;
    for (const [name, content] of Object.entries(a.files)) {
      const file = join(dir, 'artifacts', a.name, name);
      await mkdir(dirname(file), { recursive: true });
      await writeFile(file, content);
      size += Buffer.byteLength(content);
    }
    artifacts.push({ name: a.name, size, files: Object.keys(a.files).length });
  }
  const end = Math.max(0, ...finished.values()) + 500;
  const doc = {
    conclusion: run.conclusion,
    workflow: run.workflow ?? 'CI',
    file: run.file ?? '.github/workflows/ci.yml',
    event: run.event ?? 'push',
    ref: run.ref ?? 'refs/heads/main',
    sha: run.sha ?? '3f2c9a1e5b7d4c6e8f0a1b2c3d4e5f6a7b8c9d0e',
    started: iso(0),
    ended: iso(end),
    artifacts,
    jobs,
  };
  await writeFile(join(dir, 'run.json'), `${JSON.stringify(doc, null, 2)}\n`);
  await writeFile(join(dir, 'summary.md'), summaries.join('\n'));
  return dir;
}

const SUMMARY_TABLE = `## Image

| tag | digest | size |
| --- | --- | ---: |
| \`ai-support:3f2c9a1\` | \`sha256:6d1f…\` | 41.2 MB |
| \`ai-support:latest\` | \`sha256:6d1f…\` | 41.2 MB |

Pushed to **127.0.0.1:5000**.
`;

/** A green run: lint and unit tests, a build, and a reusable deploy workflow with two jobs. */
export function greenRun(): FixtureRun {
  return {
    workflow: 'Pipeline',
    conclusion: 'success',
    artifacts: [
      { name: 'coverage', files: { 'coverage.xml': '<coverage line-rate="0.93"/>\n'.repeat(40), 'index.html': '<html></html>' } },
    ],
    jobs: [
      {
        key: 'lint',
        name: 'lint',
        result: 'success',
        setup: ['Runner: local', 'Job: lint'],
        steps: [
          { name: 'Check out', lines: ['Checked out 3f2c9a1'] },
          {
            name: 'Run ruff',
            ms: 2300,
            lines: ['##[group]Install ruff', 'pip install ruff', 'Successfully installed ruff', '##[endgroup]', 'All checks passed!'],
          },
        ],
      },
      {
        key: 'test',
        name: 'test',
        result: 'success',
        steps: [{ name: 'Run pytest', ms: 8400, lines: ['collected 42 items', '42 passed in 8.1s'] }],
        summary: '### Tests\n\n| suite | passed | failed |\n| --- | ---: | ---: |\n| unit | 42 | 0 |\n',
      },
      {
        key: 'build',
        name: 'build',
        needs: ['lint', 'test'],
        result: 'success',
        steps: [
          {
            name: 'Build and push',
            ms: 31_000,
            lines: ['##[group]docker build', 'Step 1/5 : FROM python:3.12-slim', '##[endgroup]', 'pushed ai-support:3f2c9a1'],
          },
        ],
        outputs: { tag: 'ai-support:3f2c9a1' },
        summary: SUMMARY_TABLE,
      },
      {
        key: 'deploy.prepare',
        id: 'prepare',
        path: 'deploy / prepare',
        workflow: ['deploy'],
        needs: ['build'],
        result: 'success',
        steps: [{ name: 'Render manifests', lines: ['rendered 3 manifests'] }],
      },
      {
        key: 'deploy.rollout',
        id: 'rollout',
        path: 'deploy / rollout',
        workflow: ['deploy'],
        needs: ['deploy.prepare'],
        result: 'success',
        steps: [{ name: 'Blue-green rollout', ms: 65_000, lines: ['green is live'] }],
        summary: '### Rollout\n\n| phase | result |\n| --- | --- |\n| deploy green | ✅ |\n| switch | ✅ |\n',
      },
    ],
  };
}

/** A matrix test job whose 3.12 leg fails; the jobs that need it are skipped. */
export function failedMatrixRun(): FixtureRun {
  const legs = ['3.11', '3.12', '3.13'];
  return {
    workflow: 'Pipeline',
    conclusion: 'failure',
    jobs: [
      { key: 'lint', result: 'success', steps: [{ name: 'Run ruff', lines: ['All checks passed!'] }] },
      ...legs.map(
        (py): FixtureJob => ({
          key: `ci.test.${py}`,
          id: 'test',
          name: `test (${py})`,
          path: `ci / test (${py})`,
          workflow: ['ci'],
          matrix: { python: py },
          result: py === '3.12' ? 'failure' : 'success',
          steps:
            py === '3.12'
              ? [
                  { name: 'Set up Python', lines: [`Python ${py}`] },
                  {
                    name: 'Run pytest',
                    conclusion: 'failure',
                    lines: [
                      '##[group]Install dependencies',
                      'pip install -r requirements.txt',
                      '##[endgroup]',
                      'tests/test_matching.py::test_driver_score FAILED',
                      'E   AssertionError: expected score 0.93, got 0.41',
                      '##[error]Process completed with exit code 1.',
                    ],
                  },
                  { name: 'Upload results', conclusion: 'skipped' },
                ]
              : [
                  { name: 'Set up Python', lines: [`Python ${py}`] },
                  { name: 'Run pytest', lines: ['42 passed'] },
                  { name: 'Upload results', lines: ['uploaded'] },
                ],
          annotations: py === '3.12' ? [{ level: 'error', message: 'Process completed with exit code 1.', step: 'Run pytest' }] : [],
        }),
      ),
      {
        key: 'build',
        needs: legs.map((py) => `ci.test.${py}`).concat('lint'),
        result: 'skipped',
      },
      { key: 'deploy', needs: ['build'], result: 'skipped' },
      {
        key: 'notify',
        needs: ['deploy'],
        result: 'success',
        steps: [{ name: 'Notify', lines: ['##[warning]Slack webhook not set, skipping Slack'] }],
        annotations: [{ level: 'warning', message: 'Slack webhook not set, skipping Slack', step: 'Notify' }],
      },
    ],
  };
}

/** The secret the secret run's step printed; the runner wrote *** in its place everywhere. */
export const SECRET = 'hunter2-7Qx9-s3cr3t';

/** What the runner does to every line, summary and output before writing them. */
export function mask(text: string, secrets: string[] = [SECRET]): string {
  return secrets.reduce((t, s) => t.split(s).join('***'), text);
}

/**
 * A run whose step printed a secret (masked as *** in what the runner wrote); its summary and
 * log also carry markup and script that must show as text.
 */
export function secretRun(): FixtureRun {
  const hostile = '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">';
  const printed = [
    `Logging in with token ${SECRET}`,
    `Authorization: Bearer ${SECRET}`,
    hostile,
    '</script><script>window.__pwned = 3</script>',
  ];
  const summary = `### Deploy\n\nToken: \`${SECRET}\`\n\n${hostile}\n\n[click](javascript:window.__pwned=4) · [docs](https://example.invalid/docs)\n\n![pixel](https://example.invalid/p.png)\n\n| k | v |\n| --- | --- |\n| password | ${SECRET} |\n`;
  return {
    workflow: 'Deploy <b>bold</b>',
    conclusion: 'success',
    jobs: [
      {
        key: 'deploy',
        result: 'success',
        steps: [{ name: 'Log in', lines: printed.map((l) => mask(l)) }],
        outputs: { endpoint: 'https://127.0.0.1:6443', token: mask(SECRET) },
        summary: mask(summary),
      },
    ],
  };
}

/** 60 jobs over six stages (one a matrix of 10, one a reusable workflow), one log of 5,000 lines. */
export function largeRun(logLines = 5000): FixtureRun {
  const jobs: FixtureJob[] = [];
  const stage = (s: number) => Array.from({ length: 10 }, (_, i) => `s${s}j${i}`);
  for (let s = 0; s < 6; s++) {
    for (let i = 0; i < 10; i++) {
      const key = `s${s}j${i}`;
      const needs = s === 0 ? [] : [stage(s - 1)[i] as string, ...(i % 3 === 0 ? [stage(s - 1)[(i + 1) % 10] as string] : [])];
      const job: FixtureJob = { key, result: 'success', needs, steps: [{ name: 'Run', lines: [`job ${key}`] }] };
      if (s === 2) Object.assign(job, { id: 'test', name: `test (${i})`, path: `test (${i})`, matrix: { shard: i } });
      if (s === 4) Object.assign(job, { workflow: ['release'], path: `release / ${key}` });
      jobs.push(job);
    }
  }
  const big = jobs[31] as FixtureJob;
  const lines: string[] = [];
  for (let i = 0; i < logLines; i++) {
    if (i % 500 === 0) lines.push(`##[group]Batch ${i / 500 + 1}`);
    lines.push(`[${String(i).padStart(5, '0')}] processed record ${i}: ok`);
    if (i % 500 === 499) lines.push('##[endgroup]');
  }
  big.steps = [{ name: 'Process records', ms: 42_000, lines: [...lines, '##[error]record 4999 failed validation'] }];
  big.steps[0]!.conclusion = 'failure';
  big.result = 'failure';
  for (const j of jobs.slice(40)) if (j.needs?.length) j.result = 'skipped';
  for (const j of jobs.slice(40)) if (j.result === 'skipped') j.steps = [];
  return { workflow: 'Large', conclusion: 'failure', jobs };
}
