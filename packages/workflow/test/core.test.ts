/**
 * Conformance: one behaviour per workflow, with the outcome GitHub documents (the docs page is
 * cited in each test name or comment).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { invalid, run } from './helpers.ts';

const WS = 'https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-syntax';

describe('jobs: needs, if, outputs', () => {
  it(`an output written to GITHUB_OUTPUT reaches needs.*.outputs (${WS}#jobsjob_idoutputs)`, async () => {
    const r = await run(`
on: push
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      x: \${{ steps.s.outputs.x }}
      multi: \${{ steps.s.outputs.multi }}
    steps:
      - id: s
        run: |
          echo "x=1" >> "$GITHUB_OUTPUT"
          { echo "multi<<EOF"; echo "line 1"; echo "line 2"; echo "EOF"; } >> "$GITHUB_OUTPUT"
  use:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo "x=$X multi=$M"
        env:
          X: \${{ needs.build.outputs.x }}
          M: \${{ needs.build.outputs.multi }}
`);
    expect(r.exitCode).toBe(0);
    expect(r.record.conclusion).toBe('success');
    expect(r.job('build').outputs).toEqual({ x: '1', multi: 'line 1\nline 2' });
    expect(r.log('use')).toContain('x=1 multi=line 1');
    expect(r.job('use').needs).toEqual(['build']);
  });

  it(`a failed need skips its dependents; if: always() cleanup still runs; failure() sees an ancestor's failure (${WS}#jobsjob_idneeds)`, async () => {
    const r = await run(`
on: push
jobs:
  fail:
    runs-on: ubuntu-latest
    steps:
      - run: exit 3
  after:
    needs: fail
    runs-on: ubuntu-latest
    steps:
      - run: echo never
  after2:
    needs: after
    runs-on: ubuntu-latest
    steps:
      - run: echo never
  on-failure:
    needs: after
    if: failure()
    runs-on: ubuntu-latest
    steps:
      - run: echo reporting
  cleanup:
    needs: [fail, after]
    if: always()
    runs-on: ubuntu-latest
    steps:
      - run: echo "cleanup sees $R"
        env:
          R: \${{ needs.fail.result }}
`);
    expect(r.exitCode).toBe(1);
    expect(r.record.conclusion).toBe('failure');
    expect(r.job('fail').result).toBe('failure');
    expect(r.job('fail').steps[0]).toMatchObject({ outcome: 'failure', conclusion: 'failure' });
    expect(r.log('fail')).toContain('##[error]Process completed with exit code 3.');
    expect(r.job('after').result).toBe('skipped');
    expect(r.job('after').steps).toEqual([]);
    expect(r.job('after2').result).toBe('skipped');
    expect(r.job('on-failure').result).toBe('success');
    expect(r.job('cleanup').result).toBe('success');
    expect(r.log('cleanup')).toContain('cleanup sees failure');
  });

  it(`a job with continue-on-error does not fail the run (${WS}#jobsjob_idcontinue-on-error)`, async () => {
    const r = await run(`
on: push
jobs:
  flaky:
    runs-on: ubuntu-latest
    continue-on-error: true
    steps:
      - run: exit 1
  next:
    needs: flaky
    runs-on: ubuntu-latest
    steps:
      - run: echo ran
`);
    expect(r.record.conclusion).toBe('success');
    expect(r.job('flaky').result).toBe('failure');
    expect(r.job('next').result).toBe('success');
  });

  it(`independent jobs run in parallel, --max-parallel bounds them (${WS}#jobs)`, async () => {
    const wf = `
on: push
jobs:
${['a', 'b', 'c'].map((j) => `  ${j}:\n    runs-on: ubuntu-latest\n    steps:\n      - run: sleep 1\n`).join('')}`;
    const par = await run(wf);
    const starts = par.record.jobs.map((j) => Date.parse(j.started));
    const ends = par.record.jobs.map((j) => Date.parse(j.ended));
    // all three were running at the same time
    expect(Math.max(...starts)).toBeLessThan(Math.min(...ends));
    const serial = await run(wf, { maxParallel: 1 });
    const s = serial.record.jobs
      .map((j) => [Date.parse(j.started), Date.parse(j.ended)])
      .sort((a, b) => (a[0] as number) - (b[0] as number));
    for (let i = 1; i < s.length; i++) expect((s[i] as number[])[0]).toBeGreaterThanOrEqual((s[i - 1] as number[])[1] as number);
  });
});

describe('steps', () => {
  it(`continue-on-error: outcome failure, conclusion success; steps.<id>.outcome (https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#steps-context)`, async () => {
    const r = await run(`
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - id: bad
        continue-on-error: true
        run: exit 2
      - run: echo "outcome=$O conclusion=$C"
        env:
          O: \${{ steps.bad.outcome }}
          C: \${{ steps.bad.conclusion }}
      - if: \${{ steps.bad.outcome == 'failure' }}
        run: echo handled
`);
    expect(r.record.conclusion).toBe('success');
    expect(r.job('j').steps.map((s) => [s.outcome, s.conclusion])).toEqual([
      ['failure', 'success'],
      ['success', 'success'],
      ['success', 'success'],
    ]);
    expect(r.log('j')).toContain('outcome=failure conclusion=success');
    expect(r.log('j')).toContain('handled');
  });

  it(`after a failed step the next steps are skipped unless if: always()/failure() (${WS}#jobsjob_idstepsif)`, async () => {
    const r = await run(`
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: "false"
      - run: echo skipped
      - if: failure()
        run: echo on-failure
      - if: always()
        run: echo "always, job.status=$S"
        env:
          S: \${{ job.status }}
`);
    expect(r.job('j').steps.map((s) => s.conclusion)).toEqual(['failure', 'skipped', 'success', 'success']);
    expect(r.log('j')).toContain('on-failure');
    expect(r.log('j')).toContain('always, job.status=failure');
  });

  it(`job.status is the job's current status: success, then failure after a failed step (https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#job-context)`, async () => {
    const r = await run(`
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - env:
          S: \${{ job.status }}
        run: echo "before=$S"
      - run: "false"
      - if: always()
        env:
          S: \${{ job.status }}
          T: \${{ job.status == 'success' && 'succeeded' || 'failed' }}
        run: echo "after=$S title=$T"
`);
    expect(r.log('j')).toContain('before=success');
    expect(r.log('j')).toContain('after=failure title=failed');
  });

  it(`env: workflow < job < step; GITHUB_ENV and GITHUB_PATH reach the later steps (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands#environment-files)`, async () => {
    const r = await run(`
on: push
env:
  A: wf
  B: wf
  C: wf
jobs:
  j:
    runs-on: ubuntu-latest
    env:
      B: job
      C: job
    steps:
      - run: |
          echo "A=$A B=$B C=$C"
          echo "FROM_FILE=set by a step" >> "$GITHUB_ENV"
          mkdir -p "$RUNNER_TEMP/bin" && printf '#!/bin/sh\\necho hello from path\\n' > "$RUNNER_TEMP/bin/hello-tool" && chmod +x "$RUNNER_TEMP/bin/hello-tool"
          echo "$RUNNER_TEMP/bin" >> "$GITHUB_PATH"
        env:
          C: step
      - run: |
          echo "next: $FROM_FILE / ctx: $CTX"
          hello-tool
        env:
          CTX: \${{ env.FROM_FILE }}
`);
    const log = r.log('j');
    expect(log).toContain('A=wf B=job C=step');
    expect(log).toContain('next: set by a step / ctx: set by a step');
    expect(log).toContain('hello from path');
  });

  it(`defaults.run shell and working-directory; sh, python and custom shells (${WS}#jobsjob_idstepsshell)`, async () => {
    const r = await run(
      `
on: push
defaults:
  run:
    shell: sh
jobs:
  j:
    runs-on: ubuntu-latest
    defaults:
      run:
        working-directory: sub
    steps:
      - run: mkdir -p sub && echo created
        working-directory: .
      - run: echo "dir=$(basename "$PWD") shell=$0"
      - shell: python
        run: |
          import sys
          print("python", sys.version_info[0])
      - shell: bash --noprofile --norc -c 'echo custom; cat {0}'
        run: echo body
      - shell: bash
        run: |
          false | cat
          echo "not reached: bash runs with -o pipefail"
`,
    );
    const log = r.log('j');
    expect(log).toMatch(/dir=sub shell=.*\.sh/);
    expect(log).toContain('python 3');
    expect(log).toContain('custom');
    expect(log).toContain('echo body');
    expect(r.job('j').steps.map((s) => s.conclusion)).toEqual(['success', 'success', 'success', 'success', 'failure']);
  });

  it(`step timeout-minutes fails the step (${WS}#jobsjob_idstepstimeout-minutes)`, async () => {
    const r = await run(`
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - timeout-minutes: 0.02
        run: sleep 30
`);
    expect(r.job('j').result).toBe('failure');
    expect(r.log('j')).toContain('timed out');
  });

  it(`job timeout-minutes cancels the running step and fails the job (${WS}#jobsjob_idtimeout-minutes)`, async () => {
    const r = await run(`
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    timeout-minutes: 0.02
    steps:
      - run: sleep 30
`);
    expect(r.job('j').result).toBe('failure');
    expect(r.log('j')).toContain('exceeded the maximum execution time');
  });
});

describe('commands and masking (https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands)', () => {
  it('a secret echoed by a step is masked in the log, run.json, outputs and summaries; ::add-mask:: too', async () => {
    const r = await run(
      `
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    outputs:
      leak: \${{ steps.s.outputs.leak }}
    steps:
      - id: s
        name: step \${{ secrets.TOKEN }}
        run: |
          echo "token is $TOKEN"
          echo "::add-mask::generated-123"
          echo "value generated-123"
          echo "leak=$TOKEN" >> "$GITHUB_OUTPUT"
          echo "summary $TOKEN generated-123" >> "$GITHUB_STEP_SUMMARY"
          echo "::error::failed with $TOKEN"
        env:
          TOKEN: \${{ secrets.TOKEN }}
`,
      { secrets: { TOKEN: 's3cr3t-value' } },
    );
    const all = [r.log('j'), readFileSync(join(r.out, 'run.json'), 'utf8'), readFileSync(join(r.out, 'summary.md'), 'utf8'), r.output].join(
      '\n',
    );
    expect(all).not.toContain('s3cr3t-value');
    expect(all).not.toContain('generated-123');
    expect(r.log('j')).toContain('token is ***');
    expect(r.log('j')).toContain('value ***');
    expect(r.log('j')).toContain('##[error]failed with ***');
    expect(readFileSync(join(r.out, 'summaries/j.md'), 'utf8')).toContain('summary *** ***');
    // GitHub drops a job output that holds a secret
    expect(r.job('j').outputs).toEqual({});
    expect(r.log('j')).toContain("Skip output 'leak' since it may contain secret.");
    expect(r.job('j').steps[0]?.name).toBe('step ***');
  });

  it('::group::, annotations with file and line, ::stop-commands:: and the raw-log markers', async () => {
    const r = await run(`
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - name: first
        run: |
          echo "::group::Build"
          echo inside
          echo "::endgroup::"
          echo "::warning file=app.py,line=7::look here"
          echo "::notice title=Note::fyi"
          echo "::stop-commands::pause-token"
          echo "::error::not a command now"
          echo "::pause-token::"
          echo "::error::a command again"
`);
    const lines = r.log('j').split('\n');
    expect(lines).toEqual(
      expect.arrayContaining([
        '##[step]first',
        '##[group]Build',
        'inside',
        '##[endgroup]',
        '##[warning]look here',
        '::error::not a command now',
        '##[error]a command again',
      ]),
    );
    expect(r.job('j').annotations).toEqual([
      { level: 'warning', message: 'look here', file: 'app.py', line: 7, step: 'first' },
      { level: 'notice', message: 'Note: fyi', step: 'first' },
      { level: 'error', message: 'a command again', step: 'first' },
    ]);
  });
});

describe('matrix (https://docs.github.com/en/actions/how-tos/write-workflows/choose-what-workflows-do/run-job-variations)', () => {
  it('include/exclude, the matrix and strategy contexts, one run.json entry per leg', async () => {
    const r = await run(`
on: push
jobs:
  test:
    runs-on: ubuntu-latest
    strategy:
      matrix:
        os: [linux, mac]
        py: ['3.11', '3.12']
        exclude:
          - os: mac
            py: '3.11'
        include:
          - os: linux
            extra: yes
          - os: windows
            py: '3.13'
    steps:
      - run: echo "leg $OS $PY $EXTRA $I/$N"
        env:
          OS: \${{ matrix.os }}
          PY: \${{ matrix.py }}
          EXTRA: \${{ matrix.extra }}
          I: \${{ strategy.job-index }}
          N: \${{ strategy.job-total }}
`);
    const legs = r.record.jobs.map((j) => j.matrix).sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
    expect(legs).toEqual([
      { os: 'linux', py: '3.11', extra: 'yes' },
      { os: 'linux', py: '3.12', extra: 'yes' },
      { os: 'mac', py: '3.12' },
      { os: 'windows', py: '3.13' },
    ]);
    expect(r.record.jobs.map((j) => j.path).sort()).toEqual([
      'test (linux, 3.11, yes)',
      'test (linux, 3.12, yes)',
      'test (mac, 3.12)',
      'test (windows, 3.13)',
    ]);
    expect(new Set(r.record.jobs.map((j) => j.id))).toEqual(new Set(['test']));
    expect(r.output).toContain('leg mac 3.12  ');
  });

  it('a failing leg with fail-fast (the default) cancels the other legs', async () => {
    const r = await run(`
on: push
jobs:
  t:
    runs-on: ubuntu-latest
    strategy:
      max-parallel: 1
      matrix:
        n: [1, 2, 3]
    steps:
      - run: test "$N" != 1
        env:
          N: \${{ matrix.n }}
`);
    expect(r.record.conclusion).toBe('failure');
    const res = Object.fromEntries(r.record.jobs.map((j) => [String(j.matrix?.n), j.result]));
    expect(res).toEqual({ '1': 'failure', '2': 'cancelled', '3': 'cancelled' });
  });

  it('a failing leg with fail-fast: false lets the other legs finish', async () => {
    const r = await run(`
on: push
jobs:
  t:
    runs-on: ubuntu-latest
    strategy:
      fail-fast: false
      max-parallel: 1
      matrix:
        n: [1, 2, 3]
    steps:
      - run: test "$N" != 1
        env:
          N: \${{ matrix.n }}
`);
    expect(r.record.conclusion).toBe('failure');
    const res = Object.fromEntries(r.record.jobs.map((j) => [String(j.matrix?.n), j.result]));
    expect(res).toEqual({ '1': 'failure', '2': 'success', '3': 'success' });
  });

  it('a matrix from fromJSON(needs.*.outputs) and matrix outputs (the last successful leg that sets a value)', async () => {
    const r = await run(`
on: push
jobs:
  plan:
    runs-on: ubuntu-latest
    outputs:
      m: \${{ steps.p.outputs.m }}
    steps:
      - id: p
        run: echo 'm={"svc":["a","b"]}' >> "$GITHUB_OUTPUT"
  build:
    needs: plan
    runs-on: ubuntu-latest
    strategy:
      max-parallel: 1
      matrix: \${{ fromJSON(needs.plan.outputs.m) }}
    outputs:
      last: \${{ steps.s.outputs.v }}
    steps:
      - id: s
        run: echo "v=$SVC" >> "$GITHUB_OUTPUT"
        env:
          SVC: \${{ matrix.svc }}
  after:
    needs: build
    runs-on: ubuntu-latest
    steps:
      - run: echo "last=$L"
        env:
          L: \${{ needs.build.outputs.last }}
`);
    expect(r.record.conclusion).toBe('success');
    expect(r.record.jobs.filter((j) => j.id === 'build').map((j) => j.matrix)).toEqual([{ svc: 'a' }, { svc: 'b' }]);
    expect(r.log('after')).toContain('last=b');
  });
});

describe('environment, concurrency, permissions', () => {
  const wf = `
on: push
permissions:
  contents: read
concurrency:
  group: deploy-\${{ github.ref }}
jobs:
  deploy:
    runs-on: ubuntu-latest
    environment:
      name: production
      url: https://example.com
    steps:
      - run: echo deploying
`;
  it(`a job in an environment that is not approved waits and fails as not approved (https://docs.github.com/en/actions/how-tos/deploy/configure-and-manage-deployments/manage-environments)`, async () => {
    const r = await run(wf);
    expect(r.job('deploy').result).toBe('failure');
    expect(r.log('deploy')).toContain('production: not approved');
    expect(r.log('deploy')).not.toContain('deploying');
  });
  it(`--approve runs it; the concurrency group is evaluated and permissions shown (${WS}#concurrency)`, async () => {
    const r = await run(wf, { approve: ['production'] });
    expect(r.job('deploy').result).toBe('success');
    expect(r.job('deploy').environment).toEqual({ name: 'production' });
    expect(r.job('deploy').concurrency).toBe('deploy-refs/heads/main');
    expect(r.job('deploy').permissions).toEqual({ contents: 'read' });
    expect(r.log('deploy')).toContain('concurrency group: deploy-refs/heads/main');
  });
});

describe('events and contexts (https://docs.github.com/en/actions/reference/workflows-and-actions/contexts#github-context)', () => {
  it('push: head_commit with a timestamp, GITHUB_* variables, the runner context, hashFiles()', async () => {
    const r = await run(
      `
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
      - run: |
          echo "ts=$TS msg=$MSG os=$OS"
          echo "sha=$GITHUB_SHA ref=$GITHUB_REF event=$GITHUB_EVENT_NAME"
          echo "hash=$H"
          jq -r .head_commit.id "$GITHUB_EVENT_PATH" 2>/dev/null || python3 -c "import json,os; print(json.load(open(os.environ['GITHUB_EVENT_PATH']))['head_commit']['id'])"
        env:
          TS: \${{ github.event.head_commit.timestamp }}
          MSG: \${{ github.event.head_commit.message }}
          OS: \${{ runner.os }}
          H: \${{ hashFiles('**/*.txt') }}
