import { describe, expect, test } from '@jest/globals';
import {
  type Available,
  type BuildSpec,
  buildahBuildArgs,
  buildahPushArgs,
  buildxArgs,
  checkCapabilities,
  chooseBuilder,
  digestFromPushOutput,
  dockerBuildArgs,
  dockerfileWithLabels,
  isDockerHub,
  isTransientPushError,
  loginArgs,
  logoutArgs,
  mayPullFrom,
  parseBuildxMetadata,
} from '../src/index.ts';

const base: BuildSpec = {
  context: '.',
  buildArgs: {},
  labels: {},
  tags: ['reg.example/app:1.2.3'],
  platforms: [],
  cacheFrom: [],
  cacheTo: [],
  provenance: 'false',
  push: true,
};
const spec = (over: Partial<BuildSpec>): BuildSpec => ({ ...base, ...over });

describe('buildx arguments', () => {
  test.each<[string, Partial<BuildSpec>, string[]]>([
    ['defaults: provenance off, push', {}, ['buildx', 'build', '--provenance=false', '--push', '-t', 'reg.example/app:1.2.3', '.']],
    ['no push loads the image', { push: false }, ['buildx', 'build', '--provenance=false', '--load', '-t', 'reg.example/app:1.2.3', '.']],
    [
      'no push with several platforms neither loads nor pushes',
      { push: false, platforms: ['linux/amd64', 'linux/arm64'] },
      ['buildx', 'build', '--platform', 'linux/amd64,linux/arm64', '--provenance=false', '-t', 'reg.example/app:1.2.3', '.'],
    ],
    [
      'platforms, caches, provenance, files',
      {
        platforms: ['linux/amd64', 'linux/arm64'],
        cacheFrom: ['type=gha'],
        cacheTo: ['type=gha,mode=max'],
        provenance: 'mode=max',
        metadataFile: '/t/meta.json',
        iidFile: '/t/iid',
      },
      [
        'buildx',
        'build',
        '--platform',
        'linux/amd64,linux/arm64',
        '--cache-from',
        'type=gha',
        '--cache-to',
        'type=gha,mode=max',
        '--provenance=mode=max',
        '--push',
        '--metadata-file',
        '/t/meta.json',
        '--iidfile',
        '/t/iid',
        '-t',
        'reg.example/app:1.2.3',
        '.',
      ],
    ],
    [
      'labels, build args, target, file, several tags',
      {
        context: 'svc',
        file: 'svc/Dockerfile.prod',
        target: 'runtime',
        labels: { 'org.opencontainers.image.title': 'ai support' },
        buildArgs: { VCS_REF: 'abc', BUILD_DATE: '2026-11-27T04:30:00.000Z' },
        tags: ['r/app:1', 'r/app:latest'],
        noCache: true,
        pull: true,
      },
      [
        'buildx',
        'build',
        '--provenance=false',
        '--push',
        '--no-cache',
        '--pull',
        '--label',
        'org.opencontainers.image.title=ai support',
        '--build-arg',
        'VCS_REF=abc',
        '--build-arg',
        'BUILD_DATE=2026-11-27T04:30:00.000Z',
        '--target',
        'runtime',
        '-f',
        'svc/Dockerfile.prod',
        '-t',
        'r/app:1',
        '-t',
        'r/app:latest',
        'svc',
      ],
    ],
    [
      'empty provenance means false',
      { provenance: '' },
      ['buildx', 'build', '--provenance=false', '--push', '-t', 'reg.example/app:1.2.3', '.'],
    ],
  ])('%s', (_name, over, expected) => {
    expect(buildxArgs(spec(over))).toEqual(expected);
  });
});

describe('classic docker arguments', () => {
  test.each<[string, Partial<BuildSpec>, string[]]>([
    ['defaults', { iidFile: '/t/iid' }, ['build', '--iidfile', '/t/iid', '-t', 'reg.example/app:1.2.3', '.']],
    [
      'registry cache refs, labels, args, target, file',
      {
        cacheFrom: ['reg.example/app:cache', 'type=registry,ref=reg.example/app:main'],
        labels: { a: 'b' },
        buildArgs: { X: '1' },
        target: 't',
        file: 'D',
        tags: ['r/a:1', 'r/a:2'],
      },
      [
        'build',
        '--cache-from',
        'reg.example/app:cache',
        '--cache-from',
        'reg.example/app:main',
        '--label',
        'a=b',
        '--build-arg',
        'X=1',
        '--target',
        't',
        '-f',
        'D',
        '-t',
        'r/a:1',
        '-t',
        'r/a:2',
        '.',
      ],
    ],
  ])('%s', (_name, over, expected) => {
    expect(dockerBuildArgs(spec(over))).toEqual(expected);
  });
});

