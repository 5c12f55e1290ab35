/**
 * Workflow checks: the repository's own workflows pass; each fixture under
 * test/fixtures/workflows/ fails on exactly the rule it breaks.
 */
import { join } from 'node:path';
import { repoRoot } from '@tripo04os/kit/harness';
import {
  checkWorkflow,
  checkWorkflows,
  expressionsIn,
  findWorkflows,
  formatProblem,
  pinProblem,
  shellFor,
} from '../../scripts/checks/index.ts';

const fixtures = join(repoRoot, 'test/fixtures/workflows');
const rulesOf = async (name: string) => {
  const problems = await checkWorkflow(join(fixtures, name));
  return { problems, rules: [...new Set(problems.map((p) => p.rule))] };
};

describe('the repository', () => {
  test('has workflows to check, this repo CI included', async () => {
    const found = await findWorkflows(repoRoot);
    expect(found).toContain(join(repoRoot, '.github/workflows/test.yml'));
  });
  test('every workflow passes actionlint, shellcheck, the run-expression rule and the pin rule', async () => {
    const problems = await checkWorkflows(repoRoot);
    expect(problems.map((p) => formatProblem(p, repoRoot))).toEqual([]);
  });
});

test('findWorkflows: .github/workflows and the workflows under examples/, recursively, not manifests', async () => {
  const root = join(repoRoot, 'test/fixtures/workflow-root');
  expect(await findWorkflows(root)).toEqual([join(root, '.github/workflows/ci.yml'), join(root, 'examples/ai-support/deploy.yaml')]);
  expect(await checkWorkflows(root)).toEqual([]);
});

describe('fixtures', () => {
  test('good.yml passes, with every allowed exception (own @v1, ./local, docker digest, pwsh)', async () => {
    expect((await rulesOf('good.yml')).problems).toEqual([]);
  });

  test('an expression inside run: fails with its line and the expression', async () => {
    const { problems, rules } = await rulesOf('run-expression.yml');
    expect(rules).toEqual(['run-expression']);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(17);
    expect(problems[0]?.message).toContain('${{ inputs.service }} inside a run: script; pass it through env:');
  });

  test('an untrusted expression inside run: fails the rule (and actionlint agrees)', async () => {
    const { problems, rules } = await rulesOf('run-expression-untrusted.yml');
    expect(rules.sort()).toEqual(['actionlint', 'run-expression']);
    expect(problems.find((p) => p.rule === 'run-expression')?.message).toContain('${{ github.event.pull_request.title }}');
  });

  test('shellcheck runs on run: scripts, with the line in the workflow', async () => {
    const { problems, rules } = await rulesOf('shellcheck.yml');
    expect(rules).toEqual(['shellcheck']);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.line).toBe(14);
    expect(problems[0]?.message).toMatch(/SC2086/);
  });

  test("shellcheck reads the step's shell: [[ ]] fails under sh", async () => {
    const { problems, rules } = await rulesOf('shellcheck-sh.yml');
    expect(rules).toEqual(['shellcheck']);
    expect(problems[0]?.message).toMatch(/SC3010/);
  });

  test('actionlint runs on every workflow', async () => {
    const { problems, rules } = await rulesOf('actionlint.yml');
    expect(rules).toEqual(['actionlint']);
    expect(problems[0]?.line).toBe(8);
    expect(problems[0]?.message).toContain('property "event_nmae" is not defined');
  });

  test('a job without permissions in a workflow that sets none fails the permissions rule', async () => {
    const { problems, rules } = await rulesOf('permissions.yml');
    expect(rules).toEqual(['permissions']);
    expect(problems.map((p) => [p.line, p.message])).toEqual([[12, expect.stringContaining("job 'default-token' has no permissions:")]]);
  });

  test('a job on a runner without timeout-minutes fails the timeout rule (a reusable-workflow call is exempt)', async () => {
    const { problems, rules } = await rulesOf('timeout.yml');
    expect(rules).toEqual(['timeout']);
    expect(problems.map((p) => p.message)).toEqual([expect.stringContaining("job 'forever' has no timeout-minutes:")]);
  });

  test.each([
    ['pin-tag.yml', 3, /not pinned to a full commit SHA/],
    ['pin-comment.yml', 2, /no '# vX.Y.Z' comment/],
    ['pin-docker.yml', 1, /not pinned by digest/],
    ['pin-own-sha-less.yml', 1, /tripo04os\/actions\/kubectl-deploy@main is not pinned/],
  ])('%s fails the pin rule only (%d problems)', async (name, count, message) => {
    const { problems, rules } = await rulesOf(name);
    expect(rules).toEqual(['pin']);
    expect(problems).toHaveLength(count);
    for (const p of problems) expect(p.message).toMatch(message);
  });
});

describe('rules in detail', () => {
  const sha = '3d3c42e5aac5ba805825da76410c181273ba90b1';
  test.each([
    [`actions/checkout@${sha}`, ' # v7.0.1', undefined],
    [`actions/checkout@${sha}`, '  #v7.0.1 with notes', undefined],
    [`github/codeql-action/init@${sha}`, ' # v4.31.2', undefined],
    ['tripo04os/actions/kubectl-deploy@v1', '', undefined],
    ['tripo04os/actions/.github/workflows/pipeline.yml@v2', '', undefined],
    ['./actions/local', '', undefined],
    [`docker://ghcr.io/x/y@sha256:${'a'.repeat(64)}`, '', undefined],
    [`actions/checkout@${sha}`, ' # v7', /no '# vX.Y.Z' comment/],
    [`actions/checkout@${sha}`, '', /no '# vX.Y.Z' comment/],
    [`actions/checkout@${sha.toUpperCase()}`, ' # v7.0.1', /not pinned to a full commit SHA/],
    ['actions/checkout@v7', ' # v7.0.1', /not pinned to a full commit SHA/],
    ['tripo04os/actions/kubectl-deploy@v1.2.3', '', undefined],
    ['tripo04os/actions/kubectl-deploy@v1.2', '', /not pinned to a full commit SHA/],
    ['tripo04os/other/x@v1', '', /not pinned to a full commit SHA/],
    ['docker://alpine', '', /not pinned by digest/],
    ['checkout', '', /not of the form OWNER\/REPO/],
  ])('%s%s', (uses, rest, expected) => {
    const why = pinProblem(uses, rest);
    if (expected === undefined) expect(why).toBeUndefined();
    else expect(why).toMatch(expected);
  });

  test.each([
    [undefined, { dialect: 'bash', prelude: 'set -e' }],
    ['bash', { dialect: 'bash', prelude: 'set -eo pipefail' }],
    ['sh', { dialect: 'sh', prelude: 'set -e' }],
    ['bash -x {0}', { dialect: 'bash', prelude: ':' }],
    ['/usr/bin/bash -ex {0}', { dialect: 'bash', prelude: 'set -e' }],
    ['pwsh', undefined],
    ['python', undefined],
    ['${{ inputs.shell }}', undefined],
  ])('shell %j is checked as %j', (shell, expected) => {
    expect(shellFor(shell)).toEqual(expected);
  });

  test('expressionsIn finds each expression and its line', () => {
    expect(expressionsIn('a\necho ${{ x }} ${{ y }}\n${{\n z }}')).toEqual([
      { line: 2, expression: '${{ x }}' },
      { line: 2, expression: '${{ y }}' },
      { line: 3, expression: '${{\n z }}' },
    ]);
    expect(expressionsIn('echo "${HOME}" $((1+1))')).toEqual([]);
  });
});
