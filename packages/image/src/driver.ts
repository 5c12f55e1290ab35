/**
 * Runs the builders: detection, login/logout (password on stdin), build, push (transient
 * registry errors retried with the shared helper), and the digest and image ID afterwards.
 */
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import type { IncomingMessage } from 'node:http';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ExecResult, errorMessage, exec, hasCommandSync, type Logger, retry, UserError } from '@tripo04os/common';
import {
  type Available,
  type Builder,
  type BuilderChoice,
  type BuildSpec,
  buildahBuildArgs,
  buildahPushArgs,
  buildxArgs,
  chooseBuilder,
  digestFromPushOutput,
  dockerBuildArgs,
  dockerfileWithLabels,
  dockerPushArgs,
  loginArgs,
  logoutArgs,
  parseBuildxMetadata,
} from './builders.ts';
import { registryOf, repositoryOfRef, tagOfRef } from './naming.ts';
import type { RegistryCredentials } from './registry.ts';

export interface DriverOptions {
  logger: Logger;
  env?: NodeJS.ProcessEnv;
  /** Folder for the iid/metadata/digest files (default: a fresh temp folder). */
  workDir?: string;
  /** Push attempts for transient registry errors (default 4). */
  pushAttempts?: number;
  /** For tests: base delay of the push retry (default 1000 ms). */
  retryBaseDelayMs?: number;
  /** Called once the build's process has started (buildImage). */
  started?: () => void;
}

async function succeeds(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<boolean> {
  try {
    return (await exec(cmd, args, { env })).code === 0;
  } catch {
    return false;
  }
}

/**
 * Finds the builder to use, probing only what the choice needs: an explicit builder is probed
 * alone; `auto` asks docker (`docker buildx version` and `docker info` together) and looks for
 * buildah only when docker cannot build. `available` says what was found (unprobed: false).
 */
export function findBuilder(
  choice: BuilderChoice,
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ builder: Builder; available: Available }> {
  const available: Available = { buildx: false, docker: false, buildah: false };
  // docker's probes are spawned before this returns, so they run while the caller goes on.
  const dockerProbes =
    choice !== 'buildah' && hasCommandSync('docker', env)
      ? Promise.all([
          choice === 'docker' ? false : succeeds('docker', ['buildx', 'version'], env),
          succeeds('docker', ['info', '--format', '{{.ServerVersion}}'], env),
        ])
      : undefined;
  return (async () => {
    if (dockerProbes) {
      const [buildx, docker] = await dockerProbes;
      // buildx needs a daemon (or a remote builder) as well; its version alone is not enough.
      available.buildx = buildx && docker;
      available.docker = docker;
    }
    if (choice === 'buildah' || (choice === 'auto' && !available.docker)) available.buildah = hasCommandSync('buildah', env);
    return { builder: chooseBuilder(choice, available), available };
  })();
}

/** Transient registry trouble seen in docker/buildah output (worth another push). */
export function isTransientPushError(output: string): boolean {
  if (/unauthorized|denied|authentication required|name unknown|manifest invalid|not found/i.test(output)) return false;
  // A connection closed mid-request: docker prints `Put "…": EOF` (or `unexpected EOF`).
  return /\b(429|500|502|503|504)\b|too many requests|internal server error|bad gateway|service unavailable|gateway time-?out|connection reset|connection refused|i\/o timeout|tls handshake timeout|\bEOF\b|broken pipe|timeout exceeded|context deadline exceeded|server misbehaving/i.test(
    output,
  );
}

class CommandError extends Error {
  readonly output: string;
  constructor(message: string, output: string) {
    super(message);
    this.output = output;
  }
}

/** Splits a stream of text into lines as it comes (a command's output, the Engine API's messages). */
function streamed(onLine: (line: string) => void) {
  let buf = '';
  const push = (chunk: string) => {
    buf += chunk;
    let i = buf.indexOf('\n');
    while (i >= 0) {
      onLine(buf.slice(0, i).replace(/\r$/, ''));
      buf = buf.slice(i + 1);
      i = buf.indexOf('\n');
    }
  };
  const flush = () => {
    if (buf) onLine(buf);
    buf = '';
  };
  return { push, flush };
}

async function run(
  command: string,
  args: string[],
  o: DriverOptions,
  extraEnv: Record<string, string> = {},
  input?: string,
): Promise<ExecResult> {
  const out = streamed((line) => o.logger.info(line));
  o.logger.info(`$ ${command} ${args.map((a) => (/[\s"']/.test(a) ? JSON.stringify(a) : a)).join(' ')}`);
  const r = await exec(command, args, {
    env: { ...(o.env ?? process.env), ...extraEnv },
    ...(input !== undefined ? { input } : {}),
    onStdout: out.push,
    onStderr: out.push,
  });
  out.flush();
  return r;
}

/** Lines docker, buildah and skopeo add after the error: usage text and help pointers. */
const NOISE = /^(usage:|run '.*--help'|see '.*--help'|error: exit status \d+$)/i;

/**
 * The line of a failed command's output that says what went wrong: the last line that is not
 * usage text or a help pointer (docker prints its usage after `invalid argument … for "-t"`).
 */
export function errorLine(text: string): string {
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !NOISE.test(l));
  return lines.at(-1) ?? 'no output';
}

