/**
 * `@tripo04os/report/browser`, for tests and benchmarks (needs the playwright-core
 * devDependency and Debian's chromium from scripts/setup.sh): Debian's Chromium driven by
 * playwright-core, a fresh profile per launch, no background networking. Screenshots go to
 * test-output/report/ at the repository root (git-ignored).
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
export const ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
export const SHOTS = fileURLToPath(new URL('../../../test-output/report/', import.meta.url));

export interface Browser {
  context: BrowserContext;
  close(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  const profile = await mkdtemp(join(tmpdir(), 'report-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 800 },
  });
  await mkdir(SHOTS, { recursive: true });
  return {
    context,
    async close() {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}

export interface Opened {
  page: Page;
  /** Every URL the page asked for other than the report itself. */
  requests: string[];
  errors: string[];
}

/** Opens OUT/report.html in a new page, recording requests and script errors. */
export async function openReport(browser: Browser, file: string, viewport = { width: 1280, height: 800 }): Promise<Opened> {
  const page = await browser.context.newPage();
  await page.setViewportSize(viewport);
  const url = pathToFileURL(file).href;
  const requests: string[] = [];
  const errors: string[] = [];
  page.on('request', (r) => {
    if (r.url().split('#')[0] !== url) requests.push(r.url());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(url);
  return { page, requests, errors };
}

export async function shot(page: Page, name: string, fullPage = true): Promise<void> {
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage });
}