describe('classic docker with the labels in the Dockerfile', () => {
  const labelled = spec({
    labels: { 'org.opencontainers.image.title': 'ai "support"', cost: '$5' },
    target: 'runtime',
    file: 'D',
    iidFile: '/t/iid',
  });
  test('arguments read the Dockerfile from stdin, without --label or --target', () => {
    expect(dockerBuildArgs(labelled, true)).toEqual(['build', '--iidfile', '/t/iid', '-f', '-', '-t', 'reg.example/app:1.2.3', '.']);
  });
  test('no labels: the Dockerfile stays where it is', () => {
    expect(dockerBuildArgs(spec({ file: 'D', target: 't' }), true)).toEqual([
      'build',
      '--target',
      't',
      '-f',
      'D',
      '-t',
      'reg.example/app:1.2.3',
      '.',
    ]);
  });
  test.each<[string, string, Record<string, string>, string | undefined, string]>([
    ['last stage', 'FROM scratch\nCOPY a /', { a: 'b' }, undefined, 'FROM scratch\nCOPY a /\nLABEL "a"="b"\n'],
    [
      'target stage',
      'FROM scratch AS runtime\n',
      { a: 'b', c: 'd' },
      'runtime',
      'FROM scratch AS runtime\nFROM runtime\nLABEL "a"="b" "c"="d"\n',
    ],
    [
      'quotes, $ and newlines escaped',
      'FROM scratch\n',
      { k: 'say "hi" for $5\\n\nbye' },
      undefined,
      'FROM scratch\nLABEL "k"="say \\"hi\\" for \\$5\\\\n bye"\n',
    ],
    [
      'stages after the target are left out (the classic builder would build them too)',
      'ARG BASE=scratch\nFROM ${BASE} AS runtime\nCOPY a /\n\nFROM runtime AS app\nRUN ["pip", "install"]\n',
      { a: 'b' },
      'runtime',
      'ARG BASE=scratch\nFROM ${BASE} AS runtime\nCOPY a /\n\nFROM runtime\nLABEL "a"="b"\n',
    ],
    ['no labels', 'FROM scratch', {}, 'x', 'FROM scratch'],
  ])('%s', (_n, dockerfile, labels, target, expected) => {
    expect(dockerfileWithLabels(dockerfile, labels, target)).toBe(expected);
  });
});

describe('buildah arguments', () => {
  test.each<[string, Partial<BuildSpec>, string[]]>([
    [
      'defaults: layers, docker format',
      { iidFile: '/t/iid' },
      ['bud', '--layers', '--format', 'docker', '--iidfile', '/t/iid', '-t', 'reg.example/app:1.2.3', '.'],
    ],
    [
      'one platform, registry caches, pull, labels, args',
      {
        platforms: ['linux/arm64'],
        cacheFrom: ['type=registry,ref=r/cache'],
        cacheTo: ['r/cache'],
        pull: true,
        labels: { a: 'b' },
        buildArgs: { X: '1' },
        file: 'D',
      },
      [
        'bud',
        '--layers',
        '--format',
        'docker',
        '--platform',
        'linux/arm64',
        '--cache-from',
        'r/cache',
        '--cache-to',
        'r/cache',
        '--pull-always',
        '--label',
        'a=b',
        '--build-arg',
        'X=1',
        '-f',
        'D',
        '-t',
        'reg.example/app:1.2.3',
        '.',
      ],
    ],
  ])('%s', (_name, over, expected) => {
    expect(buildahBuildArgs(spec(over))).toEqual(expected);
  });

  test('push writes the digest file', () => {
    expect(buildahPushArgs('r/a:1', '/t/d')).toEqual(['push', '--digestfile', '/t/d', 'r/a:1', 'docker://r/a:1']);
  });
});

