/**
 * The driver against a stand-in `docker` on the PATH (a shell script that records its arguments
 * and stdin and fails pushes on request): retries of transient push errors, a non-transient
 * failure, the Dockerfile on stdin, the password on stdin only. The real docker and buildah
 * runs are in actions/docker-build/test/e2e.test.ts.
 */
import { chmod, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, test } from '@jest/globals';
import { recordingLogger } from '@tripo04os/common';
import { type BuildSpec, buildImage, errorLine, localDockerSocket, login, pushReference, tagImage } from '../src/index.ts';

const DIGEST = `sha256:${'e'.repeat(64)}`;
let dir: string;
let env: NodeJS.ProcessEnv;

const script = `#!/bin/sh
# stand-in docker: records calls; FAIL_PUSHES pushes fail with FAIL_MESSAGE before one succeeds
echo "$@" >> "$STUB_DIR/calls"
case "$1" in
  build)
    cat > "$STUB_DIR/stdin-build"
    while [ $# -gt 0 ]; do
      if [ "$1" = "--iidfile" ]; then echo "sha256:${'f'.repeat(64)}" > "$2"; fi
      shift
    done
    echo "Successfully built"
    ;;
  push)
    n=$(cat "$STUB_DIR/pushes" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$STUB_DIR/pushes"
    if [ "$n" -le "\${FAIL_PUSHES:-0}" ]; then echo "$FAIL_MESSAGE" >&2; exit 1; fi
    echo "$2: digest: ${DIGEST} size: 524"
    ;;
  login)
    cat > "$STUB_DIR/stdin-login"; echo "Login Succeeded"
    ;;
  tag)
    if [ -n "$FAIL_TAG" ]; then echo "Error response from daemon: $FAIL_TAG" >&2; exit 1; fi
    ;;
  buildx)
    n=$(cat "$STUB_DIR/pushes" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "$STUB_DIR/pushes"
    if [ "$n" -le "\${FAIL_PUSHES:-0}" ]; then echo "$FAIL_MESSAGE" >&2; exit 1; fi
    while [ $# -gt 0 ]; do
      if [ "$1" = "--metadata-file" ]; then
        echo '{"containerimage.digest":"${DIGEST}","containerimage.config.digest":"sha256:${'c'.repeat(64)}"}' > "$2"
      fi
      shift
    done
    ;;
esac
`;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driver-test-'));
  await writeFile(join(dir, 'docker'), script);
  await chmod(join(dir, 'docker'), 0o755);
  await writeFile(join(dir, 'Dockerfile'), 'FROM scratch\n');
  env = { PATH: `${dir}:/usr/bin:/bin`, STUB_DIR: dir };
});

const spec = (): BuildSpec => ({
  context: dir,
  buildArgs: { VCS_REF: 'abc' },
  labels: { 'org.opencontainers.image.version': '1.2.3' },
  tags: ['r:5000/app:1.2.3', 'r:5000/app:1.2'],
  platforms: [],
  cacheFrom: [],
  cacheTo: [],
  provenance: 'false',
  push: true,
});
const calls = async () => (await readFile(join(dir, 'calls'), 'utf8')).trim().split('\n');

