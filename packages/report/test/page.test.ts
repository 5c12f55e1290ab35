// The report page in a real browser (Debian's Chromium through playwright-core): what a person
// sees and can reach, for run folders in the contract's shape written by the fixture writers.
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '@tripo04os/report';
import { type Browser, launch, type Opened, openReport, shot } from '@tripo04os/report/browser';
import { type FixtureRun, failedMatrixRun, greenRun, largeRun, SECRET, secretRun, writeRunFolder } from '@tripo04os/report/fixtures';
import type { Page } from 'playwright-core';
import { attrs, contrastFailures, expectJobsAndEdges, focusedKey, tabThroughJobs } from './page-checks.ts';

let browser: Browser;
let tmp: string;
beforeAll(async () => {
  browser = await launch();
  tmp = await mkdtemp(join(tmpdir(), 'report-page-'));
});
afterAll(async () => {
  await browser?.close();
  await rm(tmp, { recursive: true, force: true });
});

async function report(name: string, run: FixtureRun): Promise<{ dir: string; file: string }> {
  const dir = await writeRunFolder(join(tmp, name), run);
  return { dir, file: await writeReport(dir) };
}

async function open(file: string, viewport?: { width: number; height: number }): Promise<Opened> {
  const o = await openReport(browser, file, viewport);
  await o.page.waitForSelector('button.job');
  return o;
}

const detailsTitle = (page: Page) => page.locator('#job h2 .path').textContent();

