import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatBytes, layoutJobs, parseRun, readRun, renderMarkdown, safeHref, writeReport } from '@tripo04os/report';
import { failedMatrixRun, greenRun, secretRun, writeRunFolder } from '@tripo04os/report/fixtures';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'report-unit-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('renderMarkdown (the one renderer for every summary)', () => {
  it('renders GitHub tables', () => {
    const html = renderMarkdown('| tag | size |\n| --- | ---: |\n| `a:1` | 41 MB |\n');
    expect(html).toContain('<table>');
    expect(html).toContain('<th>tag</th>');
    expect(html).toContain('<code>a:1</code>');
    expect(html).toMatch(/<td align="right">41 MB<\/td>/);
  });

  it('shows raw HTML as text, never as markup', () => {
    const html = renderMarkdown('hi <script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n\n<div onclick="x()">d</div>');
    expect(html).not.toMatch(/<script|<img|<div/i);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('&lt;img src=x onerror=alert(2)&gt;');
  });

  it('keeps http(s), mailto and in-page links and drops script links', () => {
    expect(renderMarkdown('[a](https://example.invalid/x "t")')).toContain(
      '<a href="https://example.invalid/x" title="t" rel="noopener noreferrer">a</a>',
    );
    expect(renderMarkdown('[a](#frag)')).toContain('href="#frag"');
    for (const bad of ['javascript:alert(1)', 'JavaScript:alert(1)', 'java\tscript:alert(1)', 'data:text/html,x', 'vbscript:x']) {
      expect(safeHref(bad)).toBeUndefined();
      expect(renderMarkdown(`[label](<${bad}>)`)).not.toMatch(/href/);
    }
  });

  it('never loads an image: it becomes a link to its source', () => {
    const html = renderMarkdown('![chart](https://example.invalid/c.png)');
    expect(html).not.toContain('<img');
    expect(html).toContain('<a href="https://example.invalid/c.png" rel="noopener noreferrer">[image: chart]</a>');
  });

  it('escapes quotes in titles and link targets', () => {
    const html = renderMarkdown('[a](https://x.invalid/"onmouseover="y "t\\"x")');
    expect(html).not.toMatch(/" onmouseover/);
  });
});

describe('parseRun', () => {
  it('fails with one line naming the field, the value and what is accepted', () => {
    expect(() => parseRun({ jobs: [{ key: 'a', result: 3 }] })).toThrow("run.json: 'jobs[0].result' is 3: expected a string");
    expect(() => parseRun({ jobs: [{ key: 'a', result: 'success', needs: 'b' }] })).toThrow(
      `run.json: 'jobs[0].needs' is "b": expected an array`,
    );
    expect(() => parseRun({ jobs: [{ key: 'a', result: 'success', log: '../../etc/passwd' }] })).toThrow(
      `'jobs[0].log' is "../../etc/passwd": expected a path inside the run folder`,
    );
    expect(() =>
      parseRun({
        jobs: [
          { key: 'a', result: 'success' },
          { key: 'a', result: 'failure' },
        ],
      }),
    ).toThrow('\'jobs[1].key\' is "a": expected a key no other job has');
    expect(() => parseRun({ started: 'yesterday', jobs: [] })).toThrow('\'run.started\' is "yesterday": expected an ISO 8601 time');
  });

  it('reads a fixture folder in the contract shape', async () => {
    await writeRunFolder(dir, failedMatrixRun());
    const run = await readRun(dir);
    expect(run.conclusion).toBe('failure');
    const leg = run.jobs.find((j) => j.key === 'ci.test.3.12');
    expect(leg).toMatchObject({ id: 'test', path: 'ci / test (3.12)', workflow: ['ci'], matrix: { python: '3.12' }, result: 'failure' });
    expect(run.jobs.find((j) => j.key === 'build')?.steps).toEqual([]);
  });

  it('names a missing run folder', async () => {
    await expect(readRun(join(dir, 'nope'))).rejects.toThrow(`No run folder at '${join(dir, 'nope')}'`);
  });
});