describe('docker driver', () => {
  test('build: labels in one Dockerfile step on stdin, the image ID from the iid file, nothing pushed', async () => {
    const out = await buildImage('docker', spec(), { logger: recordingLogger(), env });
    expect(out.imageId).toBe(`sha256:${'f'.repeat(64)}`);
    expect(out.digest).toBeUndefined();
    expect(await readFile(join(dir, 'stdin-build'), 'utf8')).toBe('FROM scratch\nLABEL "org.opencontainers.image.version"="1.2.3"\n');
    expect((await calls())[0]).not.toContain('--label');
    expect((await calls()).some((c) => c.startsWith('push'))).toBe(false);
  });

  test('build: the Dockerfile text the caller read goes on stdin, without reading the file again', async () => {
    await buildImage('docker', { ...spec(), fileText: 'FROM scratch\nCOPY a /a\n' }, { logger: recordingLogger(), env });
    expect(await readFile(join(dir, 'stdin-build'), 'utf8')).toBe(
      'FROM scratch\nCOPY a /a\nLABEL "org.opencontainers.image.version"="1.2.3"\n',
    );
  });

  test('transient push errors are retried; the digest comes from the push output', async () => {
    const logger = recordingLogger();
    const digest = await pushReference('docker', 'r:5000/app:1.2.3', {
      logger,
      env: { ...env, FAIL_PUSHES: '2', FAIL_MESSAGE: 'received unexpected HTTP status: 503 Service Unavailable' },
      retryBaseDelayMs: 5,
    });
    expect(digest).toBe(DIGEST);
    expect(await calls()).toEqual(['push r:5000/app:1.2.3', 'push r:5000/app:1.2.3', 'push r:5000/app:1.2.3']);
    expect(logger.lines.filter((l) => l.startsWith('warning: docker push r:5000/app:1.2.3 failed (attempt'))).toHaveLength(2);
  });

  test('a plain EOF (the registry closed the connection) is transient too', async () => {
    const digest = await pushReference('docker', 'r:5000/app:1.2.3', {
      logger: recordingLogger(),
      env: { ...env, FAIL_PUSHES: '1', FAIL_MESSAGE: 'Put "http://r:5000/v2/app/manifests/1.2.3": EOF' },
      retryBaseDelayMs: 5,
    });
    expect(digest).toBe(DIGEST);
    expect(await calls()).toHaveLength(2);
  });

  test('a denied push fails at once with one line', async () => {
    await expect(
      pushReference('docker', 'r:5000/app:1.2.3', {
        logger: recordingLogger(),
        env: { ...env, FAIL_PUSHES: '9', FAIL_MESSAGE: 'denied: requested access to the resource is denied' },
        retryBaseDelayMs: 5,
      }),
    ).rejects.toThrow('docker push r:5000/app:1.2.3 failed: denied: requested access to the resource is denied');
    expect(await calls()).toHaveLength(1);
  });

  test('transient errors that do not stop give up after the attempts', async () => {
    await expect(
      pushReference('docker', 'r:5000/app:1.2.3', {
        logger: recordingLogger(),
        env: { ...env, FAIL_PUSHES: '9', FAIL_MESSAGE: 'read: connection reset by peer' },
        retryBaseDelayMs: 5,
        pushAttempts: 3,
      }),
    ).rejects.toThrow('docker push r:5000/app:1.2.3 failed: read: connection reset by peer (gave up after 3 attempts)');
  });

  test("docker's real error line, not its usage text", () => {
    const out = `invalid argument "r:5000/app:-bad" for "-t, --tag" flag: invalid reference format

Usage:  docker build [OPTIONS] PATH | URL | -

Run 'docker build --help' for more information
`;
    expect(errorLine(out)).toBe('invalid argument "r:5000/app:-bad" for "-t, --tag" flag: invalid reference format');
    expect(errorLine('')).toBe('no output');
  });

  test('buildx: one command pushes every tag; digest and image ID from its metadata file; transient failures retried', async () => {
    const out = await buildImage(
      'buildx',
      { ...spec(), platforms: ['linux/amd64', 'linux/arm64'] },
      {
        logger: recordingLogger(),
        env: { ...env, FAIL_PUSHES: '1', FAIL_MESSAGE: 'failed to push: 502 Bad Gateway' },
        retryBaseDelayMs: 5,
      },
    );
    expect(out).toMatchObject({ digest: DIGEST, imageId: `sha256:${'c'.repeat(64)}`, pushed: ['r:5000/app:1.2.3', 'r:5000/app:1.2'] });
    const buildx = (await calls()).filter((c) => c.startsWith('buildx'));
    expect(buildx).toHaveLength(2);
    expect(buildx[1]).toMatch(
      /^buildx build --platform linux\/amd64,linux\/arm64 --provenance=false --push --metadata-file \S+ --iidfile \S+ --label org.opencontainers.image.version=1.2.3 --build-arg VCS_REF=abc -t r:5000\/app:1.2.3 -t r:5000\/app:1.2 \S+$/,
    );
  });

  test('login sends the password on stdin only', async () => {
    await login('docker', 'r:5000', 'AWS', 's3cret-pw', { logger: recordingLogger(), env });
    expect(await readFile(join(dir, 'stdin-login'), 'utf8')).toBe('s3cret-pw');
    expect(await calls()).toEqual(['login --username AWS --password-stdin r:5000']);
  });
});

