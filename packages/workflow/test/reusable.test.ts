/**
 * Reusable workflows (https://docs.github.com/en/actions/how-tos/reuse-automations/reuse-workflows):
 * inputs with types and defaults, secrets (explicit and inherit), outputs, nesting, the caller's
 * github context, workflow-level env not crossing the boundary.
 */
import { describe, expect, it } from '@jest/globals';
import { gitRepo, invalid, run } from './helpers.ts';

const callee = `
name: callee
on:
  workflow_call:
    inputs:
      service:
        type: string
        required: true
      replicas:
        type: number
        default: 2
      dry:
        type: boolean
        default: false
    secrets:
      api-key:
        required: true
    outputs:
      image:
        description: the image
        value: \${{ jobs.build.outputs.image }}
env:
  CALLEE_ENV: callee
jobs:
  build:
    runs-on: ubuntu-latest
    outputs:
      image: \${{ steps.b.outputs.image }}
    steps:
      - id: b
        run: |
          echo "service=$SERVICE replicas=$REPLICAS dry=$DRY key=$KEY caller_env=\${CALLER_ENV:-unset} callee_env=$CALLEE_ENV event=$EV sha=$SHA"
          echo "image=registry/$SERVICE:$SHORT" >> "$GITHUB_OUTPUT"
        env:
          SERVICE: \${{ inputs.service }}
          REPLICAS: \${{ inputs.replicas }}
          DRY: \${{ inputs.dry }}
          KEY: \${{ secrets.api-key }}
          EV: \${{ github.event_name }}
          SHA: \${{ github.sha }}
          SHORT: \${{ format('{0}-tag', inputs.replicas) }}
  deploy:
    needs: build
    strategy:
      matrix:
        env: [staging]
    uses: ./.github/workflows/deploy.yml
    with:
      target: \${{ matrix.env }}
    secrets: inherit
`;
const deploy = `
on:
  workflow_call:
    inputs:
      target:
        type: string
        required: true
jobs:
  rollout:
    runs-on: ubuntu-latest
    steps:
      - run: echo "deploying to $T with key $K"
        env:
          T: \${{ inputs.target }}
          K: \${{ secrets.api-key }}
`;

