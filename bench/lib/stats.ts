/** Small helpers for benchmarks: time a function several times and print the figures. */
export async function measure(label: string, runs: number, fn: () => Promise<unknown>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    await fn();
    times.push(performance.now() - t0);
  }
  const sorted = [...times].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] as number;
  console.log(`${label}: median ${at(0.5).toFixed(0)} ms, min ${at(0).toFixed(0)} ms, p90 ${at(0.9).toFixed(0)} ms (${runs} runs)`);
  return times;
}

/** The median of a list of figures. */
export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;

/** A copy of a list in a random order (Fisher-Yates), so no variant always runs after the same one. */
export function shuffled<T>(xs: readonly T[]): T[] {
  const out = [...xs];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}