describe('report page in Chromium', () => {
  it('a green run: header, every job with its result word, edges as needs, summary table, artifacts', async () => {
    const fixture = greenRun();
    const { file } = await report('green', fixture);
    const { page, requests, errors } = await open(file);
    const header = page.locator('header.run');
    await expect(header.locator('h1').textContent()).resolves.toContain('Pipeline');
    await expect(header.locator('[data-fact=conclusion]').textContent()).resolves.toBe('success');
    await expect(header.locator('[data-fact=event]').textContent()).resolves.toBe('push');
    await expect(header.locator('[data-fact=ref]').textContent()).resolves.toBe('refs/heads/main');
    await expect(header.locator('[data-fact=commit]').textContent()).resolves.toBe('3f2c9a1e5b7d');
    await expect(header.locator('[data-fact=duration]').textContent()).resolves.toBe('1m48s');
    await expectJobsAndEdges(page, fixture);

    await page.locator('button.job[data-key=build]').click();
    await expect(detailsTitle(page)).resolves.toBe('build');
    const table = page.locator('#job .markdown table');
    await expect(table.locator('th').allTextContents()).resolves.toEqual(['tag', 'digest', 'size']);
    await expect(table.locator('tbody tr').count()).resolves.toBe(2);
    await expect(page.locator('#job .steps .sname').allTextContents()).resolves.toEqual(['Set up job', 'Build and push']);
    await expect(page.locator('#job .steps .sdur').allTextContents()).resolves.toEqual(['31.0s']);

    const art = page.locator('#artifacts tbody tr');
    await expect(art.locator('td').allTextContents()).resolves.toEqual(['coverage', '2', '1.1 KiB']);
    await shot(page, 'green');
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a failed matrix leg: its word and colour group, skipped dependents, the error line one click away', async () => {
    const fixture = failedMatrixRun();
    const { file } = await report('failed-matrix', fixture);
    const { page, errors } = await open(file);
    await expectJobsAndEdges(page, fixture);
    await expect(page.locator('button.job[data-result=skipped] .word').allTextContents()).resolves.toEqual(['skipped', 'skipped']);
    // The legs sit inside the matrix group, itself inside the reusable workflow's group.
    const box = async (sel: string) => (await page.locator(sel).boundingBox())!;
    const inside = (a: { x: number; y: number; width: number; height: number }, b: typeof a) =>
      a.x >= b.x && a.y >= b.y && a.x + a.width <= b.x + b.width + 0.5 && a.y + a.height <= b.y + b.height + 0.5;
    const mx = await box('rect[data-group="mx:ci/test"]');
    expect(inside(mx, await box('rect[data-group="wf:ci"]'))).toBe(true);
    for (const py of ['3.11', '3.12', '3.13']) expect(inside(await box(`button.job[data-key="ci.test.${py}"]`), mx)).toBe(true);
    await expect(page.locator('.group-label').allTextContents()).resolves.toEqual(['ci', 'test (matrix)']);
    await shot(page, 'failed-matrix');

    await page.locator('button.job[data-result=failure]').click();
    await expect(detailsTitle(page)).resolves.toBe('ci / test (3.12)');
    const error = page.locator('#job .log .l.error');
    await expect(error.locator('.t').textContent()).resolves.toBe('Error: Process completed with exit code 1.');
    expect(await error.isVisible()).toBe(true);
    // The runner's set-up section first, then the steps; the failed step is unfolded, the
    // others folded; the group in it folded as on GitHub.
    await expect(page.locator('#job .step .sname').allTextContents()).resolves.toEqual([
      'Set up job',
      'Set up Python',
      'Run pytest',
      'Upload results',
    ]);
    await expect(attrs(page, '#job .step > button', 'aria-expanded')).resolves.toEqual(['false', 'false', 'true', 'false']);
    const group = page.locator('#job .log .group > button');
    await expect(group.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect(page.locator('#job .log .group .body').count()).resolves.toBe(1);
    await expect(page.locator('#job .log .group .body .l').count()).resolves.toBe(0);
    await group.click();
    await expect(page.locator('#job .log .group .body .t').allTextContents()).resolves.toEqual(['pip install -r requirements.txt']);
    await expect(page.locator('#job .annotations .msg').allTextContents()).resolves.toEqual(['Process completed with exit code 1.']);
    await shot(page, 'failed-matrix-job', false);

    // The annotation list of the run opens its job too.
    await page.locator('main > section .annotations [data-open="notify"]').click();
    await expect(detailsTitle(page)).resolves.toBe('notify');
    // A skipped job says so instead of showing an empty log.
    await page.locator('button.job[data-key=deploy]').click();
    await expect(page.locator('#job .steps').textContent()).resolves.toContain('This job was skipped');
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a masked secret appears nowhere, and hostile log and summary text stays text', async () => {
    const { dir, file } = await report('secret', secretRun());
    const html = await readFile(file, 'utf8');
    expect(html).not.toContain(SECRET);
    const { page, requests, errors } = await open(file);
    await page.locator('button.job[data-key=deploy]').click();
    const folded = page.locator('#job [aria-expanded=false]');
    while (await folded.count()) await folded.first().click();
    const text = (await page.content()) + (await page.locator('body').textContent());
    expect(text).not.toContain(SECRET);
    await expect(page.locator('#job .log .t').allTextContents()).resolves.toEqual([
      '(no output)',
      'Logging in with token ***',
      'Authorization: Bearer ***',
      '<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2">',
      '</script><script>window.__pwned = 3</script>',
    ]);
    const md = page.locator('#job .markdown');
    await expect(md.textContent()).resolves.toContain('<script>window.__pwned = 1</script>');
    await expect(md.locator('script, img, [onerror]').count()).resolves.toBe(0);
    await expect(attrs(page, '#job .markdown a', 'href')).resolves.toEqual([
      'https://example.invalid/docs',
      'https://example.invalid/p.png',
    ]);
    await expect(page.locator('header h1').textContent()).resolves.toBe('Deploy <b>bold</b>');
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await shot(page, 'secret');
    await page.close();
    expect(dir).toBeTruthy();
  });

  it('60 jobs and a 5,000-line log: every job drawn, the log folded into groups and rendered on demand', async () => {
    const fixture = largeRun();
    const { dir, file } = await report('large', fixture);
    const { page, errors } = await open(file);
    await expectJobsAndEdges(page, fixture);
    // Nothing of any log is in the page's DOM until a job is opened.
    await expect(page.locator('.log .l').count()).resolves.toBe(0);
    await page.locator('button.job[data-key=s3j1]').click();
    await expect(page.locator('#job .log > .group').count()).resolves.toBe(10);
    // Groups stay folded; the error line after them is shown.
    await expect(page.locator('#job .log .group .body .l').count()).resolves.toBe(0);
    await expect(page.locator('#job .log .l.error .t').textContent()).resolves.toBe('Error: record 4999 failed validation');
    await page.locator('#job .log > .group > button').first().click();
    await expect(page.locator('#job .log .group .body .l').count()).resolves.toBe(500);
    await shot(page, 'large-job', false);
    await page.goto(page.url().split('#')[0] as string);
    await shot(page, 'large');

    // The page is under 2 MB besides the logs it carries.
    let logBytes = 0;
    for (const j of fixture.jobs) if (j.result !== 'skipped') logBytes += (await stat(join(dir, 'logs', `${j.key}.log`))).size;
    expect((await stat(file)).size - logBytes).toBeLessThan(2 * 1024 * 1024);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('the keyboard reaches every job, Enter opens it, the arrow keys follow the graph', async () => {
    const fixture = failedMatrixRun();
    const { file } = await report('keyboard', fixture);
    const { page } = await open(file);
    const reached = await tabThroughJobs(page, fixture.jobs.length);
    expect([...reached].sort()).toEqual(fixture.jobs.map((j) => j.key).sort());

    await page.locator('button.job[data-key=build]').focus();
    await page.keyboard.press('ArrowRight');
    await expect(focusedKey(page)).resolves.toBe('deploy');
    await page.keyboard.press('ArrowLeft');
    await expect(focusedKey(page)).resolves.toBe('build');
    await page.locator('button.job[data-key="ci.test.3.11"]').focus();
    await page.keyboard.press('ArrowDown');
    await expect(focusedKey(page)).resolves.toBe('ci.test.3.12');

    await page.keyboard.press('Enter');
    await expect(detailsTitle(page)).resolves.toBe('ci / test (3.12)');
    // Focus moves to the details; Tab goes on into its controls; "Back to the graph" returns.
    await expect(page.locator(':focus').getAttribute('id')).resolves.toBe('job-h');
    await page.keyboard.press('Tab');
    await expect(page.locator(':focus').textContent()).resolves.toBe('Back to the graph');
    await page.keyboard.press('Enter');
    await expect(focusedKey(page)).resolves.toBe('ci.test.3.12');
    await expect(page.locator('button.job[aria-current=true]').getAttribute('data-key')).resolves.toBe('ci.test.3.12');
    // A link to the job (#job=KEY) opens it.
    await page.goto(`${page.url().split('#')[0]}#job=${encodeURIComponent('ci.test.3.12')}`);
    await page.reload();
    await expect(detailsTitle(page)).resolves.toBe('ci / test (3.12)');
    await page.close();
  });

  it('text meets WCAG AA contrast, and a narrow window scrolls the graph, not the page', async () => {
    const { file } = await report('contrast', failedMatrixRun());
    for (const [name, viewport] of [
      ['wide', { width: 1280, height: 800 }],
      ['narrow', { width: 390, height: 844 }],
    ] as const) {
      const { page } = await open(file, viewport);
      await page.locator('button.job[data-result=failure]').click();
      await page.locator('#job .log .group > button').click();
      expect(await contrastFailures(page)).toEqual([]);
      const widths = (await page.evaluate('[document.documentElement.scrollWidth, window.innerWidth]')) as number[];
      expect(widths[0]).toBeLessThanOrEqual(widths[1] as number);
      await shot(page, `contrast-${name}`, name === 'narrow');
      await page.close();
    }
  });
});
