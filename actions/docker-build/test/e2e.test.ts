/**
 * End-to-end: the bundled action (docker-build/action.yml → actions/docker-build/dist) run by
 * the runner harness against the sandbox: ECR through the sandbox's AWS endpoint (SigV4, the
 * SDK's default credential chain), the real registry behind it, the real Docker engine and
 * buildah, and skopeo to check what landed in the registry.
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeRepositoriesCommand, ECRClient, GetLifecyclePolicyCommand } from '@aws-sdk/client-ecr';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { exec } from '@tripo04os/common';
import { leaks, type RunResult, repoRoot, runAction } from '@tripo04os/kit/harness';
import { sandboxControl, sandboxEnv } from '@tripo04os/sandbox/testing';

type SandboxEnv = ReturnType<typeof sandboxEnv>;

const action = join(repoRoot, 'docker-build');
const HEAD_SHA = 'feedfacecafebeef0000111122223333444455556';
const MERGE_SHA = '0000aaaa1111bbbb2222cccc3333dddd4444eeee';
const repository = {
  name: 'ai-support',
  full_name: 'tripo04os/ai-support',
  description: 'AI support service',
  html_url: 'https://github.com/tripo04os/ai-support',
  default_branch: 'main',
  license: { spdx_id: 'MIT' },
};

let env: SandboxEnv;
let ecr: ECRClient;
let work: string;
let context: string;
let dockerConfig: string;
let authFile: string;
const suffix = Date.now().toString(36);
const repoName = (name: string) => `e2e-${name}-${suffix}`;
/** A push in the log: `docker push`, or one through the Engine API. */
const PUSHED = /^(\$ docker push |Pushing \S+ \(Docker Engine API at )/m;

beforeAll(async () => {
  const info = await exec('docker', ['info', '--format', '{{.ServerVersion}}']).catch(() => ({
    code: 1,
    stdout: '',
    stderr: 'docker not found',
  }));
  if (info.code !== 0) {
    throw new Error(
      `The Docker daemon is not running (docker info: ${info.stderr.trim().split('\n').pop()}). Start it as root: dockerd --storage-driver=vfs --iptables=false --bridge=none & (.ci/run does this)`,
    );
  }
  env = sandboxEnv();
  ecr = new ECRClient({
    region: env.AWS_REGION,
    endpoint: env.AWS_ENDPOINT_URL_ECR,
    credentials: { accessKeyId: env.AWS_ACCESS_KEY_ID, secretAccessKey: env.AWS_SECRET_ACCESS_KEY },
  });
  work = await mkdtemp(join(tmpdir(), 'docker-build-e2e-'));
  context = join(work, 'app');
  await exec('mkdir', ['-p', context, join(work, 'docker'), join(work, 'containers')]);
  await writeFile(join(context, 'Dockerfile'), 'FROM scratch\nARG VCS_REF\nCOPY hello.txt /hello.txt\n');
  await writeFile(join(context, 'hello.txt'), `hello from ${suffix}\n`);
  dockerConfig = join(work, 'docker');
  authFile = join(work, 'containers', 'auth.json');
});

afterAll(() => ecr?.destroy());

/** The sandbox's AWS and registry settings, as a job gets them from configure-aws-credentials. */
function stepEnv(extra: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    AWS_REGION: env.AWS_REGION,
    AWS_ACCESS_KEY_ID: env.AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY: env.AWS_SECRET_ACCESS_KEY,
    AWS_ENDPOINT_URL_ECR: env.AWS_ENDPOINT_URL_ECR,
    CONTAINERS_REGISTRIES_CONF: env.CONTAINERS_REGISTRIES_CONF,
    // Each job's own credential stores, so logins of parallel suites do not mix.
    DOCKER_CONFIG: dockerConfig,
    REGISTRY_AUTH_FILE: authFile,
    ...extra,
  };
}

interface EventSetup {
  event: { name: string; payload: unknown };
  context: Record<string, string>;
}