describe('tagging an image built before its references were known', () => {
  test.each<[string, NodeJS.ProcessEnv, string | undefined]>([
    ['the default socket', {}, '/var/run/docker.sock'],
    ['a unix DOCKER_HOST', { DOCKER_HOST: 'unix:///run/user/1000/docker.sock' }, '/run/user/1000/docker.sock'],
    ['a remote DOCKER_HOST', { DOCKER_HOST: 'tcp://10.0.0.5:2376' }, undefined],
    ['an ssh DOCKER_HOST', { DOCKER_HOST: 'ssh://me@host' }, undefined],
    ['DOCKER_CONTEXT', { DOCKER_CONTEXT: 'remote' }, undefined],
    ['TLS', { DOCKER_TLS_VERIFY: '1' }, undefined],
  ])('the Engine API socket with %s: %s', (_, extra, expected) => {
    expect(localDockerSocket({ DOCKER_CONFIG: dir, ...extra })).toBe(expected);
  });

  test("the CLI config's current context decides as the CLI would", async () => {
    await writeFile(join(dir, 'config.json'), JSON.stringify({ currentContext: 'colima' }));
    expect(localDockerSocket({ DOCKER_CONFIG: dir })).toBeUndefined();
    await writeFile(join(dir, 'config.json'), JSON.stringify({ currentContext: 'default', auths: {} }));
    expect(localDockerSocket({ DOCKER_CONFIG: dir })).toBe('/var/run/docker.sock');
    await writeFile(join(dir, 'config.json'), '{ not json');
    expect(localDockerSocket({ DOCKER_CONFIG: dir })).toBeUndefined();
  });

  test('a socket that does not answer: `docker tag` for each reference; a failed one is one line', async () => {
    const id = `sha256:${'f'.repeat(64)}`;
    const socketEnv = { ...env, DOCKER_CONFIG: dir, DOCKER_HOST: `unix://${join(dir, 'no.sock')}` };
    await tagImage('docker', id, ['r:5000/app:1', 'r:5000/app:main'], { logger: recordingLogger(), env: socketEnv });
    expect((await calls()).sort()).toEqual([`tag ${id} r:5000/app:1`, `tag ${id} r:5000/app:main`]);
    await expect(
      tagImage('docker', id, ['r:5000/app:2'], { logger: recordingLogger(), env: { ...socketEnv, FAIL_TAG: 'No such image' } }),
    ).rejects.toThrow('docker tag failed: Error response from daemon: No such image');
  });
});

