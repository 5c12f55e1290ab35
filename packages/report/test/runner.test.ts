// Real runs: small workflows (a matrix, a reusable workflow, a masked secret) run by the
// workflow runner, which writes report.html at the end of the run through writeReport; the
// page is then opened in Chromium.
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Browser, launch, openReport, shot } from '@tripo04os/report/browser';
import { runWorkflow } from '@tripo04os/workflow';
import { expectJobsAndEdges } from './page-checks.ts';

const SECRET = 'tok-Zr7q-41nd-secret';

const PIPELINE = (failLeg: string) => `name: Pipeline
on: push
permissions: {}
jobs:
  lint:
    runs-on: ubuntu-latest
    steps:
      - name: Lint
        run: |
          echo "::group::Install linter"
          echo "installing ruff"
          echo "::endgroup::"
          echo "All checks passed!"
  test:
    needs: lint
    strategy:
      fail-fast: false
      matrix:
        python: ['3.11', '3.12']
    runs-on: ubuntu-latest
    steps:
      - name: Log in
        env:
          TOKEN: \${{ secrets.TOKEN }}
        run: echo "logging in with $TOKEN"
      - name: Test
        env:
          PY: \${{ matrix.python }}
          TOKEN: \${{ secrets.TOKEN }}
        run: |
          printf '### Tests on %s\\n\\n| suite | passed |\\n| --- | ---: |\\n| unit | 42 |\\n\\ntoken: %s\\n' "$PY" "$TOKEN" >> "$GITHUB_STEP_SUMMARY"
          if [ "$PY" = "${failLeg}" ]; then
            echo "E   AssertionError: expected score 0.93, got 0.41"
            echo "::error file=tests/test_score.py,line=12::expected score 0.93, got 0.41"
            exit 1
          fi
          echo "42 passed"
  deploy:
    needs: test
    uses: ./.github/workflows/deploy.yml
  notify:
    needs: deploy
    if: always()
    runs-on: ubuntu-latest
    steps:
      - name: Notify
        run: echo "::warning::no webhook configured"
`;

const DEPLOY = `name: deploy
on: workflow_call
jobs:
  prepare:
    runs-on: ubuntu-latest
    steps:
      - run: echo "rendered 3 manifests"
  rollout:
    needs: prepare
    runs-on: ubuntu-latest
    steps:
      - run: echo "green is live"
`;

let browser: Browser;
let tmp: string;
beforeAll(async () => {
  browser = await launch();
  tmp = await mkdtemp(join(tmpdir(), 'report-runner-'));
});
afterAll(async () => {
  await browser?.close();
  await rm(tmp, { recursive: true, force: true });
});

async function runPipeline(name: string, failLeg: string) {
  const repo = join(tmp, name, 'repo');
  for (const [file, text] of Object.entries({
    '.github/workflows/pipeline.yml': PIPELINE(failLeg),
    '.github/workflows/deploy.yml': DEPLOY,
  })) {
    await mkdir(dirname(join(repo, file)), { recursive: true });
    await writeFile(join(repo, file), text);
  }
  const git = (...args: string[]) => execFileSync('git', ['-C', repo, ...args], { stdio: 'pipe' });
  execFileSync('git', ['init', '-q', '-b', 'main', repo]);
  git('add', '-A');
  git('-c', 'user.name=Test', '-c', 'user.email=test@example.com', 'commit', '-qm', 'pipeline');
  const out = join(tmp, name, 'out');
  let output = '';
  const r = await runWorkflow({
    file: join(repo, '.github/workflows/pipeline.yml'),
    repo,
    event: 'push',
    out,
    secrets: { TOKEN: SECRET },
    terminal: { write: (t) => void (output += t) },
  });
  const file = join(out, 'report.html');
  // The runner wrote the page at the end of the run and said where.
  expect(output).toContain(`report: ${file}`);
  const run = JSON.parse(await readFile(join(out, 'run.json'), 'utf8')) as { jobs: { key: string; result: string; needs: string[] }[] };
  return { r, out, file, run, output };
}

describe('reports of real runs by the workflow runner', () => {
  it('a green run with a matrix and a reusable workflow', async () => {
    const { r, file, run } = await runPipeline('green', 'none');
    expect(r.record.conclusion).toBe('success');
    const { page, requests, errors } = await openReport(browser, file);
    await expectJobsAndEdges(page, run);
    expect(run.jobs.map((j) => j.key)).toEqual(expect.arrayContaining(['deploy.prepare', 'deploy.rollout', 'test.3.11', 'test.3.12']));
    await expect(page.locator('.group-label').allTextContents()).resolves.toEqual(expect.arrayContaining(['deploy', 'test (matrix)']));
    await page.locator('button.job[data-key="test.3.11"]').click();
    await expect(page.locator('#job .markdown h3').textContent()).resolves.toBe('Tests on 3.11');
    await expect(page.locator('#job .markdown td').allTextContents()).resolves.toEqual(['unit', '42']);
    await page.locator('button.job[data-key=lint]').click();
    await page.locator('#job .step > button', { hasText: 'Lint' }).click();
    const group = page.locator('#job .log .group > button');
    await expect(group.textContent()).resolves.toContain('Install linter');
    await expect(group.getAttribute('aria-expanded')).resolves.toBe('false');
    await expect(page.locator('#job .log .l .t').allTextContents()).resolves.toEqual(['All checks passed!']);
    await shot(page, 'runner-green');
    expect(requests).toEqual([]);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a failed matrix leg: skipped dependents, the error line one click away, the secret nowhere', async () => {
    const { r, file, out, run } = await runPipeline('failed', '3.12');
    expect(r.record.conclusion).toBe('failure');
    const html = await readFile(file, 'utf8');
    expect(html).not.toContain(SECRET);
    const { page, errors } = await openReport(browser, file);
    await expectJobsAndEdges(page, run);
    const word = (key: string) => page.locator(`button.job[data-key="${key}"] .word`).textContent();
    await expect(word('test.3.12')).resolves.toBe('failure');
    await expect(word('test.3.11')).resolves.toBe('success');
    await expect(word('notify')).resolves.toBe('success');
    const skipped = run.jobs.filter((j) => j.result === 'skipped').map((j) => j.key);
    expect(skipped.length).toBeGreaterThan(0);
    for (const key of skipped) await expect(word(key)).resolves.toBe('skipped');

    await page.locator('button.job[data-result=failure]').click();
    await expect(page.locator('#job h2 .path').textContent()).resolves.toBe('test (3.12)');
    const error = page.locator('#job .log .l.error .t').first();
    await expect(error.textContent()).resolves.toBe('Error: expected score 0.93, got 0.41');
    expect(await error.isVisible()).toBe(true);
    await expect(page.locator('#job .annotations .where').first().textContent()).resolves.toContain('tests/test_score.py:12');
    // Every step and group unfolded, every job opened: the secret is still nowhere.
    const folded = page.locator('#job [aria-expanded=false]');
    while (await folded.count()) await folded.first().click();
    await expect(page.locator('#job .steps').textContent()).resolves.toContain('logging in with ***');
    await expect(page.locator('#job .markdown').textContent()).resolves.toContain('token: ***');
    await shot(page, 'runner-failed-job', false);
    let text = await page.content();
    for (const j of run.jobs) {
      await page.locator(`button.job[data-key="${j.key}"]`).click();
      text += await page.locator('#job').textContent();
    }
    expect(text).not.toContain(SECRET);
    expect(await readFile(join(out, 'run.json'), 'utf8')).not.toContain(SECRET);
    expect(errors).toEqual([]);
    await page.close();
  });
});
