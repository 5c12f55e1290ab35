/**
 * The sandbox registry: Debian's `docker-registry` (the CNCF distribution registry) as a child
 * of the daemon, with htpasswd basic auth and storage inside DIR; and a small client for its
 * HTTP API (image existence for the simulated kubelet, pushing a tiny scratch image, tags and
 * digests for ECR DescribeImages).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import bcrypt from 'bcryptjs';
import { freePort } from './http.ts';
import { findRegistryBinary, REGISTRY_PACKAGE } from './registry-binary.ts';

export { findRegistryBinary, REGISTRY_PACKAGE } from './registry-binary.ts';

export interface RegistryProcess {
  /** host:port */
  host: string;
  pid: number;
  close(): Promise<void>;
}

export interface StartRegistryOptions {
  dir: string;
  user: string;
  password: string;
  binary?: string;
  log?: (line: string) => void;
}

export async function startRegistry(options: StartRegistryOptions): Promise<RegistryProcess> {
  const binary = options.binary ?? (await findRegistryBinary());
  if (!binary) {
    throw new Error(
      `the registry binary docker-registry was not found: install the Debian package \`${REGISTRY_PACKAGE}\` (apt-get install ${REGISTRY_PACKAGE})`,
    );
  }
  const root = join(options.dir, 'registry');
  await mkdir(join(root, 'data'), { recursive: true });
  const htpasswd = join(root, 'htpasswd');
  await writeFile(htpasswd, `${options.user}:${bcrypt.hashSync(options.password, 6)}\n`, { mode: 0o600 });
  const port = await freePort();
  const host = `127.0.0.1:${port}`;
  const config = {
    version: 0.1,
    log: { level: 'info', formatter: 'text', fields: { service: 'registry' } },
    storage: { filesystem: { rootdirectory: join(root, 'data') }, delete: { enabled: true }, cache: { blobdescriptor: 'inmemory' } },
    http: { addr: host, secret: 'tripo04os-sandbox', headers: { 'X-Content-Type-Options': ['nosniff'] } },
    auth: { htpasswd: { realm: 'sandbox-registry', path: htpasswd } },
    health: { storagedriver: { enabled: false } },
  };
  const configFile = join(root, 'config.yml');
  // JSON is YAML: the registry reads it as its config file.
  await writeFile(configFile, JSON.stringify(config, null, 2));
  const child: ChildProcess = spawn(binary, ['serve', configFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, OTEL_TRACES_EXPORTER: 'none' },
  });
  const log = options.log ?? (() => {});
  let exited = false;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      log(`registry: exited (${signal ?? code})`);
      resolve();
    });
  });
  await new Promise<void>((resolve, reject) => {
    let tail = '';
    const onData = (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      tail = (tail + text).slice(-4000);
      for (const line of text.split('\n')) if (line.trim()) log(`registry: ${line.trim()}`);
      if (/listening on/.test(text)) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`docker-registry exited (${code}) before listening: ${tail.trim().slice(-1000)}`)));
  });
  // "listening on" is logged just before the socket accepts; one request confirms it answers.
  const res = await fetch(`http://${host}/v2/`);
  if (res.status !== 401) throw new Error(`registry on ${host} answered /v2/ with ${res.status}, expected 401`);
  return {
    host,
    pid: child.pid ?? 0,
    close: async () => {
      if (exited) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
      await exit;
      clearTimeout(timer);
    },
  };
}

export const MANIFEST_TYPES = [
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.index.v1+json',
];

export interface ImageReference {
  host: string;
  repository: string;
  /** tag or digest */
  reference: string;
}