/** `docker login` / `buildah login` with the password on stdin (mask it before calling). */
export async function login(builder: Builder, registry: string, username: string, password: string, o: DriverOptions): Promise<void> {
  const { command, args } = loginArgs(builder, registry, username, (o.env ?? process.env).CONTAINERS_REGISTRIES_CONF);
  const { value: r } = await retry(
    async () => {
      const r = await run(command, args, o, {}, password);
      if (r.code !== 0 && isTransientPushError(r.stdout + r.stderr)) throw new CommandError(errorLine(r.stderr || r.stdout), r.stderr);
      return r;
    },
    { attempts: o.pushAttempts ?? 4, baseDelayMs: o.retryBaseDelayMs ?? 1000, isRetryable: (e) => e instanceof CommandError },
  ).catch((e: unknown) => {
    throw new UserError(`${command} login to ${registry} failed: ${e instanceof Error ? e.message : String(e)}`);
  });
  if (r.code !== 0) throw new UserError(`${command} login to ${registry} failed: ${errorLine(r.stderr || r.stdout)}`);
}

export async function logout(builder: Builder, registry: string, o: DriverOptions): Promise<void> {
  const { command, args } = logoutArgs(builder, registry);
  const r = await run(command, args, o);
  if (r.code !== 0) o.logger.warning(`${command} logout ${registry} failed: ${errorLine(r.stderr || r.stdout)}`);
}

export interface BuildOutcome {
  imageId?: string;
  /** Manifest digest as the builder reported it after a push (buildx metadata, push output, digest file). */
  digest?: string;
  /** References buildx pushed itself (empty for docker and buildah: see pushReference). */
  pushed: string[];
  /** buildx metadata (when buildx ran). */
  metadata?: Record<string, unknown>;
  buildMs: number;
}

async function readTrimmed(path: string): Promise<string | undefined> {
  try {
    const t = (await readFile(path, 'utf8')).trim();
    return t === '' ? undefined : t;
  } catch {
    return undefined;
  }
}