`,
      { files: { 'a.txt': 'hello\n' } },
    );
    const log = r.log('j');
    expect(log).toMatch(/ts=\d{4}-\d\d-\d\dT\S+ msg=test commit os=Linux/);
    expect(log).toContain(`sha=${r.record.sha} ref=refs/heads/main event=push`);
    expect(log).toMatch(/hash=[0-9a-f]{64}/);
    expect(log).toContain(r.record.sha);
  });

  it('pull_request: github.event.pull_request.head.sha, head_ref and base_ref', async () => {
    const r = await run(
      `
on: pull_request
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: echo "head=$H head_ref=$HR base_ref=$BR ref=$GITHUB_REF"
        env:
          H: \${{ github.event.pull_request.head.sha }}
          HR: \${{ github.head_ref }}
          BR: \${{ github.base_ref }}
`,
      { event: 'pull_request', ref: 'refs/heads/feature' },
    );
    expect(r.log('j')).toContain(`head=${r.record.sha} head_ref=feature base_ref=main ref=refs/pull/1/merge`);
  });

  it('a workflow whose branch filter does not match prints why and runs nothing (https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows#push)', async () => {
    const r = await run(`
on:
  push:
    branches: [release/**]
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: echo ran
`);
    expect(r.exitCode).toBe(0);
    expect(r.record.jobs).toEqual([]);
    expect(r.output).toContain("not run: branch 'main' matches none of");
  });

  it('paths filters are matched against the files changed by the commit', async () => {
    const wf = (paths: string) => `
on:
  push:
    paths: ['${paths}']
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: echo ran
`;
    expect((await run(wf('src/**'), { files: { 'src/app.py': 'x' } })).record.jobs).toHaveLength(1);
    const no = await run(wf('docs/**'), { files: { 'src/app.py': 'x' } });
    expect(no.record.jobs).toHaveLength(0);
    expect(no.output).toContain('no changed file matches paths');
  });

  it('schedule: github.event.schedule is the cron (https://docs.github.com/en/actions/reference/workflows-and-actions/events-that-trigger-workflows#schedule)', async () => {
    const r = await run(
      'on:\n  schedule:\n    - cron: "30 5 * * 1"\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: echo "cron=$C"\n        env:\n          C: ${{ github.event.schedule }}\n',
      {
        event: 'schedule',
      },
    );
    expect(r.log('j')).toContain('cron=30 5 * * 1');
  });

  it('the event the workflow does not handle runs nothing', async () => {
    const r = await run('on: pull_request\njobs:\n  j:\n    runs-on: x\n    steps:\n      - run: "true"\n');
    expect(r.record.jobs).toEqual([]);
    expect(r.output).toContain("does not run on 'push'");
  });

  it('workflow_dispatch inputs: typed inputs context, github.event.inputs as strings', async () => {
    const r = await run(
      `
on:
  workflow_dispatch:
    inputs:
      dry:
        type: boolean
        default: false
      env:
        type: choice
        options: [staging, production]
        required: true
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - if: inputs.dry
        run: echo "dry run to $E ($S)"
        env:
          E: \${{ inputs.env }}
          S: \${{ github.event.inputs.dry }}
`,
      { event: 'workflow_dispatch', inputs: { dry: 'true', env: 'staging' } },
    );
    expect(r.log('j')).toContain('dry run to staging (true)');
  });
});

describe('bad input: one clear line, exit 2, nothing run', () => {
  it("an invalid workflow is shown as file:line:col with GitHub's message", async () => {
    const msg = await invalid(`
on: push
jobs:
  a:
    runs-on: ubuntu-latest
    steps:
      - run: echo hi
  b:
    runs-on: ubuntu-latest
    needs: missing
    steps:
      - run: echo hi
`);
    expect(msg).toMatch(/test\.yml:10:\d+ Job 'b' depends on unknown job 'missing'/);
  });
  it('an unknown third-party action names the action and the stand-ins', async () => {
    const msg = await invalid('on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: someone/unknown-action@v1\n');
    expect(msg).toMatch(/test\.yml:6:\d+ uses: someone\/unknown-action@v1: third-party actions cannot be fetched here.*actions\/checkout/);
    expect(msg.split('\n')).toHaveLength(1);
  });
  it('a stand-in refuses an input the real action does not have', async () => {
    const msg = await invalid(
      'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          depth: 1\n',
    );
    expect(msg).toMatch(/test\.yml:8:\d+ uses: actions\/checkout@v4: input 'depth' does not exist in the real actions\/checkout/);
  });
  it('an unknown service image', async () => {
    const msg = await invalid(
      'on: push\njobs:\n  a:\n    runs-on: x\n    services:\n      db:\n        image: mysql:8\n    steps:\n      - run: "true"\n',
    );
    expect(msg).toMatch(/test\.yml:7:\d+ services\.db: image mysql:8: only postgres:N and redis:N/);
  });
  it('docker:// actions are not supported here', async () => {
    const msg = await invalid('on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: docker://alpine:3\n');
    expect(msg).toContain('Docker actions are not supported here');
  });
  it('a bad --input: unknown name, wrong type, missing required', async () => {
    const wf =
      'on:\n  workflow_dispatch:\n    inputs:\n      n:\n        type: number\n        required: true\njobs:\n  a:\n    runs-on: x\n    steps:\n      - run: "true"\n';
    expect(await invalid(wf, { event: 'workflow_dispatch', inputs: { n: 'abc' } })).toBe('--input n=abc: expected a number');
    expect(await invalid(wf, { event: 'workflow_dispatch', inputs: { n: '1', other: 'x' } })).toBe(
      "--input other=x: the workflow has no input 'other' (inputs: n)",
    );
    expect(await invalid(wf, { event: 'workflow_dispatch', inputs: {} })).toBe('--input n: required by the workflow and not given');
  });
});
