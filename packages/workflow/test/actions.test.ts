/**
 * uses: JavaScript actions (pre, main, post with saved state, pre-if/post-if), composite actions
 * (inputs, outputs, nested uses) and the local stand-ins for third-party actions.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/metadata-syntax
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { run } from './helpers.ts';

const jsAction = {
  'my-action/action.yml': `
name: my action
inputs:
  who:
    description: who
    default: world
  token:
    description: token
    default: \${{ github.token }}
outputs:
  greeting:
    description: the greeting
runs:
  using: node24
  pre: pre.js
  main: main.js
  post: post.js
  post-if: always()
`,
  'my-action/pre.js': `
const fs = require('node:fs');
fs.appendFileSync(process.env.GITHUB_STATE, 'from-pre=pre-value\\n');
console.log('pre ran for ' + process.env['INPUT_WHO']);
`,
  'my-action/main.js': `
const fs = require('node:fs');
console.log('main: who=' + process.env.INPUT_WHO + ' pre-state=' + process.env['STATE_from-pre'] + ' token-set=' + (process.env.INPUT_TOKEN.length > 0));
fs.appendFileSync(process.env.GITHUB_STATE, 'from-main=main-value\\n');
fs.appendFileSync(process.env.GITHUB_OUTPUT, 'greeting=hello ' + process.env.INPUT_WHO + '\\n');
console.log('action path ' + process.env.GITHUB_ACTION_PATH);
if (process.env.INPUT_WHO === 'fail') process.exit(1);
`,
  'my-action/post.js': `
console.log('post: state=' + process.env['STATE_from-main'] + ',' + process.env['STATE_from-pre']);
`,
  'my-action/package.json': '{"type":"commonjs"}',
  'composite/action.yml': `
name: composite
inputs:
  name:
    description: name
    required: true
outputs:
  shout:
    description: shouted
    value: \${{ steps.up.outputs.value }}
runs:
  using: composite
  steps:
    - id: up
      shell: bash
      run: echo "value=$(echo "$N" | tr a-z A-Z)" >> "$GITHUB_OUTPUT"
      env:
        N: \${{ inputs.name }}
    - name: nested
      uses: ./my-action
      with:
        who: nested-\${{ inputs.name }}
    - shell: bash
      run: echo "in composite, action path is $GITHUB_ACTION_PATH"
`,
};

describe('JavaScript and composite actions', () => {
  it('pre, main and post run with the saved state; outputs and the default inputs (${{ github.token }}) reach the step', async () => {
    const r = await run(
      `
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: a
        uses: ./my-action
        with:
          who: tester
      - run: echo "said $G"
        env:
          G: \${{ steps.a.outputs.greeting }}
`,
      { files: jsAction },
    );
    expect(r.record.conclusion).toBe('success');
    const log = r.log('j');
    // ./ actions need the checkout first: on GitHub the pre of a local action does not run either.
    expect(log).toContain('main: who=tester pre-state=undefined token-set=true');
    expect(log).toContain('said hello tester');
    expect(log).toContain('post: state=main-value');
    expect(r.job('j').steps.map((s) => s.name)).toEqual([
      'Run actions/checkout@v4',
      'Run ./my-action',
      'Run echo "said $G"',
      'Post Run ./my-action',
    ]);
  });

  it('a failing action fails the step; its post still runs (post-if: always())', async () => {
    const r = await run(
      `
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: ./my-action
        with:
          who: fail
`,
      { files: jsAction },
    );
    expect(r.job('j').result).toBe('failure');
    expect(r.log('j')).toContain('post: state=main-value');
  });

  it('the pre step of a remote action runs at job start and hands its state to main and post', async () => {
    const lib = (await import('./helpers.ts')).gitRepo(jsAction);
    const r = await run(
      `
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - run: echo first step
      - uses: acme/tools/my-action@main
        with:
          who: remote
`,
      { repoMap: { 'acme/tools': lib } },
    );
    const log = r.log('j');
    expect(log.indexOf('pre ran for remote')).toBeLessThan(log.indexOf('first step'));
    expect(log).toContain('main: who=remote');
    expect(log).toContain('post: state=main-value,pre-value');
  });

  it('a composite action: inputs, outputs, nested uses, its own action path', async () => {
    const r = await run(
      `
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - id: c
        uses: ./composite
        with:
          name: abc
      - run: echo "shout=$S"
        env:
          S: \${{ steps.c.outputs.shout }}
`,
      { files: jsAction },
    );
    expect(r.record.conclusion).toBe('success');
    const log = r.log('j');
    expect(log).toContain('main: who=nested-abc');
    expect(log).toContain('shout=ABC');
    expect(log).toMatch(/in composite, action path is \S+\/composite/);
    expect(log).toContain('##[group]nested');
  });

  it('a local action without a checkout fails like on GitHub', async () => {
    const r = await run('on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - uses: ./my-action\n', { files: jsAction });
    expect(r.job('j').result).toBe('failure');
    expect(r.log('j')).toContain('Did you forget to run actions/checkout');
  });
});

describe('stand-ins for third-party actions (packages/workflow/README.md)', () => {
  it('actions/checkout puts the event commit in the workspace, with path', async () => {
    const r = await run(
      `
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2
        with:
          path: src
          fetch-depth: 0
      - run: cat src/hello.txt && git -C src rev-parse HEAD
`,
      { files: { 'hello.txt': 'hello from the repo' } },
    );
    expect(r.log('j')).toContain('hello from the repo');
    expect(r.log('j')).toContain(r.record.sha);
  });

  it('upload-artifact and download-artifact share files across jobs through artifacts/', async () => {
    const r = await run(`
on: push
jobs:
  make:
    runs-on: ubuntu-latest
    steps:
      - run: mkdir -p dist && echo built > dist/app.txt && echo more > dist/b.txt
      - uses: actions/upload-artifact@v4
        with:
          name: app
          path: dist/
  use:
    needs: make
    runs-on: ubuntu-latest
    steps:
      - uses: actions/download-artifact@v4
        with:
          name: app
          path: got
      - run: cat got/app.txt
`);
    expect(r.record.conclusion).toBe('success');
    expect(readFileSync(join(r.out, 'artifacts/app/app.txt'), 'utf8')).toBe('built\n');
    expect(r.record.artifacts).toEqual([{ name: 'app', size: 11, files: 2 }]);
    expect(r.log('use')).toContain('built');
  });

  it('actions/cache: a miss saves at job end, the next job hits', async () => {
    const r = await run(`
on: push
jobs:
  first:
    runs-on: ubuntu-latest
    steps:
      - id: c
        uses: actions/cache@v4
        with:
          path: deps
          key: deps-\${{ hashFiles('**/*.lock') }}-\${{ github.run_id }}
      - run: mkdir -p deps && echo cached > deps/x && echo "hit=$H"
        env:
          H: \${{ steps.c.outputs.cache-hit }}
  second:
    needs: first
    runs-on: ubuntu-latest
    steps:
      - id: c
        uses: actions/cache@v4
        with:
          path: deps
          key: deps-\${{ hashFiles('**/*.lock') }}-\${{ github.run_id }}
      - run: echo "hit=$H content=$(cat deps/x)"
        env:
          H: \${{ steps.c.outputs.cache-hit }}
