/**
 * The run report on a large run: 60 jobs (a matrix of 10, a reusable workflow of 10), one job
 * with a 5,000-line log. Prints the time to write the page, the time Chromium takes to open it
 * (wall time from a new tab to the load event, and in the page the load event), the time to open the big job and unfold a group of its log, and the page's
 * size with and without the logs it carries.
 */
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeReport } from '@tripo04os/report';
import { launch, openReport } from '@tripo04os/report/browser';
import { largeRun, writeRunFolder } from '@tripo04os/report/fixtures';
import { measure, median } from './lib/stats.ts';

const LOAD_EVENT = `new Promise((done) => setTimeout(() => done(performance.getEntriesByType('navigation')[0].loadEventEnd), 0))`;

const dir = await mkdtemp(join(tmpdir(), 'bench-report-'));
const browser = await launch();
try {
  const run = largeRun();
  await writeRunFolder(dir, run);
  let file = '';
  await measure('write report.html (read, lay out with ELK, render)', 5, async () => {
    file = await writeReport(dir);
  });
  let logBytes = 0;
  for (const j of run.jobs) if (j.result !== 'skipped') logBytes += (await stat(join(dir, 'logs', `${j.key}.log`))).size;
  const size = (await stat(file)).size;
  const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(
    `report.html: ${kib(size)}, of which logs ${kib(logBytes)}; the page without its logs ${kib(size - logBytes)} (limit 2048 KiB)`,
  );

  const loads: number[] = [];
  await measure('open in Chromium, wall time: new tab, navigation, load event (60 jobs)', 10, async () => {
    const { page } = await openReport(browser, file);
    loads.push((await page.evaluate(LOAD_EVENT)) as number);
    await page.close();
  });
  console.log(
    `in the page: load event ${median(loads).toFixed(0)} ms after navigation start (median), ${Math.min(...loads).toFixed(0)} ms at best`,
  );

  const { page } = await openReport(browser, file);
  await measure('open the 5,000-line job (details, failed step unfolded to its error)', 5, async () => {
    await page.locator('button.job[data-key=s3j1]').click();
    await page.locator('#job .log .l.error').waitFor();
  });
  await measure('open that job again and unfold a 500-line group of its log', 5, async () => {
    await page.locator('button.job[data-key=s3j1]').click();
    await page.locator('#job .log > .group > button').first().click();
    await page.locator('#job .log .group .body .l').nth(499).waitFor();
  });
  await page.close();
} finally {
  await browser.close();
  await rm(dir, { recursive: true, force: true });
}
