import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { repoRoot } from '@tripo04os/kit/harness';

/**
 * Issue 15: a bad input fails before the step loads @actions/core, the Kubernetes client or the
 * AWS SDK. Proof without timing: the entry file alone, without any of the chunks it loads
 * lazily, still reports each of these errors.
 */
describe('inputs checked before anything heavy loads', () => {
  const dir = mkdtempSync(join(tmpdir(), 'kd-entry-'));
  for (const f of ['index.js', 'package.json']) copyFileSync(join(repoRoot, 'actions/kubectl-deploy/dist', f), join(dir, f));
  const runEntry = (inputs: Record<string, string>, env: Record<string, string> = {}) => {
    const input = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
    return spawnSync(process.execPath, [join(dir, 'index.js')], { env: { PATH: process.env.PATH, ...input, ...env }, encoding: 'utf8' });
  };

  it.each([
    [{ images: 'not a valid line' }, {}, "::error::Input 'images' has the value 'not a valid line'"],
    [{ images: 'web=nginx:1', 'cluster-name': 'prod' }, {}, "::error::Input 'region'"],
    [{ images: 'web=nginx:1' }, {}, "::error::Input 'cluster-name'"],
    [{ images: 'web=nginx:1', 'secret-env': 'A' }, { KUBECONFIG: '/k' }, "::error::Input 'secret'"],
    [{ action: 'rollback' }, { KUBECONFIG: '/k' }, "::error::Input 'deployments'"],
    [{ images: 'web=nginx:1', strategy: 'blue-green', 'config-map': 'cm' }, { KUBECONFIG: '/k' }, "::error::Input 'config-map'"],
    [
      { images: 'web=nginx:1', strategy: 'blue-green', 'scale-down-delay': 'soon' },
      { KUBECONFIG: '/k' },
      "::error::Input 'scale-down-delay'",
    ],
  ])('%j fails with its one line', (inputs, env, line) => {
    const r = runEntry(inputs, env);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(line);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('::error::'))).toHaveLength(1);
  });

  it('good inputs go on to load the rest (which this copy lacks)', () => {
    const r = runEntry({ images: 'web=nginx:1' }, { KUBECONFIG: '/k' });
    expect(r.status).not.toBe(0);
    expect(`${r.stdout}${r.stderr}`).toMatch(/Cannot find module|ERR_MODULE_NOT_FOUND/);
  });
});