`);
    expect(r.log('first')).toContain('hit=false');
    expect(r.log('second')).toContain('hit=true content=cached');
  });

  it('actions/setup-python: the host python3, and a clear error for a version it cannot meet', async () => {
    const ok = await run(`
on: push
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - id: py
        uses: actions/setup-python@v5
        with:
          python-version: '3.x'
      - run: python --version && echo "v=$V"
        env:
          V: \${{ steps.py.outputs.python-version }}
      - name: pip is offline in a virtual environment that sees the host's packages
        run: |
          python -c 'import sys; print("venv=" + str(sys.prefix != sys.base_prefix))'
          python -m pip install pip
          if python -m pip install surely-not-installed-xyz 2>&1; then echo "installed?"; else echo "refused offline"; fi
`);
    expect(ok.log('j')).toMatch(/v=3\.\d+\.\d+/);
    expect(ok.log('j')).toContain('venv=True');
    expect(ok.log('j')).toMatch(/Requirement already satisfied: pip/);
    expect(ok.log('j')).toMatch(/No matching distribution found for surely-not-installed-xyz[\s\S]*refused offline/);
    const bad = await run(
      'on: push\njobs:\n  j:\n    runs-on: x\n    steps:\n      - uses: actions/setup-python@v5\n        with:\n          python-version: "2.7"\n',
    );
    expect(bad.job('j').result).toBe('failure');
    expect(bad.log('j')).toMatch(/python-version: 2\.7: this machine has Python 3\.\d+\.\d+ only/);
  });

  it('codeql upload-sarif keeps a valid SARIF under artifacts/ and refuses one without runs[]; trivy-action says the scan did NOT run', async () => {
    const r = await run(`
