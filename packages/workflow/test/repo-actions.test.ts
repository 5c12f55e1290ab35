/**
 * This repository's own actions inside a workflow, against the sandbox: `uses: ./kubectl-deploy`
 * (after actions/checkout of this repository at its HEAD commit) and
 * `uses: tripo04os/actions/notification@v1` (this checkout; no v1 tag yet: the working tree,
 * with one warning).
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { sandboxControl, sandboxEnv } from '@tripo04os/sandbox/testing';
import { runWorkflow } from '@tripo04os/workflow';

const repoRoot = resolve(import.meta.dirname, '..', '..', '..');
const sb = sandboxEnv();
const control = sandboxControl();

function kubectl(args: string[], input?: string): string {
  return execFileSync('/usr/bin/kubectl', args, { encoding: 'utf8', env: { ...process.env, KUBECONFIG: sb.KUBECONFIG }, input });
}

describe("this repository's actions in a workflow against the sandbox", () => {
  it('checkout, configure-aws-credentials, ./kubectl-deploy, then tripo04os/actions/notification@v1 with the deploy result', async () => {
    const id = randomBytes(3).toString('hex');
    const ns = `wf-${id}`;
    const v1 = (await control.pushImage(`wf-app-${id}`, 'v1')).image;
    const v2 = (await control.pushImage(`wf-app-${id}`, 'v2')).image;
    kubectl(
      ['apply', '-f', '-'],
      `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n---\napiVersion: apps/v1\nkind: Deployment\nmetadata: { name: app, namespace: ${ns} }\nspec:\n  replicas: 1\n  selector: { matchLabels: { app: app } }\n  template:\n    metadata: { labels: { app: app } }\n    spec:\n      containers:\n        - name: app\n          image: ${v1}\n`,
    );
    kubectl(['-n', ns, 'rollout', 'status', 'deployment/app', '--timeout=60s']);
    const hook = `${sb.SANDBOX_WEBHOOK_URL.replace(/\/+$/, '')}/hooks/wf-${id}`;
    const dir = mkdtempSync(join(tmpdir(), 'wf-repo-actions-'));
    const file = join(dir, 'deploy.yml');
    writeFileSync(
      file,
      `
name: deploy
on: push
permissions:
  contents: read
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment: staging
    outputs:
      result: \${{ steps.deploy.outputs.result }}
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2
        with:
          aws-access-key-id: \${{ secrets.AWS_ACCESS_KEY_ID }}
          aws-secret-access-key: \${{ secrets.AWS_SECRET_ACCESS_KEY }}
          aws-region: \${{ vars.AWS_REGION }}
      - id: deploy
        uses: ./kubectl-deploy
        with:
          cluster-name: \${{ vars.CLUSTER }}
          namespace: ${ns}
          images: app=\${{ vars.IMAGE }}
          timeout: 2m
          failure-grace: 2s
  notify:
    needs: deploy
    if: always()
    runs-on: ubuntu-latest
    steps:
      - uses: tripo04os/actions/notification@v1
        with:
          status: \${{ needs.deploy.result }}
          title: Deployed to staging
          webhook-url: \${{ secrets.WEBHOOK_URL }}
`,
    );
    const { KUBECONFIG: _k, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, ...machine } = sb;
    let output = '';
    const r = await runWorkflow({
      file,
      repo: repoRoot,
      event: 'push',
      env: machine,
      secrets: { AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, WEBHOOK_URL: hook },
      vars: { AWS_REGION: sb.AWS_REGION, CLUSTER: sb.SANDBOX_EKS_CLUSTER, IMAGE: v2 },
      approve: ['staging'],
      report: false,
      terminal: { write: (t) => void (output += t) },
    });
    if (r.exitCode !== 0) throw new Error(output);
    expect(r.record.jobs.map((j) => [j.id, j.result])).toEqual([
      ['deploy', 'success'],
      ['notify', 'success'],
    ]);
    expect(kubectl(['-n', ns, 'get', 'deployment', 'app', '-o', 'jsonpath={.spec.template.spec.containers[0].image}'])).toBe(v2);
    const result = JSON.parse(r.record.jobs[0]?.outputs.result ?? '[]');
    expect(result[0]).toMatchObject({ name: 'app', status: 'rolled out' });
    expect(output.match(/tripo04os\/actions@v1: no such ref/g)?.length ?? 0).toBeLessThanOrEqual(1);
    const calls = await control.webhooks(`/hooks/wf-${id}`);
    expect(calls).toHaveLength(1);
    expect(JSON.stringify(calls[0])).toContain('Deployed to staging');
    expect(JSON.stringify(r.record)).not.toContain(AWS_SECRET_ACCESS_KEY);
    expect(output).not.toContain(AWS_SECRET_ACCESS_KEY);
  });
});