describe('reusable workflows (https://docs.github.com/en/actions/how-tos/reuse-automations/reuse-workflows)', () => {
  it('inputs (types, defaults), explicit secrets then inherit, outputs, two levels, caller github context, env not crossing', async () => {
    const r = await run(
      `
on: push
env:
  CALLER_ENV: caller
jobs:
  pipeline:
    uses: ./.github/workflows/callee.yml
    with:
      service: ai-support
    secrets:
      api-key: \${{ secrets.KEY }}
  after:
    needs: pipeline
    runs-on: ubuntu-latest
    steps:
      - run: echo "got $IMG"
        env:
          IMG: \${{ needs.pipeline.outputs.image }}
`,
      { files: { '.github/workflows/callee.yml': callee, '.github/workflows/deploy.yml': deploy }, secrets: { KEY: 'the-api-key-value' } },
    );
    expect(r.record.conclusion).toBe('success');
    expect(r.record.jobs.map((j) => [j.key, j.path, j.workflow, j.result])).toEqual(
      expect.arrayContaining([
        ['pipeline.build', 'pipeline / build', ['pipeline'], 'success'],
        ['pipeline.deploy.staging.rollout', 'pipeline / deploy (staging) / rollout', ['pipeline', 'deploy'], 'success'],
        ['after', 'after', [], 'success'],
      ]),
    );
    const build = r.log('pipeline.build');
    expect(build).toContain(
      `service=ai-support replicas=2 dry=false key=*** caller_env=unset callee_env=callee event=push sha=${r.record.sha}`,
    );
    expect(r.log('pipeline.deploy.staging.rollout')).toContain('deploying to staging with key ***');
    expect(r.log('after')).toContain('got registry/ai-support:2-tag');
    expect(r.job('after').needs).toEqual(expect.arrayContaining(['pipeline.build', 'pipeline.deploy.staging.rollout']));
    expect(JSON.stringify(r.record)).not.toContain('the-api-key-value');
  });

  it('secrets: inherit passes every caller secret', async () => {
    const r = await run(
      `
on: push
jobs:
  call:
    uses: ./.github/workflows/deploy.yml
    with:
      target: prod
    secrets: inherit
`,
      { files: { '.github/workflows/deploy.yml': deploy }, secrets: { 'api-key': 'inherited-secret' } },
    );
    expect(r.log('call.rollout')).toContain('deploying to prod with key ***');
  });

  it('a failing job in the callee fails the caller job and skips its dependents', async () => {
    const r = await run(
      `
on: push
jobs:
  call:
    uses: ./.github/workflows/fail.yml
  next:
    needs: call
    runs-on: ubuntu-latest
    steps:
      - run: echo never
`,
      { files: { '.github/workflows/fail.yml': 'on: workflow_call\njobs:\n  boom:\n    runs-on: x\n    steps:\n      - run: exit 1\n' } },
    );
    expect(r.record.conclusion).toBe('failure');
    expect(r.job('call.boom').result).toBe('failure');
    expect(r.job('next').result).toBe('skipped');
  });

  it("a missing required input is GitHub's error at the caller's uses:, exit 2", async () => {
    const msg = await invalid('on: push\njobs:\n  call:\n    uses: ./.github/workflows/callee.yml\n    secrets: inherit\n', {
      files: { '.github/workflows/callee.yml': callee, '.github/workflows/deploy.yml': deploy },
    });
    expect(msg).toMatch(/test\.yml:4:11 Input service is required, but not provided while calling\./);
  });

  it('a wrong input type fails the caller job', async () => {
    const r = await run(
      'on: push\njobs:\n  call:\n    uses: ./.github/workflows/callee.yml\n    with:\n      service: x\n      replicas: many\n    secrets: inherit\n',
      {
        files: { '.github/workflows/callee.yml': callee, '.github/workflows/deploy.yml': deploy },
        secrets: { 'api-key': 'key-value-123' },
      },
    );
    expect(r.record.conclusion).toBe('failure');
    expect(r.job('call').annotations[0]?.message).toContain("input 'replicas': expected a number");
  });

  it('OWNER/REPO/.github/workflows/x.yml@REF from a mapped repository: at the ref from git, else the working tree with one warning', async () => {
    const lib = gitRepo({
      '.github/workflows/lib.yml': 'on: workflow_call\njobs:\n  hi:\n    runs-on: x\n    steps:\n      - run: echo from-v1\n',
    });
    const { execFileSync } = await import('node:child_process');
    execFileSync('git', ['-C', lib, 'tag', 'v1']);
    gitRepo(
      { '.github/workflows/lib.yml': 'on: workflow_call\njobs:\n  hi:\n    runs-on: x\n    steps:\n      - run: echo from-main\n' },
      lib,
    );
    const wf = (ref: string) => `on: push\njobs:\n  call:\n    uses: acme/lib/.github/workflows/lib.yml@${ref}\n`;
    const tagged = await run(wf('v1'), { repoMap: { 'acme/lib': lib } });
    expect(tagged.log('call.hi')).toContain('from-v1');
    const missing = await run(wf('v9'), { repoMap: { 'acme/lib': lib } });
    expect(missing.log('call.hi')).toContain('from-main');
    expect(missing.output.match(/no such ref/g)).toHaveLength(1);
    const unmapped = await invalid(wf('v1'));
    expect(unmapped).toContain('acme/lib is not this repository; map it with --repo-map acme/lib=DIR');
  });

  it("nesting: 10 levels (the caller and 9 called workflows) run; an 11th is refused with GitHub's limit, exit 2", async () => {
    const chain = (levels: number) => {
      const files: Record<string, string> = {};
      for (let i = 1; i <= levels; i++) {
        const next =
          i < levels
            ? `  next:\n    uses: ./.github/workflows/l${i + 1}.yml\n`
            : '  leaf:\n    runs-on: x\n    steps:\n      - run: echo deepest\n';
        files[`.github/workflows/l${i}.yml`] = `on: workflow_call\njobs:\n${next}`;
      }
      return files;
    };
    const top = 'on: push\njobs:\n  l1:\n    uses: ./.github/workflows/l1.yml\n';
    const ok = await run(top, { files: chain(9) });
    const deepest = ok.record.jobs[0];
    expect(deepest?.workflow).toHaveLength(9);
    expect(deepest?.path).toBe('l1 / next / next / next / next / next / next / next / next / leaf');
    expect(ok.log(deepest?.key as string)).toContain('deepest');
    const msg = await invalid(top, { files: chain(10) });
    expect(msg).toContain('Reusable workflows can be nested 10 levels deep at most');
  });
});