on: push
jobs:
  scan:
    runs-on: ubuntu-latest
    steps:
      - uses: aquasecurity/trivy-action@0.28.0
        with:
          image-ref: registry/app:1
          format: sarif
          output: trivy.sarif
      - uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: trivy.sarif
      - run: echo '{"version":"2.1.0"}' > bad.sarif
      - uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: bad.sarif
`);
    const sarif = JSON.parse(readFileSync(join(r.out, 'artifacts/sarif/trivy.sarif'), 'utf8'));
    expect(sarif.runs[0].results).toEqual([]);
    expect(sarif.runs[0].invocations[0].executionSuccessful).toBe(false);
    expect(sarif.runs[0].properties.note).toContain('did NOT run');
    expect(r.job('scan').annotations[0]).toMatchObject({ level: 'warning', message: expect.stringContaining('Trivy did NOT run') });
    expect(r.job('scan').steps.map((s) => s.conclusion)).toEqual(['success', 'success', 'success', 'failure']);
    expect(r.log('scan')).toContain('not SARIF (no runs[] array)');
    expect(existsSync(join(r.out, 'artifacts/sarif/bad.sarif'))).toBe(false);
  });

  it('configure-aws-credentials with role-to-assume calls STS AssumeRoleWithWebIdentity at AWS_ENDPOINT_URL_STS and exports masked credentials', async () => {
    const { createServer } = await import('node:http');
    const bodies: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d) => (body += d));
      req.on('end', () => {
        bodies.push(body);
        res.setHeader('content-type', 'text/xml');
        res.end(
          '<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleWithWebIdentityResult>' +
            '<Credentials><AccessKeyId>ASIALOCALKEY</AccessKeyId><SecretAccessKey>sts-secret-value-xyz</SecretAccessKey>' +
            '<SessionToken>sts-session-token-xyz</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration></Credentials>' +
            '<AssumedRoleUser><Arn>arn:aws:sts::123456789012:assumed-role/deploy/GitHubActions</Arn><AssumedRoleId>AROA:GitHubActions</AssumedRoleId></AssumedRoleUser>' +
            '</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>r1</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>',
        );
      });
    });
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as { port: number }).port;
    try {
      const r = await run(
        `
on: push
permissions:
  id-token: write
jobs:
  j:
    runs-on: ubuntu-latest
    steps:
      - uses: aws-actions/configure-aws-credentials@e3dd6a429d7300a6a4c196c26e071d42e0343502 # v4.0.2
        with:
          role-to-assume: arn:aws:iam::123456789012:role/deploy
          aws-region: eu-west-1
      - run: echo "key=$AWS_ACCESS_KEY_ID secret=$AWS_SECRET_ACCESS_KEY session=$AWS_SESSION_TOKEN region=$AWS_REGION"
`,
        { env: { AWS_ENDPOINT_URL_STS: `http://127.0.0.1:${port}` } },
      );
      expect(r.record.conclusion).toBe('success');
      expect(bodies[0]).toContain('Action=AssumeRoleWithWebIdentity');
      expect(decodeURIComponent(bodies[0] as string)).toContain('RoleArn=arn:aws:iam::123456789012:role/deploy');
      expect(r.log('j')).toContain('key=ASIALOCALKEY secret=*** session=*** region=eu-west-1');
    } finally {
      server.close();
    }
  });
});