function pushEvent(ref: string, sha = HEAD_SHA): EventSetup {
  return {
    event: { name: 'push', payload: { ref, after: sha, repository } },
    context: { GITHUB_REF: ref, GITHUB_SHA: sha, GITHUB_REF_NAME: ref.replace(/^refs\/(heads|tags)\//, '') },
  };
}

async function build(
  inputs: Record<string, string>,
  event: EventSetup = pushEvent('refs/heads/main'),
  extraEnv: Record<string, string | undefined> = {},
) {
  return runAction({ action, inputs, env: stepEnv(extraEnv), cwd: context, timeoutMs: 180_000, ...event });
}

/** The manifest digest of a tag as the registry has it, through skopeo. */
async function registryDigest(image: string): Promise<string> {
  const r = await exec('skopeo', [
    '--registries-conf',
    env.CONTAINERS_REGISTRIES_CONF,
    'inspect',
    '--tls-verify=false',
    '--creds',
    `${env.SANDBOX_REGISTRY_USER}:${env.SANDBOX_REGISTRY_PASSWORD}`,
    `docker://${image}`,
  ]);
  if (r.code !== 0) throw new Error(`skopeo inspect ${image}: ${r.stderr}`);
  return (JSON.parse(r.stdout) as { Digest: string }).Digest;
}

async function registryLabels(image: string): Promise<Record<string, string>> {
  const r = await exec('skopeo', [
    '--registries-conf',
    env.CONTAINERS_REGISTRIES_CONF,
    'inspect',
    '--tls-verify=false',
    '--creds',
    `${env.SANDBOX_REGISTRY_USER}:${env.SANDBOX_REGISTRY_PASSWORD}`,
    `docker://${image}`,
  ]);
  return (JSON.parse(r.stdout) as { Labels: Record<string, string> }).Labels;
}

async function repositoryExists(name: string): Promise<boolean> {
  try {
    await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    return true;
  } catch (err) {
    if ((err as { name?: string }).name === 'RepositoryNotFoundException') return false;
    throw err;
  }
}

function expectNoLeak(r: RunResult) {
  expect(leaks(r, env.SANDBOX_REGISTRY_PASSWORD)).toEqual([]);
  // Not even printed before it was masked: only the ::add-mask:: command itself carries it.
  const printed = (log: string) =>
    log
      .split('\n')
      .filter((l) => !l.startsWith('::add-mask::'))
      .join('\n');
  expect(printed(r.rawLog)).not.toContain(env.SANDBOX_REGISTRY_PASSWORD);
  expect(printed(r.post?.rawLog ?? '')).not.toContain(env.SANDBOX_REGISTRY_PASSWORD);
}

/** An output of a run ('' when unset). */
function o(r: RunResult, name: string): string {
  return r.outputs[name] ?? '';
}

function explain(r: RunResult): string {
  return `exit ${r.exitCode}; errors ${JSON.stringify(r.errors)}\n${r.log.slice(-3000)}`;
}

describe.each(['docker', 'buildah'] as const)('with the %s builder', (builder) => {
  const name = repoName(builder);

  test('a push to main: ECR login, repository created, every tag in the registry, digest equal to the registry', async () => {
    expect(await repositoryExists(name)).toBe(false);
    const r = await build({ repository: name, builder });
    expect(r.exitCode).toBe(0);
    if (r.exitCode !== 0) throw new Error(explain(r));

    const image = `${env.SANDBOX_REGISTRY}/${name}`;
    expect(o(r, 'image')).toBe(image);
    expect(o(r, 'tags').split('\n')).toEqual([`${image}:main`, `${image}:sha-${HEAD_SHA.slice(0, 7)}`]);
    expect(o(r, 'digest')).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(o(r, 'image-ref')).toBe(`${image}@${o(r, 'digest')}`);
    expect(o(r, 'imageid')).toMatch(/^sha256:[0-9a-f]{64}$/);
    for (const ref of o(r, 'tags').split('\n')) expect(await registryDigest(ref)).toBe(o(r, 'digest'));
    expect(await registryDigest(o(r, 'image-ref'))).toBe(o(r, 'digest'));

    // The repository was created with scan on push and the default lifecycle policy.
    const repos = await ecr.send(new DescribeRepositoriesCommand({ repositoryNames: [name] }));
    expect(repos.repositories?.[0]?.imageScanningConfiguration?.scanOnPush).toBe(true);
    expect(repos.repositories?.[0]?.imageTagMutability).toBe('MUTABLE');
    const policy = await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: name }));
    expect(JSON.parse(policy.lifecyclePolicyText ?? '{}').rules[0].selection.tagStatus).toBe('untagged');

    // OCI labels from the event payload, on the image in the registry.
    const labels = await registryLabels(`${image}:main`);
    expect(labels).toMatchObject({
      'org.opencontainers.image.title': 'ai-support',
      'org.opencontainers.image.source': 'https://github.com/tripo04os/ai-support',
      'org.opencontainers.image.revision': HEAD_SHA,
      'org.opencontainers.image.version': 'main',
      'org.opencontainers.image.licenses': 'MIT',
    });
    expect(JSON.parse(o(r, 'metadata'))).toMatchObject({ image, digest: o(r, 'digest'), builder, pushed: true, latest: false });

    // Job summary, and the password nowhere.
    expect(r.summary).toContain(o(r, 'digest'));
    expect(r.summary).toContain('Build time');
    expect(r.masked).toContain(env.SANDBOX_REGISTRY_PASSWORD);
    expectNoLeak(r);

    // The post step logged out of the registry.
    expect(r.post?.exitCode).toBe(0);
    const store = builder === 'buildah' ? authFile : join(dockerConfig, 'config.json');
    const auths = JSON.parse(await readFile(store, 'utf8').catch(() => '{}')) as { auths?: Record<string, unknown> };
    expect(Object.keys(auths.auths ?? {})).not.toContain(env.SANDBOX_REGISTRY);
  });

  test('release v2.0.0 takes latest; a backport v1.4.9 afterwards does not move it', async () => {
    const image = `${env.SANDBOX_REGISTRY}/${name}`;
    const v2 = await build({ repository: name, builder }, pushEvent('refs/tags/v2.0.0'));
    if (v2.exitCode !== 0) throw new Error(explain(v2));
    expect(o(v2, 'tags').split('\n')).toEqual([
      `${image}:2.0.0`,
      `${image}:2.0`,
      `${image}:sha-${HEAD_SHA.slice(0, 7)}`,
      `${image}:latest`,
    ]);
    expect(await registryDigest(`${image}:latest`)).toBe(o(v2, 'digest'));

    const backport = await build({ repository: name, builder }, pushEvent('refs/tags/v1.4.9', 'abcdef0123456789abcdef0123456789abcdef01'));
    if (backport.exitCode !== 0) throw new Error(explain(backport));
    expect(o(backport, 'tags').split('\n')).toEqual([`${image}:1.4.9`, `${image}:1.4`, `${image}:sha-abcdef0`]);
    expect(o(backport, 'digest')).not.toBe(o(v2, 'digest'));
    expect(await registryDigest(`${image}:1.4.9`)).toBe(o(backport, 'digest'));
    expect(await registryDigest(`${image}:latest`)).toBe(o(v2, 'digest'));
    expect(backport.summary).toContain('1.4.9 is older than 2.0.0');
    expectNoLeak(backport);
  });
});

