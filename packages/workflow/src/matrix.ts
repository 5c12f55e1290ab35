/**
 * strategy.matrix: the product of the keys, then `exclude`, then `include` (GitHub's rules).
 * https://docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/run-job-variations
 */
import type { Json } from './expr.ts';

type Combo = Record<string, Json>;

export function expandMatrix(matrix: Record<string, Json>): Combo[] {
  const keys = Object.keys(matrix).filter((k) => k !== 'include' && k !== 'exclude');
  let combos: Combo[] = [{}];
  for (const k of keys) {
    const values = matrix[k];
    if (!Array.isArray(values)) throw new Error(`matrix.${k} must be a list, got ${JSON.stringify(values)}`);
    const next: Combo[] = [];
    for (const c of combos) for (const v of values) next.push({ ...c, [k]: v });
    combos = next;
  }
  if (!keys.length) combos = [];
  const same = (a: Json | undefined, b: Json | undefined) => JSON.stringify(a) === JSON.stringify(b);
  const exclude = (matrix.exclude ?? []) as Combo[];
  combos = combos.filter((c) => !exclude.some((e) => Object.entries(e).every(([k, v]) => same(c[k], v))));
  const original = combos.map((c) => ({ ...c }));
  for (const inc of (matrix.include ?? []) as Combo[]) {
    let matched = false;
    combos.forEach((c, i) => {
      const orig = original[i] as Combo;
      const fits = Object.entries(inc).every(([k, v]) => !(k in orig) || same(orig[k], v));
      if (fits) {
        matched = true;
        Object.assign(c, inc);
      }
    });
    if (!matched) {
      combos.push({ ...inc });
      original.push({ ...inc });
    }
  }
  return combos;
}
