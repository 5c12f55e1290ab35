// Checks on an opened report page that several tests share. They read the page through
// playwright's locators (no DOM types in this TypeScript program); the one check that must run
// inside the page, the contrast measure, is the plain script contrast.js.
import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';

/** The attribute `name` of every element matching `selector`, in document order. */
export async function attrs(page: Page, selector: string, name: string): Promise<(string | null)[]> {
  return Promise.all((await page.locator(selector).all()).map((l) => l.getAttribute(name)));
}

/** The job key of the focused element, if it is a job. */
export async function focusedKey(page: Page): Promise<string | null> {
  const focused = page.locator(':focus');
  return (await focused.count()) ? focused.getAttribute('data-key') : null;
}

type Box = { x: number; y: number; width: number; height: number };

/**
 * Every job of the run is a node with its result word and icon; the edges are exactly the
 * needs, each drawn from its source node's box to its target node's box.
 */
export async function expectJobsAndEdges(page: Page, run: { jobs: { key: string; result: string; needs?: string[] }[] }): Promise<void> {
  const graph = (await page.locator('#graph').boundingBox()) as Box;
  const nodes = new Map<string, { word: string | null; icon: string | null; box: Box }>();
  for (const b of await page.locator('button.job').all()) {
    const box = (await b.boundingBox()) as Box;
    nodes.set((await b.getAttribute('data-key')) as string, {
      word: await b.locator('.word').textContent(),
      icon: await b.locator('svg use').getAttribute('href'),
      box: { ...box, x: box.x - graph.x, y: box.y - graph.y },
    });
  }
  expect([...nodes].map(([k, n]) => [k, n.word]).sort()).toEqual(run.jobs.map((j) => [j.key, j.result]).sort());
  for (const n of nodes.values()) expect(n.icon).toBe(`#i-${n.word}`);
  const from = await attrs(page, 'svg.edges path.edge', 'data-from');
  const to = await attrs(page, 'svg.edges path.edge', 'data-to');
  const d = await attrs(page, 'svg.edges path.edge', 'd');
  const needs = run.jobs.flatMap((j) => (j.needs ?? []).map((n) => `${n} -> ${j.key}`)).sort();
  expect(from.map((f, i) => `${f} -> ${to[i]}`).sort()).toEqual(needs);
  const near = ([x, y]: number[], b: Box) =>
    (x as number) >= b.x - 2 && (x as number) <= b.x + b.width + 2 && (y as number) >= b.y - 2 && (y as number) <= b.y + b.height + 2;
  for (const [i, path] of d.entries()) {
    const pts = [...(path ?? '').matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(near(pts[0] as number[], nodes.get(from[i] as string)!.box)).toBe(true);
    expect(near(pts.at(-1) as number[], nodes.get(to[i] as string)!.box)).toBe(true);
  }
}

/** Presses Tab from the top of the page and returns the keys of the jobs that got the focus. */
export async function tabThroughJobs(page: Page, jobs: number): Promise<Set<string>> {
  await page.evaluate('document.activeElement && document.activeElement.blur()');
  const reached = new Set<string>();
  for (let i = 0; i < jobs + 10; i++) {
    await page.keyboard.press('Tab');
    const key = await focusedKey(page);
    if (key) reached.add(key);
  }
  return reached;
}

const CONTRAST = readFile(new URL('./contrast.js', import.meta.url), 'utf8');

/** Every visible text below WCAG AA contrast, as `text: ratio` (see contrast.js). */
export async function contrastFailures(page: Page): Promise<string[]> {
  return (await page.evaluate(await CONTRAST)) as string[];
}