describe('scan gate (ECR findings seeded in the sandbox)', () => {
  const name = repoName('scan');

  test('fails on a CRITICAL finding of the pushed image, after the outputs are set', async () => {
    await sandboxControl().seedFindings({
      repository: name,
      status: 'COMPLETE',
      pendingPolls: 1,
      findings: [
        { name: 'CVE-2026-0001', severity: 'CRITICAL', uri: 'https://nvd.example/CVE-2026-0001' },
        { name: 'CVE-2026-0002', severity: 'LOW' },
      ],
    });
    const r = await build({ repository: name, builder: 'docker', scan: 'ecr', 'scan-timeout': '60s' });
    expect(r.exitCode).toBe(1);
    const image = `${env.SANDBOX_REGISTRY}/${name}`;
    const sha = `${image}:sha-${HEAD_SHA.slice(0, 7)}`;
    expect(r.errors).toEqual([
      `Scan found 1 vulnerability at or above HIGH in ${image}@${o(r, 'digest')}: CVE-2026-0001 (CRITICAL); not moved: ${image}:main`,
    ]);
    expect(o(r, 'digest')).toMatch(/^sha256:/);
    // The immutable tag was pushed and scanned; the mutable one (the branch) never moved.
    expect(o(r, 'tags')).toBe(sha);
    expect(await registryDigest(sha)).toBe(o(r, 'digest'));
    await expect(registryDigest(`${image}:main`)).rejects.toThrow(/manifest unknown|not found/i);
    expect(r.summary).toContain('held back: the gate did not pass');
    expect(r.summary).toMatch(/\| CRITICAL \| HIGH \| MEDIUM \| LOW \| INFORMATIONAL \|\n\| --- .*\n\| 1 \| 0 \| 0 \| 1 \| 0 \|/);
    expectNoLeak(r);
  });

  test('passes on LOW findings', async () => {
    await sandboxControl().seedFindings({ repository: name, status: 'COMPLETE', findings: [{ name: 'CVE-2026-0003', severity: 'LOW' }] });
    const r = await build({ repository: name, builder: 'docker', scan: 'ecr', 'scan-timeout': '60s' });
    if (r.exitCode !== 0) throw new Error(explain(r));
    expect(r.log).toContain('Scan: CRITICAL 0, HIGH 0, MEDIUM 0, LOW 1');
    // The mutable tag moved after the scan, to the scanned digest.
    expect(r.log.indexOf('Scan: CRITICAL 0')).toBeLessThan(r.log.indexOf(`${env.SANDBOX_REGISTRY}/${name}:main → `));
    expect(await registryDigest(`${env.SANDBOX_REGISTRY}/${name}:main`)).toBe(o(r, 'digest'));
    expect(r.summary).toContain('| 0 | 0 | 0 | 1 | 0 |');
  });
});