describe('login and logout', () => {
  test.each([
    ['docker', { command: 'docker', args: ['login', '--username', 'AWS', '--password-stdin', '1.dkr.ecr.us-east-1.amazonaws.com'] }],
    ['buildx', { command: 'docker', args: ['login', '--username', 'AWS', '--password-stdin', '1.dkr.ecr.us-east-1.amazonaws.com'] }],
    ['buildah', { command: 'buildah', args: ['login', '--username', 'AWS', '--password-stdin', '1.dkr.ecr.us-east-1.amazonaws.com'] }],
  ] as const)('%s login never puts the password on the command line', (builder, expected) => {
    expect(loginArgs(builder, '1.dkr.ecr.us-east-1.amazonaws.com', 'AWS')).toEqual(expected);
  });
  test('buildah login reads CONTAINERS_REGISTRIES_CONF through --registries-conf', () => {
    expect(loginArgs('buildah', 'r:5000', 'u', '/etc/reg.conf').args).toEqual([
      'login',
      '--registries-conf',
      '/etc/reg.conf',
      '--username',
      'u',
      '--password-stdin',
      'r:5000',
    ]);
    expect(loginArgs('docker', 'r:5000', 'u', '/etc/reg.conf').args).toEqual(['login', '--username', 'u', '--password-stdin', 'r:5000']);
  });
  test('logout', () => {
    expect(logoutArgs('buildah', 'r:5000')).toEqual({ command: 'buildah', args: ['logout', 'r:5000'] });
    expect(logoutArgs('docker', 'r:5000')).toEqual({ command: 'docker', args: ['logout', 'r:5000'] });
  });
});

describe('choosing a builder', () => {
  const all: Available = { buildx: true, docker: true, buildah: true };
  test.each<[string, Available, string]>([
    ['buildx first', all, 'buildx'],
    ['docker when buildx is missing', { buildx: false, docker: true, buildah: true }, 'docker'],
    ['buildah when docker does not answer', { buildx: false, docker: false, buildah: true }, 'buildah'],
  ])('auto: %s', (_n, available, expected) => {
    expect(chooseBuilder('auto', available)).toBe(expected);
  });
  test('nothing usable', () => {
    expect(() => chooseBuilder('auto', { buildx: false, docker: false, buildah: false })).toThrow(
      "Input 'builder' is 'auto', but no builder is usable",
    );
  });
  test('an explicit builder must be there', () => {
    expect(() => chooseBuilder('buildx', { buildx: false, docker: true, buildah: true })).toThrow(
      "Input 'builder' is 'buildx', but `docker buildx version` failed",
    );
    expect(chooseBuilder('buildah', all)).toBe('buildah');
  });
});

describe('capabilities', () => {
  const noBuildx: Available = { buildx: false, docker: true, buildah: true };
  test.each<[string, 'docker' | 'buildah', Partial<BuildSpec>, string]>([
    [
      'platforms with docker',
      'docker',
      { platforms: ['linux/amd64'] },
      "Input 'platforms' has the value 'linux/amd64': building for platforms needs builder buildx",
    ],
    ['two platforms with buildah', 'buildah', { platforms: ['linux/amd64', 'linux/arm64'] }, 'more than one platform needs builder buildx'],
    [
      'gha cache with docker',
      'docker',
      { cacheFrom: ['type=gha'] },
      "Input 'cache-from' has the value 'type=gha': cache type=gha needs builder buildx",
    ],
    [
      'cache-to with docker',
      'docker',
      { cacheTo: ['r/c'] },
      "Input 'cache-to' has the value 'r/c': exporting a build cache needs builder buildx",
    ],
    ['local cache-to with buildah', 'buildah', { cacheTo: ['type=local,dest=/tmp/c'] }, 'cache type=local needs builder buildx'],
    [
      'provenance with buildah',
      'buildah',
      { provenance: 'true' },
      "Input 'provenance' has the value 'true': provenance attestations need builder buildx",
    ],
  ])('%s', (_n, builder, over, message) => {
    expect(() => checkCapabilities(builder, spec(over), noBuildx)).toThrow(message);
    expect(() => checkCapabilities(builder, spec(over), noBuildx)).toThrow('(docker buildx is not installed here)');
  });
  test.each<[string, 'docker' | 'buildah' | 'buildx', Partial<BuildSpec>]>([
    ['buildx does everything', 'buildx', { platforms: ['a', 'b'], cacheTo: ['type=gha'], provenance: 'true' }],
    [
      'buildah: one platform and registry caches',
      'buildah',
      { platforms: ['linux/arm64'], cacheFrom: ['r/c'], cacheTo: ['type=registry,ref=r/c'] },
    ],
    ['docker: registry cache-from', 'docker', { cacheFrom: ['r/c:main'] }],
  ])('%s', (_n, builder, over) => {
    expect(() => checkCapabilities(builder, spec(over))).not.toThrow();
  });
});

