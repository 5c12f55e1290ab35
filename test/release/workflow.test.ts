/**
 * .github/workflows/release.yml run through the workflow runner: a tag that does not equal
 * lerna.json's version fails the first job, so the suite, the move of vX and the release never
 * run, and the GitHub API (a stand-in on loopback, named by GITHUB_API_URL) hears nothing.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { repoRoot } from '@tripo04os/kit/harness';
import { runWorkflow } from '@tripo04os/workflow';

test('a tag that does not match lerna.json fails before anything is moved or published', async () => {
  const calls: string[] = [];
  const api = createServer((req: IncomingMessage, res) => {
    calls.push(`${req.method} ${req.url}`);
    res.writeHead(201, { 'content-type': 'application/json' }).end('{"html_url":"http://127.0.0.1/r"}');
  });
  await new Promise<void>((r) => api.listen(0, '127.0.0.1', r));
  const apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`;
  try {
    const version = JSON.parse(readFileSync(join(repoRoot, 'lerna.json'), 'utf8')).version as string;
    const wrong = `v${version.split('.')[0]}.99.0`;
    const { exitCode, out, record } = await runWorkflow({
      file: join(repoRoot, '.github/workflows/release.yml'),
      repo: repoRoot,
      event: 'push',
      ref: `refs/tags/${wrong}`,
      env: { ...(process.env as Record<string, string>), GITHUB_API_URL: apiUrl },
      terminal: { write: () => {} },
      report: false,
    });
    expect(exitCode).toBe(1);
    expect(record.conclusion).toBe('failure');
    const verify = record.jobs.find((j) => j.id === 'verify');
    expect(verify?.result).toBe('failure');
    const tagStep = verify?.steps.find((s) => s.name === 'The tag is the version in lerna.json');
    expect(tagStep?.conclusion).toBe('failure');
    // npm ci and the dist/ check never ran
    expect(verify?.steps.filter((s) => s.conclusion === 'success').map((s) => s.name)).not.toContain('npm ci');
    const log = readFileSync(join(out, verify?.log ?? ''), 'utf8');
    expect(log).toContain(`tag ${wrong} does not match lerna.json's version ${version}`);
    const publish = record.jobs.find((j) => j.id === 'publish');
    expect(publish?.result).toBe('skipped');
    expect(record.jobs.filter((j) => j.path.startsWith('test')).every((j) => j.result === 'skipped')).toBe(true);
    expect(calls).toEqual([]);
  } finally {
    api.close();
  }
}, 180_000);