describe('scan gate with trivy (a stand-in trivy binary on the PATH; the real one is not packaged here)', () => {
  // The stand-in records its arguments and the registry user it got through the environment and
  // writes a schema-2 JSON report with one finding of SEVERITY.
  const stub = (dir: string) => `#!/bin/sh
echo "$@" > "${dir}/args"
echo "$TRIVY_USERNAME:\${#TRIVY_PASSWORD}" > "${dir}/creds"
out=""
while [ $# -gt 0 ]; do
  if [ "$1" = "--output" ]; then out="$2"; fi
  shift
done
cat > "$out" <<JSON
{"SchemaVersion":2,"Results":[{"Target":"app","Vulnerabilities":[{"VulnerabilityID":"CVE-2026-7777","PkgName":"openssl","InstalledVersion":"3.0.1","FixedVersion":"3.0.2","Severity":"$SEVERITY"}]}]}
JSON
`;

  test.each([
    ['CRITICAL', 1],
    ['LOW', 0],
  ] as const)('a %s finding', async (severity, exitCode) => {
    const bin = await mkdtemp(join(tmpdir(), 'trivy-stub-'));
    await writeFile(join(bin, 'trivy'), stub(bin));
    await chmod(join(bin, 'trivy'), 0o755);
    const r = await build(
      { repository: repoName('trivy'), builder: 'docker', scan: 'trivy', 'ignore-unfixed': 'true' },
      pushEvent('refs/heads/main'),
      {
        PATH: `${bin}:${process.env.PATH}`,
        SEVERITY: severity,
      },
    );
    expect(r.exitCode).toBe(exitCode);
    const args = (await readFile(join(bin, 'args'), 'utf8')).trim().split(' ');
    expect(args.slice(0, 3)).toEqual(['image', '--format', 'json']);
    expect(args).toContain('--ignore-unfixed');
    expect(args).toContain('--insecure');
    expect(args.at(-1)).toBe(o(r, 'image-ref'));
    // Registry credentials reach trivy through its environment, never its arguments.
    expect(await readFile(join(bin, 'creds'), 'utf8')).toBe(`${env.SANDBOX_REGISTRY_USER}:${env.SANDBOX_REGISTRY_PASSWORD.length}\n`);
    expect(args.join(' ')).not.toContain(env.SANDBOX_REGISTRY_PASSWORD);
    if (exitCode === 1)
      expect(r.errors).toEqual([
        expect.stringMatching(/^Scan found 1 vulnerability at or above HIGH in .+: CVE-2026-7777 \(CRITICAL\); not moved: .+:main$/),
      ]);
    expect(r.summary).toContain('Scan (trivy, COMPLETE)');
    expectNoLeak(r);
  });
});

describe('a pull request', () => {
  test('is built, not pushed, and tagged pr-N and with the head commit; logout: false keeps the login', async () => {
    const name = repoName('pr');
    const prConfig = await mkdtemp(join(tmpdir(), 'docker-build-pr-'));
    const r = await build(
      { repository: name, builder: 'docker', tags: 'type=ref,event=pr\ntype=sha', logout: 'false' },
      {
        event: {
          name: 'pull_request',
          payload: { number: 7, repository, pull_request: { number: 7, head: { sha: HEAD_SHA, ref: 'feature/x' }, base: { ref: 'main' } } },
        },
        context: { GITHUB_REF: 'refs/pull/7/merge', GITHUB_SHA: MERGE_SHA, GITHUB_REF_NAME: '7/merge' },
      },
      { DOCKER_CONFIG: prConfig },
    );
    if (r.exitCode !== 0) throw new Error(explain(r));
    const image = `${env.SANDBOX_REGISTRY}/${name}`;
    expect(o(r, 'tags').split('\n')).toEqual([`${image}:pr-7`, `${image}:sha-${HEAD_SHA.slice(0, 7)}`]);
    expect(o(r, 'digest')).toBe('');
    expect(await repositoryExists(name)).toBe(false);
    const inspect = await exec('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', `${image}:pr-7`]);
    expect(JSON.parse(inspect.stdout)['org.opencontainers.image.revision']).toBe(HEAD_SHA);
    expectNoLeak(r);
    // logout: false: the post step left the registry login in place.
    const config = JSON.parse(await readFile(join(prConfig, 'config.json'), 'utf8')) as { auths?: Record<string, unknown> };
    expect(Object.keys(config.auths ?? {})).toContain(env.SANDBOX_REGISTRY);
    await exec('docker', ['logout', env.SANDBOX_REGISTRY], { env: { ...process.env, DOCKER_CONFIG: prConfig } });
  });
});

