// The jest global setup starts the shared sandbox only when a selected suite uses it.
import { TestPathPatterns } from '@jest/pattern';
import { repoRoot } from '@tripo04os/kit/harness';
import { runNeedsSandbox } from '../global-setup.ts';

const config = (patterns: string[]) => ({ rootDir: repoRoot, testPathPatterns: new TestPathPatterns(patterns) });

describe('runNeedsSandbox', () => {
  test('a run of pure unit suites starts no sandbox', async () => {
    expect(await runNeedsSandbox(config(['packages/common']))).toBe(false);
    expect(await runNeedsSandbox(config(['test/repo/versions']))).toBe(false);
  });
  test('a suite that uses it directly or through a helper it imports starts it', async () => {
    expect(await runNeedsSandbox(config(['actions/notification/test/e2e']))).toBe(true);
    // rollback.test.ts reaches the sandbox only through ./helpers.ts
    expect(await runNeedsSandbox(config(['actions/kubectl-deploy/test/rollback']))).toBe(true);
  });
  test('the whole suite starts it', async () => {
    expect(await runNeedsSandbox(config([]))).toBe(true);
  });
});
