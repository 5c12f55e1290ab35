/// <reference lib="dom" />
// Checks on an opened report page that several tests share.
import type { FixtureRun } from '@tripo04os/report/fixtures';
import type { Page } from 'playwright-core';

/**
 * Every job of the run is a node with its result word; the edges are exactly the needs, each
 * drawn from its source node's box to its target node's box.
 */
export async function expectJobsAndEdges(page: Page, run: FixtureRun): Promise<void> {
  const nodes = await page.locator('button.job').evaluateAll((bs) =>
    bs.map((b) => {
      const e = b as HTMLElement;
      return {
        key: e.dataset.key,
        word: e.querySelector('.word')?.textContent,
        icon: e.querySelector('svg use')?.getAttribute('href'),
        box: [e.offsetLeft, e.offsetTop, e.offsetWidth, e.offsetHeight],
      };
    }),
  );
  expect(nodes.map((n) => [n.key, n.word]).sort()).toEqual(run.jobs.map((j) => [j.key, j.result]).sort());
  for (const n of nodes) expect(n.icon).toBe(`#i-${n.word}`);
  const edges = await page
    .locator('svg.edges path.edge')
    .evaluateAll((ps) =>
      ps.map((p) => ({ from: p.getAttribute('data-from'), to: p.getAttribute('data-to'), d: p.getAttribute('d') ?? '' })),
    );
  const needs = run.jobs.flatMap((j) => (j.needs ?? []).map((n) => `${n} -> ${j.key}`)).sort();
  expect(edges.map((e) => `${e.from} -> ${e.to}`).sort()).toEqual(needs);
  const box = new Map(nodes.map((n) => [n.key, n.box as [number, number, number, number]]));
  const near = ([x, y]: number[], [bx, by, bw, bh]: [number, number, number, number]) =>
    (x as number) >= bx - 2 && (x as number) <= bx + bw + 2 && (y as number) >= by - 2 && (y as number) <= by + bh + 2;
  for (const e of edges) {
    const pts = [...e.d.matchAll(/[ML](-?[\d.]+) (-?[\d.]+)/g)].map((m) => [Number(m[1]), Number(m[2])]);
    expect(near(pts[0] as number[], box.get(e.from as string)!)).toBe(true);
    expect(near(pts.at(-1) as number[], box.get(e.to as string)!)).toBe(true);
  }
}

/** Presses Tab from the top of the page and returns the keys of the jobs that got the focus. */
export async function tabThroughJobs(page: Page, jobs: number): Promise<Set<string>> {
  await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
  const reached = new Set<string>();
  for (let i = 0; i < jobs + 10; i++) {
    await page.keyboard.press('Tab');
    const key = await page.evaluate(() => (document.activeElement as HTMLElement | null)?.dataset.key);
    if (key) reached.add(key);
  }
  return reached;
}

/**
 * Every visible piece of text whose contrast with the background behind it is below WCAG AA
 * (4.5:1, or 3:1 for large text), described as `text: ratio`.
 */
export async function contrastFailures(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const rgba = (c: string): number[] => {
      const m = /rgba?\(([^)]+)\)/.exec(c);
      if (!m) return [0, 0, 0, 0];
      const p = (m[1] as string)
        .split(/[\s,/]+/)
        .filter(Boolean)
        .map(Number);
      return [p[0] ?? 0, p[1] ?? 0, p[2] ?? 0, p[3] ?? 1];
    };
    const lum = ([r, g, b]: number[]) => {
      const f = (v: number) => {
        const s = v / 255;
        return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
      };
      return 0.2126 * f(r as number) + 0.7152 * f(g as number) + 0.0722 * f(b as number);
    };
    const background = (el: Element | null): number[] => {
      for (let e = el; e; e = e.parentElement) {
        const c = rgba(getComputedStyle(e).backgroundColor);
        if ((c[3] as number) > 0.5) return c;
      }
      return [255, 255, 255, 1];
    };
    const out: string[] = [];
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const seen = new Set<Element>();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const el = n.parentElement;
      if (!el || seen.has(el) || !n.textContent?.trim()) continue;
      seen.add(el);
      if (el.closest('script, style, svg') || el.getClientRects().length === 0) continue;
      const cs = getComputedStyle(el);
      if (cs.visibility === 'hidden' || Number(cs.opacity) === 0) continue;
      const a = lum(rgba(cs.color));
      const b = lum(background(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      const size = Number.parseFloat(cs.fontSize);
      const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
      if (ratio < (large ? 3 : 4.5)) out.push(`${n.textContent.trim().slice(0, 40)}: ${ratio.toFixed(2)}`);
    }
    return out;
  });
}