describe('the login and the build (issue 15: a build that needs no registry runs first, the login beside it)', () => {
  /** A build context of its own with this Dockerfile, and a credential store no run has used. */
  async function fresh(dockerfile: string) {
    const dir = await mkdtemp(join(tmpdir(), 'docker-build-login-'));
    await writeFile(join(dir, 'Dockerfile'), dockerfile);
    await writeFile(join(dir, 'hello.txt'), `hello ${dir}\n`);
    return { dir, config: await mkdtemp(join(tmpdir(), 'docker-build-login-config-')) };
  }
  const run = (
    inputs: Record<string, string>,
    where: { dir: string; config: string },
    extraEnv: Record<string, string> = {},
    event = pushEvent('refs/heads/main'),
  ) =>
    runAction({
      action,
      inputs,
      env: stepEnv({ DOCKER_CONFIG: where.config, ...extraEnv }),
      cwd: where.dir,
      timeoutMs: 180_000,
      ...event,
    });
  const at = (log: string, line: string) => {
    const i = log.indexOf(line);
    if (i < 0) throw new Error(`no '${line}' in the log:\n${log}`);
    return i;
  };

  test('a base image in the same registry: logged in before the build, which pulls it', async () => {
    const base = await sandboxControl().pushImage(repoName('base'), '1');
    const where = await fresh(`FROM ${base.image}\nCOPY hello.txt /hello.txt\n`);
    const r = await run({ repository: repoName('on-base'), builder: 'docker', tags: 'type=sha' }, where);
    if (r.exitCode !== 0) throw new Error(explain(r));
    expect(at(r.log, 'Login Succeeded')).toBeLessThan(at(r.log, 'Successfully built'));
    expect(await registryDigest(`${env.SANDBOX_REGISTRY}/${repoName('on-base')}:sha-${HEAD_SHA.slice(0, 7)}`)).toBe(o(r, 'digest'));
  });

  test("FROM scratch: the login runs beside the build, its lines after the build's, and the push has it", async () => {
    const where = await fresh('FROM scratch\nCOPY hello.txt /hello.txt\n');
    const r = await run({ repository: repoName('beside'), builder: 'docker', tags: 'type=sha' }, where);
    if (r.exitCode !== 0) throw new Error(explain(r));
    expect(at(r.log, 'Successfully built')).toBeLessThan(at(r.log, '$ docker login'));
    const ref = `${env.SANDBOX_REGISTRY}/${repoName('beside')}:sha-${HEAD_SHA.slice(0, 7)}`;
    // The push goes through the Engine API with the ECR token: no `docker push` process.
    expect(at(r.log, 'Login Succeeded')).toBeLessThan(at(r.log, `Pushing ${ref} (Docker Engine API at /var/run/docker.sock)`));
    expect(r.log).not.toContain('$ docker push');
    expect(r.log).toMatch(new RegExp(`^sha-${HEAD_SHA.slice(0, 7)}: digest: sha256:[0-9a-f]{64} size: \\d+$`, 'm'));
    expect(await registryDigest(ref)).toBe(o(r, 'digest'));
    expectNoLeak(r);
  });

  test('the build needs no registry: it runs first, untagged, and is tagged through the Engine API once the name is known', async () => {
    const where = await fresh('FROM scratch\nCOPY hello.txt /hello.txt\n');
    const r = await run({ repository: repoName('first'), builder: 'docker', tags: 'type=sha' }, where);
    if (r.exitCode !== 0) throw new Error(explain(r));
    const ref = `${env.SANDBOX_REGISTRY}/${repoName('first')}:sha-${HEAD_SHA.slice(0, 7)}`;
    // The build's command has no -t: the image has no name until the registry answers.
    const buildLine = r.log.split('\n').find((l) => l.startsWith('$ docker build')) ?? '';
    expect(buildLine).not.toContain(' -t ');
    expect(r.log).toMatch(
      new RegExp(`Tagged sha256:[0-9a-f]{64} as ${ref.replace(/[.]/g, '\\.')} \\(Docker Engine API at /var/run/docker\\.sock\\)`),
    );
    expect(at(r.log, 'Successfully built')).toBeLessThan(at(r.log, 'ECR repository'));
    expect(await registryDigest(ref)).toBe(o(r, 'digest'));
  });

  test('with the registry refusing the credentials, a build that needs none has run; the run fails with the registry error and pushes nothing', async () => {
    const where = await fresh('FROM scratch\nCOPY hello.txt /hello.txt\n');
    const r = await run({ repository: repoName('refused'), builder: 'docker', tags: 'type=sha' }, where, {
      AWS_SECRET_ACCESS_KEY: 'not-the-secret-key',
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(/ECR (GetAuthorizationToken|DescribeRepositories)/);
    expect(r.log).toContain('Successfully built');
    expect(r.log).not.toContain('$ docker login');
    expect(r.log).not.toMatch(PUSHED);
  });

  test('a release whose latest depends on the tags in the repository opens the registry first: refused, nothing is built', async () => {
    const where = await fresh('FROM scratch\nCOPY hello.txt /hello.txt\n');
    const r = await run(
      { repository: repoName('release-first'), builder: 'docker', tags: 'type=semver,pattern={{version}}' },
      where,
      { AWS_SECRET_ACCESS_KEY: 'not-the-secret-key' },
      pushEvent('refs/tags/v9.9.9'),
    );
    expect(r.exitCode).toBe(1);
    expect(r.errors[0]).toMatch(/ECR (GetAuthorizationToken|DescribeRepositories)/);
    expect(r.log).not.toContain('$ docker build');
  });

  test("an explicit builder whose daemon does not answer fails with the probe's line, not the build's", async () => {
    const where = await fresh('FROM scratch\nCOPY hello.txt /hello.txt\n');
    const r = await run({ repository: repoName('no-daemon'), builder: 'docker', tags: 'type=sha' }, where, {
      DOCKER_HOST: `unix://${join(where.dir, 'no-daemon.sock')}`,
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(/^Input 'builder' is 'docker', but /)]);
  });

  test('a login that fails beside the build stops the run before any push, with its own error', async () => {
    const where = await fresh('FROM scratch\nCOPY hello.txt /hello.txt\n');
    const image = `${env.SANDBOX_REGISTRY}/${repoName('bad-login')}`;
    const r = await run(
      { image, username: env.SANDBOX_REGISTRY_USER, password: 'not-the-password', builder: 'docker', tags: 'type=sha' },
      where,
    );
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([expect.stringMatching(new RegExp(`^docker login to ${env.SANDBOX_REGISTRY} failed: `))]);
    expect(r.log).toContain('Successfully built');
    expect(r.log).not.toMatch(PUSHED);
    await expect(registryDigest(`${image}:sha-${HEAD_SHA.slice(0, 7)}`)).rejects.toThrow();
    expect(r.log).not.toContain('not-the-password');
  });
});

describe('several images', () => {
  test('one build, every enabled image pushed with every tag (images lower-cased), the disabled one left out', async () => {
    const name = repoName('multi');
    const mirror = `${env.SANDBOX_REGISTRY}/${repoName('mirror')}`;
    const skipped = `${env.SANDBOX_REGISTRY}/${repoName('skipped')}`;
    const r = await build({
      repository: name,
      builder: 'docker',
      images: `${mirror.replace('mirror', 'MIRROR')}\nname=${skipped},enable=false`,
      tags: 'type=ref,event=branch\ntype=sha',
    });
    if (r.exitCode !== 0) throw new Error(explain(r));
    const image = `${env.SANDBOX_REGISTRY}/${name}`;
    const short = `sha-${HEAD_SHA.slice(0, 7)}`;
    const refs = [`${image}:main`, `${image}:${short}`, `${mirror}:main`, `${mirror}:${short}`];
    expect(o(r, 'tags').split('\n')).toEqual(refs);
    for (const ref of refs) expect(await registryDigest(ref)).toBe(o(r, 'digest'));
    await expect(registryDigest(`${skipped}:main`)).rejects.toThrow();
    expect(r.annotations).toEqual(
      expect.arrayContaining([expect.objectContaining({ level: 'notice', message: expect.stringContaining('lower-cased') })]),
    );
    expect(JSON.parse(o(r, 'json')).tags).toEqual(refs);
  });
});

describe('bad inputs fail with one line before any login or build', () => {
  const cases: [string, Record<string, string>, RegExp, Record<string, string | undefined>?][] = [
    ['unknown tag rule type', { tags: 'type=nightly' }, /^Input 'tags' has the value 'type=nightly': unknown tag rule type 'nightly'/],
    [
      'unknown tag pattern',
      { tags: 'type=semver,pattern={{build}}' },
      /^Input 'tags' has the value 'type=semver,pattern=\{\{build\}\}': unknown tag rule pattern \{\{build\}\}/,
    ],
    ['missing context', { context: 'no-such-dir' }, /^Input 'context' has the value 'no-such-dir': expected a folder/],
    ['missing Dockerfile', { file: 'Dockerfile.prod' }, /^Input 'file' has the value 'Dockerfile.prod': no such Dockerfile/],
    ['unknown builder', { builder: 'kaniko' }, /^Input 'builder' has the value 'kaniko': expected one of auto, buildx, docker, buildah$/],
    [
      'a builder that cannot do it',
      { builder: 'docker', platforms: 'linux/amd64,linux/arm64' },
      /^Input 'platforms' has the value 'linux\/amd64,linux\/arm64': building for platforms needs builder buildx/,
    ],
    ['trivy scan without trivy', { scan: 'trivy' }, /^Input 'scan' is 'trivy', but the trivy binary is not on the PATH/],
    [
      'lifecycle policy that is not JSON',
      { 'lifecycle-policy': '{rules' },
      /^Input 'lifecycle-policy' has the value '\{rules': expected an ECR lifecycle policy JSON/,
    ],
    [
      'username without password',
      { repository: '', image: '127.0.0.1:1/app', username: 'me' },
      /^Input 'password' has no value: username and password go together$/,
    ],
    [
      'a tag docker refuses (starts with -)',
      { tags: 'type=sha\ntype=raw,value=-rc' },
      /^Input 'tags' has the value 'type=raw,value=-rc': it gives the tag '-rc'; a tag starts with a letter, a digit or _/,
    ],
    [
      'a tag docker refuses (starts with .)',
      { tags: 'type=ref,event=branch,prefix=.' },
      /^Input 'tags' has the value 'type=ref,event=branch,prefix=.': it gives the tag '.main'/,
    ],
    [
      'invalid repository name',
      { repository: 'Bad_Name!' },
      /^Input 'repository' has the value 'Bad_Name!': expected an ECR repository name/,
    ],
  ];
  test.each(cases)('%s', async (_n, inputs, message) => {
    const name = repoName('bad');
    const r = await build({ repository: name, ...inputs });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]).toMatch(message);
    expect(r.log).not.toMatch(/^\$ (docker|buildah) /m);
    expect(await repositoryExists(name)).toBe(false);
  });

  test('push to another registry with no access', async () => {
    const home = await mkdtemp(join(tmpdir(), 'docker-build-home-'));
    const r = await runAction({
      action,
      inputs: { image: 'ghcr.io/tripo04os/ai-support', push: 'true', builder: 'docker' },
      env: { HOME: home, DOCKER_CONFIG: join(home, '.docker'), REGISTRY_AUTH_FILE: join(home, 'auth.json'), XDG_RUNTIME_DIR: undefined },
      cwd: context,
      ...pushEvent('refs/heads/main'),
    });
    expect(r.exitCode).toBe(1);
    expect(r.errors).toEqual([
      "Input 'push' has the value 'true': pushing to ghcr.io needs registry access: give username and password, log in before this step, or use repository for ECR",
    ]);
    expect(r.log).not.toMatch(/^\$ (docker|buildah) /m);
  });
});