/** Retries one push command while its failures look transient. */
async function pushWithRetry<R extends ExecResult>(label: string, o: DriverOptions, once: () => Promise<R>): Promise<R> {
  try {
    const { value } = await retry(
      async () => {
        const r = await once();
        if (r.code !== 0) throw new CommandError(errorLine(r.stderr || r.stdout), r.stdout + r.stderr);
        return r;
      },
      {
        attempts: o.pushAttempts ?? 4,
        baseDelayMs: o.retryBaseDelayMs ?? 1000,
        isRetryable: (e) => e instanceof CommandError && isTransientPushError(e.output),
        onRetry: ({ attempt, delayMs, error }) =>
          o.logger.warning(
            `${label} failed (attempt ${attempt}), retrying in ${delayMs} ms: ${error instanceof Error ? error.message : String(error)}`,
          ),
      },
    );
    return value;
  } catch (e) {
    throw new UserError(`${label} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/**
 * Builds with the chosen builder. docker and buildah tag the local image with spec.tags; buildx
 * (which keeps no local image when it pushes) pushes spec.tags itself when spec.push is set, so
 * the caller gives it only the references it wants uploaded (see publish.ts).
 */
export async function buildImage(builder: Builder, spec: BuildSpec, o: DriverOptions): Promise<BuildOutcome> {
  const dir = o.workDir ?? (await mkdtemp(join(tmpdir(), 'docker-build-')));
  const iidFile = join(dir, 'iid');
  const outcome: BuildOutcome = { pushed: [], buildMs: 0 };
  try {
    const t0 = Date.now();
    if (builder === 'buildx') {
      const metadataFile = join(dir, 'metadata.json');
      const args = buildxArgs({ ...spec, iidFile, metadataFile });
      const run1 = () => run('docker', args, o);
      if (spec.push) await pushWithRetry('docker buildx build --push', o, run1);
      else {
        const r = await run1();
        if (r.code !== 0) throw new UserError(`docker buildx build failed: ${errorLine(r.stderr || r.stdout)}`);
      }
      outcome.buildMs = Date.now() - t0;
      const meta = await readTrimmed(metadataFile);
      if (meta) {
        const parsed = parseBuildxMetadata(meta);
        outcome.metadata = parsed.raw;
        if (spec.push && parsed.digest) outcome.digest = parsed.digest;
        outcome.imageId = parsed.imageId;
      }
      outcome.imageId = (await readTrimmed(iidFile)) ?? outcome.imageId;
      if (spec.push) outcome.pushed = [...spec.tags];
      return outcome;
    }
    if (builder === 'docker') {
      // One LABEL step instead of one per label: the Dockerfile (with the labels) goes on stdin.
      const dockerfile = spec.fileText ?? (await readFile(spec.file ?? join(spec.context, 'Dockerfile'), 'utf8'));
      const stdin = dockerfileWithLabels(dockerfile, spec.labels, spec.target);
      const building = run('docker', dockerBuildArgs({ ...spec, iidFile }, true), o, { DOCKER_BUILDKIT: '0' }, stdin);
      o.started?.();
      const r = await building;
      if (r.code !== 0) throw new UserError(`docker build failed: ${errorLine(r.stderr || r.stdout)}`);
      outcome.buildMs = Date.now() - t0;
      outcome.imageId = await readTrimmed(iidFile);
      return outcome;
    }
    const building = run('buildah', buildahBuildArgs({ ...spec, iidFile }), o);
    o.started?.();
    const r = await building;
    if (r.code !== 0) throw new UserError(`buildah bud failed: ${errorLine(r.stderr || r.stdout)}`);
    outcome.buildMs = Date.now() - t0;
    const iid = await readTrimmed(iidFile);
    outcome.imageId = iid && !iid.startsWith('sha256:') ? `sha256:${iid}` : iid;
    return outcome;
  } finally {
    if (!o.workDir) await rm(dir, { recursive: true, force: true });
  }
}

/**
 * The local socket of the Docker Engine API when the docker CLI would use it: no remote
 * DOCKER_HOST, no context (DOCKER_CONTEXT, or a currentContext in the CLI's config.json), no TLS.
 */
export function localDockerSocket(env: NodeJS.ProcessEnv): string | undefined {
  if (env.DOCKER_CONTEXT || env.DOCKER_TLS_VERIFY || env.DOCKER_CERT_PATH) return undefined;
  const host = env.DOCKER_HOST ?? '';
  if (host && !host.startsWith('unix://')) return undefined;
  const config = join(env.DOCKER_CONFIG || join(env.HOME || homedir(), '.docker'), 'config.json');
  try {
    const current = (JSON.parse(readFileSync(config, 'utf8')) as { currentContext?: string }).currentContext;
    if (current && current !== 'default') return undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return undefined; // unreadable: let the CLI decide
  }
  return host ? host.slice('unix://'.length) : '/var/run/docker.sock';
}

/**
 * One request to the Engine API on its local socket. The connection is made directly, without an
 * HTTP agent: one request per connection, and no host name to check (an agent's first check of
 * `localhost` compiles Node's IPv6 pattern, 8-11 ms of the main thread). Rejects when the socket
 * does not answer.
 */
async function engineRequest(
  socket: string,
  method: string,
  path: string,
  options: { headers?: Record<string, string>; idleTimeoutMs?: number } = {},
): Promise<IncomingMessage> {
  const [{ request }, { createConnection }] = await Promise.all([import('node:http'), import('node:net')]);
  return new Promise((resolve, reject) => {
    const req = request({ method, path, headers: options.headers ?? {}, createConnection: () => createConnection(socket) }, resolve);
    if (options.idleTimeoutMs) req.setTimeout(options.idleTimeoutMs, () => req.destroy(new Error('the Docker Engine API did not answer')));
    req.on('error', reject);
    req.end();
  });
}

/** `POST /images/{id}/tag` on the Engine API's socket; false when it did not answer 201. */
async function tagThroughSocket(socket: string, imageId: string, ref: string): Promise<boolean> {
  const path = `/images/${encodeURIComponent(imageId)}/tag?repo=${encodeURIComponent(repositoryOfRef(ref))}&tag=${encodeURIComponent(tagOfRef(ref))}`;
  try {
    const res = await engineRequest(socket, 'POST', path, { idleTimeoutMs: 10_000 });
    return await new Promise((resolve) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode === 201));
      res.on('error', () => resolve(false));
    });
  } catch {
    return false;
  }
}

/** One message of the Engine API's JSON progress stream (what `docker push` renders). */
interface JsonMessage {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  error?: string;
  errorDetail?: { message?: string };
  aux?: { Tag?: string; Digest?: string; Size?: number };
}

/**
 * `POST /images/{name}/push` on the Engine API's socket, with the registry credentials in
 * X-Registry-Auth: what `docker push` asks of the daemon, without the CLI's process (about 60 ms
 * of start-up and a fork of this one). The stream's lines are logged as the CLI logs them without
 * a terminal (status lines, no progress bars); an error in the stream, or an answer other than
 * 200, is a failed push with the daemon's message (code 1), as the CLI would print it. Undefined
 * when the socket does not answer.
 */
async function pushThroughSocket(
  socket: string,
  ref: string,
  credentials: RegistryCredentials,
  logger: Logger,
): Promise<(ExecResult & { digest?: string }) | undefined> {
  // The CLI's encoding: URL-safe base64 with padding (Go's base64.URLEncoding).
  const auth = Buffer.from(JSON.stringify({ ...credentials, serveraddress: registryOf(ref) }))
    .toString('base64')
    .replace(/\+/g, '-')
    .replace(/\//g, '_');
  let res: IncomingMessage;
  try {
    res = await engineRequest(
      socket,
      'POST',
      `/images/${encodeURIComponent(repositoryOfRef(ref))}/push?tag=${encodeURIComponent(tagOfRef(ref))}`,
      {
        headers: { 'X-Registry-Auth': auth },
      },
    );
  } catch {
    return undefined;
  }
  logger.info(`Pushing ${ref} (Docker Engine API at ${socket})`);
  const lines: string[] = [];
  let failure: string | undefined;
  let digest: string | undefined;
  let body = ''; // an error answer's, read whole
  const take = (line: string) => {
    if (!line.trim()) return;
    let m: JsonMessage;
    try {
      m = JSON.parse(line) as JsonMessage;
    } catch {
      lines.push(line);
      logger.info(line);
      return;
    }
    if (m.error || m.errorDetail?.message) {
      failure ??= m.errorDetail?.message || m.error;
      return;
    }
    if (m.aux) {
      if (m.aux.Digest) digest = m.aux.Digest;
      return;
    }
    // Without a terminal the CLI leaves out progress bars.
    if (m.progressDetail && (m.progressDetail.current !== undefined || m.progressDetail.total !== undefined)) return;
    if (m.status === undefined) return;
    const text = m.id ? `${m.id}: ${m.status}` : m.status;
    lines.push(text);
    logger.info(text);
  };
  const stream = streamed(take);
  res.setEncoding('utf8');
  try {
    for await (const chunk of res as AsyncIterable<string>) {
      if (res.statusCode === 200) stream.push(chunk);
      else body += chunk;
    }
  } catch (err) {
    failure ??= `the push stream ended early: ${errorMessage(err)}`;
  }
  if (res.statusCode !== 200) {
    let message = body.trim();
    try {
      message = (JSON.parse(message) as { message?: string }).message ?? message;
    } catch {}
    failure = `Error response from daemon: ${message || `HTTP ${res.statusCode}`}`;
  } else stream.flush();
  if (failure) {
    logger.info(failure);
    return { code: 1, stdout: lines.join('\n'), stderr: failure };
  }
  return { code: 0, stdout: lines.join('\n'), stderr: '', ...(digest ? { digest } : {}) };
}

/**
 * Gives a locally built image (by ID) its references, for a build that ran before they were
 * known (see docker-build's build.ts): for docker through the Engine API's local socket when
 * the CLI would use it (a request instead of a CLI process per tag), else (or when it does not
 * answer) `docker tag` for each; one `buildah tag` for buildah.
 */
export async function tagImage(builder: 'docker' | 'buildah', imageId: string, refs: readonly string[], o: DriverOptions): Promise<void> {
  let left = [...refs];
  const socket = builder === 'docker' ? localDockerSocket(o.env ?? process.env) : undefined;
  if (socket) {
    const done = await Promise.all(left.map((ref) => tagThroughSocket(socket, imageId, ref)));
    for (const ref of left.filter((_, i) => done[i])) o.logger.info(`Tagged ${imageId} as ${ref} (Docker Engine API at ${socket})`);
    left = left.filter((_, i) => !done[i]);
  }
  if (left.length === 0) return;
  const calls = builder === 'docker' ? left.map((ref) => ['tag', imageId, ref]) : [['tag', imageId, ...left]];
  const results = await Promise.all(calls.map((args) => run(builder, args, o)));
  const failed = results.find((r) => r.code !== 0);
  if (failed) throw new UserError(`${builder} tag failed: ${errorLine(failed.stderr || failed.stdout)}`);
}

/** Whether the docker CLI would sign pushes (DOCKER_CONTENT_TRUST: any value but Go's false ones). */
function contentTrust(env: NodeJS.ProcessEnv): boolean {
  const v = env.DOCKER_CONTENT_TRUST ?? '';
  return v !== '' && !['0', 'f', 'F', 'false', 'FALSE', 'False'].includes(v);
}

/**
 * Uploads one locally built reference (transient failures retried); returns the manifest digest
 * the builder reported, if it did. docker pushes through the Engine API's local socket when the
 * credentials are known and the CLI would use that socket (see localDockerSocket), unless
 * DOCKER_CONTENT_TRUST asks the CLI to sign; else, or when the socket does not answer, with
 * `docker push`. buildah with `buildah push`.
 */
export async function pushReference(
  builder: 'docker' | 'buildah',
  ref: string,
  o: DriverOptions,
  credentials?: RegistryCredentials,
): Promise<string | undefined> {
  if (builder === 'docker') {
    const env = o.env ?? process.env;
    const socket = credentials && !contentTrust(env) ? localDockerSocket(env) : undefined;
    if (socket && credentials) {
      let cli = false; // the socket did not answer: the CLI decides from then on
      const p = await pushWithRetry(`docker push ${ref}`, o, async (): Promise<ExecResult & { digest?: string }> => {
        const r = cli ? undefined : await pushThroughSocket(socket, ref, credentials, o.logger);
        cli = r === undefined;
        return r ?? run('docker', dockerPushArgs(ref), o);
      });
      return p.digest ?? digestFromPushOutput(p.stdout + p.stderr);
    }
    const p = await pushWithRetry(`docker push ${ref}`, o, () => run('docker', dockerPushArgs(ref), o));
    return digestFromPushOutput(p.stdout + p.stderr);
  }
  const dir = o.workDir ?? (await mkdtemp(join(tmpdir(), 'docker-build-')));
  try {
    const file = join(dir, `digest-${Date.now()}`);
    await pushWithRetry(`buildah push ${ref}`, o, () => run('buildah', buildahPushArgs(ref, file), o));
    return await readTrimmed(file);
  } finally {
    if (!o.workDir) await rm(dir, { recursive: true, force: true });
  }
}