// Independent of @tripo04os/common's image-ref.ts on purpose (the sandbox must not share the actions' parser).
/** Splits `host:port/repo[:tag|@digest]`; a missing tag is `latest`. */
export function parseImageReference(ref: string): ImageReference | undefined {
  const slash = ref.indexOf('/');
  if (slash < 0) return undefined;
  const host = ref.slice(0, slash);
  let rest = ref.slice(slash + 1);
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const colon = rest.lastIndexOf(':');
    if (colon >= 0) rest = rest.slice(0, colon);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon >= 0) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  if (!rest) return undefined;
  return { host, repository: rest, reference };
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`;
}

/** A one-file ustar archive. */
function tarOneFile(name: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const put = (value: string, offset: number, length: number) => header.write(value, offset, length, 'ascii');
  put(name, 0, 100);
  put('0000644\0', 100, 8);
  put('0000000\0', 108, 8);
  put('0000000\0', 116, 8);
  put(`${content.length.toString(8).padStart(11, '0')}\0`, 124, 12);
  put(`${(0).toString(8).padStart(11, '0')}\0`, 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

export interface ImageDetail {
  repository: string;
  tags: string[];
  digest: string;
  sizeInBytes: number;
  pushedAt: Date;
  mediaType: string;
}

export class RegistryError extends Error {
  override name = 'RegistryError';
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

export class RegistryClient {
  readonly host: string;
  readonly #auth: string;
  constructor(host: string, user: string, password: string) {
    this.host = host;
    this.#auth = `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
  }

  async #request(method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer | string } = {}): Promise<Response> {
    const url = path.startsWith('http') ? path : `http://${this.host}${path}`;
    return fetch(url, {
      method,
      headers: { authorization: this.#auth, ...init.headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
      redirect: 'manual',
    });
  }

  /** Whether the registry holds the image; a reference to another host is never there. */
  async imageExists(ref: string): Promise<boolean> {
    const parsed = parseImageReference(ref);
    if (!parsed) return false;
    const [h, p] = parsed.host.split(':');
    const [mh, mp] = this.host.split(':');
    if (p !== mp || !(h === mh || h === 'localhost' || h === '127.0.0.1')) return false;
    try {
      const res = await this.#request('HEAD', `/v2/${parsed.repository}/manifests/${parsed.reference}`, {
        headers: { accept: MANIFEST_TYPES.join(', ') },
      });
      return res.status === 200;
    } catch {
      return false;
    }
  }

  /** The manifest digest of repository:reference (tag or digest), or undefined when absent. */
  async digest(repository: string, reference: string): Promise<string | undefined> {
    const res = await this.#request('HEAD', `/v2/${repository}/manifests/${reference}`, { headers: { accept: MANIFEST_TYPES.join(', ') } });
    if (res.status !== 200) return undefined;
    return res.headers.get('docker-content-digest') ?? undefined;
  }

  async #blobExists(repository: string, digest: string): Promise<boolean> {
    const res = await this.#request('HEAD', `/v2/${repository}/blobs/${digest}`);
    return res.status === 200;
  }

  async #pushBlob(repository: string, data: Buffer): Promise<string> {
    const digest = sha256(data);
    if (await this.#blobExists(repository, digest)) return digest;
    const start = await this.#request('POST', `/v2/${repository}/blobs/uploads/`);
    if (start.status !== 202)
      throw new RegistryError(`starting a blob upload to ${repository} failed: ${start.status} ${await start.text()}`, start.status);
    const location = start.headers.get('location');
    if (!location) throw new RegistryError('the registry gave no upload location', 500);
    const url = new URL(location, `http://${this.host}`);
    url.searchParams.set('digest', digest);
    const put = await this.#request('PUT', url.toString(), { headers: { 'content-type': 'application/octet-stream' }, body: data });
    if (put.status !== 201) throw new RegistryError(`uploading blob ${digest} failed: ${put.status} ${await put.text()}`, put.status);
    return digest;
  }

  /** Pushes a tiny real image (scratch, one layer) and returns its reference and digest. */
  async pushScratchImage(repository: string, tag: string): Promise<{ image: string; digest: string }> {
    const tar = tarOneFile('sandbox-image.txt', Buffer.from(`${repository}:${tag}\n`));
    const layer = gzipSync(tar);
    const layerDigest = await this.#pushBlob(repository, layer);
    const created = new Date().toISOString();
    const config = Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created,
        config: { Labels: { 'org.opencontainers.image.title': repository, 'org.opencontainers.image.version': tag } },
        rootfs: { type: 'layers', diff_ids: [sha256(tar)] },
        history: [{ created, created_by: 'tripo04os sandbox' }],
      }),
    );
    const configDigest = await this.#pushBlob(repository, config);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
        config: { mediaType: 'application/vnd.docker.container.image.v1+json', size: config.length, digest: configDigest },
        layers: [{ mediaType: 'application/vnd.docker.image.rootfs.diff.tar.gzip', size: layer.length, digest: layerDigest }],
      }),
    );
    const res = await this.#request('PUT', `/v2/${repository}/manifests/${tag}`, {
      headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' },
      body: manifest,
    });
    if (res.status !== 201)
      throw new RegistryError(`pushing manifest ${repository}:${tag} failed: ${res.status} ${await res.text()}`, res.status);
    const digest = res.headers.get('docker-content-digest') ?? sha256(manifest);
    return { image: `${this.host}/${repository}:${tag}`, digest };
  }

  /**
   * Every repository, page by page as the registry allows: it refuses a page size above its
   * `catalog.maxentries` (1000 by default) with a 400, and says where the next page is in a
   * `Link: </v2/_catalog?last=…&n=…>; rel="next"` header.
   */
  async repositories(pageSize = 100): Promise<string[]> {
    const names: string[] = [];
    let path: string | undefined = `/v2/_catalog?n=${pageSize}`;
    while (path) {
      const res = await this.#request('GET', path);
      if (res.status !== 200) throw new RegistryError(`catalog: ${res.status}`, res.status);
      names.push(...(((await res.json()) as { repositories?: string[] }).repositories ?? []));
      const next = /<([^>]+)>;\s*rel="?next"?/.exec(res.headers.get('link') ?? '')?.[1];
      path = next ? new URL(next, 'http://registry').pathname + new URL(next, 'http://registry').search : undefined;
    }
    return names;
  }

  async tags(repository: string): Promise<string[]> {
    const res = await this.#request('GET', `/v2/${repository}/tags/list`);
    if (res.status === 404) return [];
    if (res.status !== 200) throw new RegistryError(`tags of ${repository}: ${res.status}`, res.status);
    return ((await res.json()) as { tags?: string[] | null }).tags ?? [];
  }

  /** Every image of a repository, grouped by digest (tags of one digest together). */
  async images(repository: string): Promise<ImageDetail[]> {
    const byDigest = new Map<string, ImageDetail>();
    for (const tag of await this.tags(repository)) {
      const res = await this.#request('GET', `/v2/${repository}/manifests/${tag}`, { headers: { accept: MANIFEST_TYPES.join(', ') } });
      if (res.status !== 200) continue;
      const body = Buffer.from(await res.arrayBuffer());
      const digest = res.headers.get('docker-content-digest') ?? sha256(body);
      const existing = byDigest.get(digest);
      if (existing) {
        existing.tags.push(tag);
        continue;
      }
      const manifest = JSON.parse(body.toString('utf8')) as {
        mediaType?: string;
        config?: { digest: string; size: number };
        layers?: { size: number }[];
      };
      let pushedAt = new Date(0);
      if (manifest.config) {
        const c = await this.#request('GET', `/v2/${repository}/blobs/${manifest.config.digest}`);
        if (c.status === 200) {
          const created = ((await c.json()) as { created?: string }).created;
          if (created) pushedAt = new Date(created);
        }
      }
      byDigest.set(digest, {
        repository,
        tags: [tag],
        digest,
        sizeInBytes: (manifest.layers ?? []).reduce((n, l) => n + l.size, 0) + (manifest.config?.size ?? 0),
        pushedAt,
        mediaType: manifest.mediaType ?? res.headers.get('content-type') ?? MANIFEST_TYPES[0]!,
      });
    }
    return [...byDigest.values()];
  }
}