/**
 * A proxy in front of the sandbox registry that injects faults: `fault(req)` answers 'pass',
 * 'fail' (500 with a registry error body) or 'reset' (the connection is closed, as a load
 * balancer dropping it would). The action reaches it as another registry (image:, with the
 * registry's username and password); docker treats 127.0.0.0/8 registries as insecure.
 */
async function faultyRegistry(fault: (req: IncomingMessage) => 'pass' | 'fail' | 'reset'): Promise<{ host: string; server: Server }> {
  const [upstreamHost, upstreamPort] = env.SANDBOX_REGISTRY.split(':') as [string, string];
  const server = createServer((req, res) => {
    const what = fault(req);
    if (what === 'reset') {
      req.socket.destroy();
      return;
    }
    if (what === 'fail') {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ errors: [{ code: 'UNKNOWN', message: 'injected fault' }] }));
      return;
    }
    const up = httpRequest(
      { host: upstreamHost, port: Number(upstreamPort), method: req.method, path: req.url, headers: req.headers },
      (upRes) => {
        res.writeHead(upRes.statusCode ?? 502, upRes.headers);
        upRes.pipe(res);
      },
    );
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { host: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('partial failures and transient faults (a faulty proxy in front of the registry)', () => {
  const creds = () => ({ username: env.SANDBOX_REGISTRY_USER, password: env.SANDBOX_REGISTRY_PASSWORD });

  test('a tag move that fails: the error and the outputs say exactly which tags moved and which did not', async () => {
    const name = repoName('partial');
    const proxy = await faultyRegistry((req) => (req.method === 'PUT' && req.url === `/v2/${name}/manifests/main` ? 'fail' : 'pass'));
    try {
      const image = `${proxy.host}/${name}`;
      const sha = `${image}:sha-${HEAD_SHA.slice(0, 7)}`;
      const r = await build({ image, ...creds(), builder: 'docker', push: 'true' });
      expect(r.exitCode).toBe(1);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatch(
        new RegExp(
          `^Push failed at ${image}:main: moving ${image}:main: the registry answered 500 \\(UNKNOWN: injected fault\\).*; moved to sha256:[0-9a-f]{64}: ${sha}; not moved: ${image}:main$`,
        ),
      );
      // The outputs hold what is true: the digest that was pushed, and only the tag that moved.
      expect(o(r, 'digest')).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(o(r, 'image-ref')).toBe(`${image}@${o(r, 'digest')}`);
      expect(o(r, 'tags')).toBe(sha);
      expect(JSON.parse(o(r, 'metadata'))['not-moved']).toEqual([{ ref: `${image}:main`, reason: expect.stringContaining('500') }]);
      expect(await registryDigest(`${env.SANDBOX_REGISTRY}/${name}:sha-${HEAD_SHA.slice(0, 7)}`)).toBe(o(r, 'digest'));
      await expect(registryDigest(`${env.SANDBOX_REGISTRY}/${name}:main`)).rejects.toThrow(/manifest unknown|not found/i);
      expect(r.summary).toContain('Not moved');
      // The image was uploaded once: one push, the other tag a manifest PUT.
      expect(r.log.match(new RegExp(PUSHED, 'gm'))).toHaveLength(1);
      expectNoLeak(r);
    } finally {
      proxy.server.close();
    }
  });

  test('a connection closed during docker push (a plain EOF) is retried', async () => {
    const name = repoName('eof');
    let resets = 0;
    const proxy = await faultyRegistry((req) => {
      if (req.method === 'PUT' && req.url?.startsWith(`/v2/${name}/manifests/`) && resets === 0) {
        resets++;
        return 'reset';
      }
      return 'pass';
    });
    try {
      const image = `${proxy.host}/${name}`;
      const r = await build({ image, ...creds(), builder: 'docker', push: 'true' });
      if (r.exitCode !== 0) throw new Error(explain(r));
      expect(resets).toBe(1);
      // The daemon's EOF came in the Engine API's stream, as `docker push` would print it.
      expect(r.log.match(/^Pushing \S+ \(Docker Engine API at /gm)).toHaveLength(2);
      expect(r.warnings).toEqual([expect.stringMatching(/^docker push .+ failed \(attempt 1\), retrying in \d+ ms: .*\bEOF$/)]);
      expect(await registryDigest(`${env.SANDBOX_REGISTRY}/${name}:main`)).toBe(o(r, 'digest'));
    } finally {
      proxy.server.close();
    }
  });
});

describe('lifecycle policy', () => {
  const policy = (count: number, tagStatus = 'untagged') =>
    JSON.stringify({
      rules: [
        { rulePriority: 1, selection: { tagStatus, countType: 'imageCountMoreThan', countNumber: count }, action: { type: 'expire' } },
      ],
    });

  test('a policy ECR refuses leaves no repository behind; a rerun creates it with the policy; a changed policy reaches the existing repository', async () => {
    const name = repoName('policy');
    const refused = await build({ repository: name, builder: 'docker', 'lifecycle-policy': policy(5, 'sometimes') });
    expect(refused.exitCode).toBe(1);
    expect(refused.errors).toEqual([
      expect.stringMatching(
        new RegExp(
          `^Input 'lifecycle-policy' was refused by ECR for ${name}: InvalidParameterException: .*tagStatus.*; the repository just created was deleted again; fix the policy and rerun$`,
        ),
      ),
    ]);
    expect(await repositoryExists(name)).toBe(false);
    expect(refused.log).not.toMatch(/^\$ docker build/m);

    const first = await build({ repository: name, builder: 'docker', 'lifecycle-policy': policy(5) });
    if (first.exitCode !== 0) throw new Error(explain(first));
    expect((await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: name }))).lifecyclePolicyText).toBe(policy(5));

    const changed = await build({ repository: name, builder: 'docker', 'lifecycle-policy': policy(9) });
    if (changed.exitCode !== 0) throw new Error(explain(changed));
    expect(changed.log).toContain(`Replaced the lifecycle policy of ${name}`);
    expect((await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: name }))).lifecyclePolicyText).toBe(policy(9));

    // Refused for an existing repository: the step fails before the build and the old policy stays.
    const refusedAgain = await build({ repository: name, builder: 'docker', 'lifecycle-policy': policy(5, 'sometimes') });
    expect(refusedAgain.errors).toEqual([expect.stringMatching(/; the repository keeps its previous policy$/)]);
    expect((await ecr.send(new GetLifecyclePolicyCommand({ repositoryName: name }))).lifecyclePolicyText).toBe(policy(9));
  });
});