describe('layoutJobs', () => {
  it('lays jobs out left to right by needs, with one edge per need', async () => {
    const run = parseRun(JSON.parse(await readFile(join(await writeRunFolder(dir, failedMatrixRun()), 'run.json'), 'utf8')));
    const layout = await layoutJobs(run.jobs);
    const at = new Map(layout.nodes.map((n) => [n.key, n]));
    expect(layout.nodes).toHaveLength(run.jobs.length);
    const needs = run.jobs.flatMap((j) => j.needs.map((n) => `${n}->${j.key}`)).sort();
    expect(layout.edges.map((e) => `${e.from}->${e.to}`).sort()).toEqual(needs);
    for (const j of run.jobs) for (const n of j.needs) expect(at.get(n)!.x + at.get(n)!.width).toBeLessThan(at.get(j.key)!.x);
    for (const e of layout.edges) expect(e.points.length).toBeGreaterThanOrEqual(2);
  });

  it('draws reusable workflows and matrix legs as nested groups around their jobs', async () => {
    const run = parseRun(JSON.parse(await readFile(join(await writeRunFolder(dir, failedMatrixRun()), 'run.json'), 'utf8')));
    const layout = await layoutJobs(run.jobs);
    const wf = layout.groups.find((g) => g.id === 'wf:ci');
    const mx = layout.groups.find((g) => g.id === 'mx:ci/test');
    expect(wf).toMatchObject({ kind: 'workflow', label: 'ci' });
    expect(mx).toMatchObject({ kind: 'matrix', label: 'test' });
    const inside = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
      a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width && a.y + a.height <= b.y + b.height;
    expect(inside(mx!, wf!)).toBe(true);
    const legs = layout.nodes.filter((n) => n.key.startsWith('ci.test.'));
    expect(legs.map((l) => l.label).sort()).toEqual(['3.11', '3.12', '3.13']);
    for (const leg of legs) expect(inside(leg, mx!)).toBe(true);
    for (const other of layout.nodes.filter((n) => !n.key.startsWith('ci.test.'))) expect(inside(other, wf!)).toBe(false);
  });

  it('draws a need on a whole reusable-workflow call as an edge from its group', async () => {
    const run = parseRun({
      jobs: [
        { key: 'pipeline.build', id: 'build', path: 'pipeline / build', workflow: ['pipeline'], result: 'success' },
        { key: 'after', needs: ['pipeline'], result: 'success' },
      ],
    });
    const layout = await layoutJobs(run.jobs);
    expect(layout.edges.map((e) => [e.from, e.to])).toEqual([['pipeline', 'after']]);
  });
});

describe('writeReport', () => {
  it('writes one self-contained page: no external URL to load, the script allowed by hash only', async () => {
    await writeRunFolder(dir, greenRun());
    const file = await writeReport(dir);
    expect(file).toBe(join(dir, 'report.html'));
    const html = await readFile(file, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|@import|url\((?!#)/);
    expect(html).toMatch(/Content-Security-Policy" content="default-src 'none';[^"]*script-src 'sha256-[^']+'/);
  });

  it('keeps hostile text of a run inert in the file itself', async () => {
    await writeRunFolder(dir, secretRun());
    const html = await readFile(await writeReport(dir), 'utf8');
    // The only <script> tags are the page's own: the data blocks and the one module script.
    const tags = html.match(/<script[^>]*>/g) ?? [];
    expect(tags.every((t) => t === '<script type="module">' || /^<script type="application\/json" id="[\w-]+">$/.test(t))).toBe(true);
    expect(html.match(/<\/script>/g)).toHaveLength(tags.length);
    expect(html).toContain('<title>Deploy &lt;b&gt;bold&lt;/b&gt; · success · run report</title>');
  });

  it('reads a folder whose jobs have no log file and no summary', async () => {
    await writeFile(
      join(dir, 'run.json'),
      JSON.stringify({ conclusion: 'success', jobs: [{ key: 'a', result: 'success', log: 'logs/a.log' }] }),
    );
    const html = await readFile(await writeReport(dir), 'utf8');
    expect(html).toContain('data-key="a"');
  });

  it('formats sizes for people', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(1023)).toBe('1023 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatBytes(300 * 1024 * 1024)).toBe('300 MiB');
  });
});