describe('pushing through the Engine API', () => {
  const CREDS = { username: 'AWS', password: 'ecr-t0ken-s3cret' };
  interface Seen {
    method?: string;
    url?: string;
    auth?: unknown;
    header?: string;
  }
  /** A stand-in Engine API on a unix socket: each push gets the next of `answers` (status, NDJSON lines). */
  async function engine(answers: Array<{ status?: number; lines: object[] | string }>) {
    const socket = join(dir, 'engine.sock');
    const seen: Seen[] = [];
    const server = createServer((req, res) => {
      const header = req.headers['x-registry-auth'];
      seen.push({
        method: req.method,
        url: req.url,
        auth: typeof header === 'string' ? JSON.parse(Buffer.from(header, 'base64').toString()) : undefined,
      });
      if (typeof header === 'string') (seen.at(-1) as Seen).header = header;
      const a = answers[Math.min(seen.filter((s) => s.method).length, answers.length) - 1] ?? { lines: [] };
      res.writeHead(a.status ?? 200, { 'Content-Type': 'application/json' });
      if (typeof a.lines === 'string') res.end(a.lines);
      else {
        for (const l of a.lines) res.write(`${JSON.stringify(l)}\r\n`);
        res.end();
      }
    });
    await new Promise<void>((r) => server.listen(socket, r));
    return { seen, env: { ...env, DOCKER_CONFIG: dir, DOCKER_HOST: `unix://${socket}` }, close: () => server.close() };
  }
  const ok = (tag: string) => [
    { status: 'The push refers to repository [r:5000/app]' },
    { status: 'Preparing', progressDetail: {}, id: '5f70bf18a086' },
    { status: 'Pushing', progressDetail: { current: 512, total: 4096 }, progress: '[=>   ] 512B/4.096kB', id: '5f70bf18a086' },
    { status: 'Pushed', progressDetail: {}, id: '5f70bf18a086' },
    { status: `${tag}: digest: ${DIGEST} size: 528` },
    { progressDetail: {}, aux: { Tag: tag, Digest: DIGEST, Size: 528 } },
  ];

  test('no CLI process: the credentials go in X-Registry-Auth; the log has the status lines, not the progress bars or the password', async () => {
    const api = await engine([{ lines: ok('1.2.3') }]);
    try {
      const logger = recordingLogger();
      expect(await pushReference('docker', 'r:5000/app:1.2.3', { logger, env: api.env }, CREDS)).toBe(DIGEST);
      expect(api.seen).toEqual([
        expect.objectContaining({
          method: 'POST',
          url: '/images/r%3A5000%2Fapp/push?tag=1.2.3',
          auth: { ...CREDS, serveraddress: 'r:5000' },
        }),
      ]);
      await expect(calls()).rejects.toThrow(); // the stand-in docker never ran
      expect(logger.lines).toEqual([
        `Pushing r:5000/app:1.2.3 (Docker Engine API at ${join(dir, 'engine.sock')})`,
        'The push refers to repository [r:5000/app]',
        '5f70bf18a086: Preparing',
        '5f70bf18a086: Pushed',
        `1.2.3: digest: ${DIGEST} size: 528`,
      ]);
      expect(logger.lines.join('\n')).not.toContain(CREDS.password);
    } finally {
      api.close();
    }
  });

  test('X-Registry-Auth is URL-safe base64 with padding, as the CLI sends it', async () => {
    const api = await engine([{ lines: ok('1') }]);
    try {
      const password = 'ab??>~~';
      const json = JSON.stringify({ username: 'u', password, serveraddress: 'r:5000' });
      // Plain base64 of it has '+' or '/' and padding, so the test tells the encodings apart.
      expect(Buffer.from(json).toString('base64')).toMatch(/[+/].*=$/);
      await pushReference('docker', 'r:5000/app:1', { logger: recordingLogger(), env: api.env }, { username: 'u', password });
      const header = api.seen[0]?.header ?? '';
      expect(header).toMatch(/^[A-Za-z0-9_-]+=+$/);
      expect(header.length % 4).toBe(0);
      expect(JSON.parse(Buffer.from(header, 'base64url').toString())).toEqual({ username: 'u', password, serveraddress: 'r:5000' });
    } finally {
      api.close();
    }
  });

  test("a transient error in the stream is retried; a refusal fails at once with the daemon's line", async () => {
    const api = await engine([
      {
        lines: [
          { status: 'Preparing', id: 'a' },
          { errorDetail: { message: 'received unexpected HTTP status: 503 Service Unavailable' }, error: 'x' },
        ],
      },
      { lines: ok('1') },
    ]);
    try {
      const logger = recordingLogger();
      expect(await pushReference('docker', 'r:5000/app:1', { logger, env: api.env, retryBaseDelayMs: 5 }, CREDS)).toBe(DIGEST);
      expect(api.seen.filter((s) => s.method)).toHaveLength(2);
      expect(logger.lines.filter((l) => l.startsWith('warning:'))).toEqual([
        expect.stringMatching(
          /^warning: docker push r:5000\/app:1 failed \(attempt 1\), retrying in \d+ ms: received unexpected HTTP status: 503/,
        ),
      ]);
    } finally {
      api.close();
    }
    const denied = await engine([{ lines: [{ errorDetail: { message: 'denied: not allowed' }, error: 'denied: not allowed' }] }]);
    try {
      await expect(
        pushReference('docker', 'r:5000/app:1', { logger: recordingLogger(), env: denied.env, retryBaseDelayMs: 5 }, CREDS),
      ).rejects.toThrow('docker push r:5000/app:1 failed: denied: not allowed');
      expect(denied.seen.filter((s) => s.method)).toHaveLength(1);
    } finally {
      denied.close();
    }
  });

  test("an answer other than 200 is the daemon's message, as the CLI prints it", async () => {
    const api = await engine([{ status: 404, lines: '{"message":"An image does not exist locally with the tag: r:5000/app"}' }]);
    try {
      await expect(
        pushReference('docker', 'r:5000/app:1', { logger: recordingLogger(), env: api.env, retryBaseDelayMs: 5 }, CREDS),
      ).rejects.toThrow(
        'docker push r:5000/app:1 failed: Error response from daemon: An image does not exist locally with the tag: r:5000/app',
      );
    } finally {
      api.close();
    }
  });

  test('`docker push` instead: a socket that does not answer, no credentials, or DOCKER_CONTENT_TRUST (the CLI signs)', async () => {
    const silent = { ...env, DOCKER_CONFIG: dir, DOCKER_HOST: `unix://${join(dir, 'no.sock')}` };
    expect(await pushReference('docker', 'r:5000/app:1', { logger: recordingLogger(), env: silent }, CREDS)).toBe(DIGEST);
    const api = await engine([{ lines: ok('1') }]);
    try {
      await pushReference('docker', 'r:5000/app:2', { logger: recordingLogger(), env: api.env });
      await pushReference('docker', 'r:5000/app:3', { logger: recordingLogger(), env: { ...api.env, DOCKER_CONTENT_TRUST: '1' } }, CREDS);
      await pushReference(
        'docker',
        'r:5000/app:4',
        { logger: recordingLogger(), env: { ...api.env, DOCKER_CONTENT_TRUST: 'false' } },
        CREDS,
      );
      expect(await calls()).toEqual(['push r:5000/app:1', 'push r:5000/app:2', 'push r:5000/app:3']);
      expect(api.seen.map((s) => s.url)).toEqual(['/images/r%3A5000%2Fapp/push?tag=4']);
    } finally {
      api.close();
    }
  });
});