describe('reading results', () => {
  test('digest from docker push output', () => {
    const out = `The push refers to repository [127.0.0.1:5000/app]\n5f70bf18a086: Pushed\n1.2.3: digest: sha256:${'a'.repeat(64)} size: 528\n`;
    expect(digestFromPushOutput(out)).toBe(`sha256:${'a'.repeat(64)}`);
    expect(digestFromPushOutput('nothing')).toBeUndefined();
  });
  test('buildx metadata file', () => {
    const meta = JSON.stringify({ 'containerimage.digest': 'sha256:1', 'containerimage.config.digest': 'sha256:2', 'image.name': 'r/a:1' });
    expect(parseBuildxMetadata(meta)).toMatchObject({ digest: 'sha256:1', imageId: 'sha256:2' });
  });
  test.each([
    ['received unexpected HTTP status: 503 Service Unavailable', true],
    ['Put "http://r/v2/app/blobs/uploads/": read: connection reset by peer', true],
    ['toomanyrequests: Too Many Requests', true],
    ['net/http: TLS handshake timeout', true],
    ['Put "http://127.0.0.1:5000/v2/app/manifests/main": EOF', true],
    ['unexpected EOF', true],
    ['unauthorized: authentication required', false],
    ['denied: requested access to the resource is denied', false],
    ['name unknown: repository name not known to registry', false],
  ])('transient? %s', (output, expected) => {
    expect(isTransientPushError(output)).toBe(expected);
  });
});

describe('mayPullFrom: whether the login must come before the build', () => {
  const ecr = '123456789012.dkr.ecr.us-east-1.amazonaws.com';
  test.each([
    ['FROM python:3.12-slim\nCOPY . /app\n', ecr, false],
    ['FROM scratch\nCOPY a /a\n', ecr, false],
    [`FROM ${ecr}/base:1\n`, ecr, true],
    [`FROM --platform=linux/amd64 ${ecr}/base:1 AS build\n`, ecr, true],
    ['FROM python:3.12-slim\n', 'docker.io', true],
    ['FROM python:3.12-slim\n', 'index.docker.io', true],
    ['FROM ghcr.io/org/base:1\n', 'docker.io', false],
    // A stage is not pulled; an image named after a later stage is.
    [`FROM golang:1.23 AS ${'build'}\nFROM build\nCOPY --from=build /a /a\nCOPY --from=0 /b /b\n`, ecr, false],
    [`FROM golang:1.23 AS build\nCOPY --from=${ecr}/tools:1 /t /t\n`, ecr, true],
    [`FROM alpine\nADD --chown=1:1 --from=${ecr}/x:1 /a /a\n`, ecr, true],
    // A variable may be anywhere.
    ['ARG BASE=python:3.12\nFROM ${BASE}\n', ecr, true],
    ['FROM alpine\nCOPY --from=$TOOLS /t /t\n', ecr, true],
    // A FROM split over lines, and one in a comment.
    [`FROM \\\n  ${ecr}/base:1\n`, ecr, true],
    [`# FROM ${ecr}/base:1\nFROM alpine\n`, ecr, false],
    ['FROM 127.0.0.1:5000/base:1\n', '127.0.0.1:5000', true],
  ])('%j from %s: %s', (dockerfile, registry, expected) => {
    expect(mayPullFrom(dockerfile, registry)).toBe(expected);
  });

  // Before the target registry is known: may the build pull from any registry but Docker Hub
  // (which no target is)? If not, it can run before the registry is opened.
  test.each([
    ['FROM python:3.12-slim\nCOPY . /app\n', false],
    ['FROM docker.io/library/python:3.12\nFROM index.docker.io/library/alpine\n', false],
    ['FROM scratch\n', false],
    [`FROM golang:1.23 AS build\nFROM build\nCOPY --from=build /a /a\n`, false],
    [`FROM ${ecr}/base:1\n`, true],
    ['FROM 127.0.0.1:5000/base:1\n', true],
    ['FROM alpine\nCOPY --from=ghcr.io/org/tools:1 /t /t\n', true],
    ['ARG BASE=python:3.12\nFROM ${BASE}\n', true],
  ])('%j from a registry other than Docker Hub: %s', (dockerfile, expected) => {
    expect(mayPullFrom(dockerfile, (host) => !isDockerHub(host))).toBe(expected);
  });
});
