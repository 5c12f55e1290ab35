/**
 * Local stand-ins for third-party actions (they cannot be fetched here), keyed by OWNER/REPO[/PATH]
 * at any ref. Each accepts only the inputs the real action has; the package README's table says
 * what each one does locally.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import type { JobLog } from './log.ts';

export interface StandInContext {
  inputs: Record<string, string>;
  workspace: string;
  /** The run folder (artifacts/ lives there). */
  out: string;
  temp: string;
  env: Record<string, string>;
  repoDir: string;
  sha: string;
  log: JobLog;
  mask: (value: string) => void;
  signal: AbortSignal;
}

export interface StandInResult {
  outputs?: Record<string, string>;
  /** Exported to the following steps (as GITHUB_ENV would). */
  env?: Record<string, string>;
  /** Prepended to PATH for the following steps. */
  path?: string[];
  /** Run at job end (the real action's post step). */
  post?: () => void;
}

export interface StandIn {
  /** Every input the real action accepts (others are refused before the run starts). */
  inputs: string[];
  run(ctx: StandInContext): Promise<StandInResult>;
}

function bool(v: string | undefined, dflt: boolean): boolean {
  if (v === undefined || v === '') return dflt;
  return v === 'true';
}

function lines(v: string | undefined): string[] {
  return (v ?? '')
    .split('\n')
    .map((s) => s.trim())
    .filter(Boolean);
}

function git(dir: string, ...args: string[]): string {
  return execFileSync('git', ['-C', dir, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

/** Files matching the (newline-separated, `!`-negatable) globs, relative to the workspace. */
function globFiles(workspace: string, patterns: string[]): { root: string; files: string[] } {
  const fs = process.getBuiltinModule('node:fs') as typeof import('node:fs');
  const path = process.getBuiltinModule('node:path') as typeof import('node:path');
  const found = new Set<string>();
  const inc = patterns.filter((p) => !p.startsWith('!'));
  const exc = patterns.filter((p) => p.startsWith('!')).map((p) => p.slice(1));
  for (const p of inc) {
    const abs = isAbsolute(p) ? p : join(workspace, p);
    if (existsSync(abs) && statSync(abs).isDirectory()) {
      for (const f of fs.readdirSync(abs, { recursive: true, withFileTypes: true }))
        if (f.isFile()) found.add(join(f.parentPath ?? (f as unknown as { path: string }).path, f.name));
    } else for (const f of fs.globSync(abs)) if (statSync(f).isFile()) found.add(resolve(f));
  }
  const files = [...found].filter((f) => !exc.some((e) => path.matchesGlob(relative(workspace, f), e)));
  // The artifact root: the least common ancestor of the search paths (as upload-artifact does).
  const roots = inc.map((p) => {
    const abs = isAbsolute(p) ? p : join(workspace, p);
    const wild = abs.search(/[*?[{]/);
    const base = wild >= 0 ? dirname(abs.slice(0, wild + 1)) : existsSync(abs) && statSync(abs).isDirectory() ? abs : dirname(abs);
    return base;
  });
  let root = roots[0] ?? workspace;
  for (const r of roots.slice(1)) while (!`${r}/`.startsWith(`${root}/`)) root = dirname(root);
  return { root, files };
}

const checkout: StandIn = {
  inputs: [
    'repository',
    'ref',
    'token',
    'ssh-key',
    'ssh-known-hosts',
    'ssh-strict',
    'ssh-user',
    'persist-credentials',
    'path',
    'clean',
    'filter',
    'sparse-checkout',
    'sparse-checkout-cone-mode',
    'fetch-depth',
    'fetch-tags',
    'show-progress',
    'lfs',
    'submodules',
    'set-safe-directory',
    'github-server-url',
  ],
  async run(c) {
    if (c.inputs.repository && c.inputs.repository !== c.env.GITHUB_REPOSITORY)
      throw new Error(
        `actions/checkout: repository: ${c.inputs.repository}: only the workflow's own repository (${c.env.GITHUB_REPOSITORY}) can be checked out here`,
      );
    const dest = resolve(c.workspace, c.inputs.path ?? '.');
    if (relative(c.workspace, dest).startsWith('..'))
      throw new Error(`actions/checkout: path: ${c.inputs.path}: must be inside the workspace`);
    const ref = c.inputs.ref || c.sha;
    const depth = Number(c.inputs['fetch-depth'] ?? '1');
    if (!Number.isInteger(depth) || depth < 0)
      throw new Error(`actions/checkout: fetch-depth: ${c.inputs['fetch-depth']}: expected a whole number (0: all history)`);
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dirname(dest), { recursive: true });
    c.log.info(`##[group]Checking out ${ref} from ${c.repoDir} into ${dest}`);
    execFileSync('git', ['clone', '-q', '--no-checkout', '--shared', c.repoDir, dest], { stdio: 'pipe' });
    git(dest, 'checkout', '-q', '--detach', ref);
    const sha = git(dest, 'rev-parse', 'HEAD');
    c.log.info(`HEAD is now at ${sha.slice(0, 7)} ${git(dest, 'log', '-1', '--format=%s')}`);
    c.log.info('##[endgroup]');
    return { outputs: { ref, commit: sha } };
  },
};

const setupPython: StandIn = {
  inputs: [
    'python-version',
    'python-version-file',
    'cache',
    'architecture',
    'check-latest',
    'token',
    'cache-dependency-path',
    'update-environment',
    'allow-prereleases',
    'freethreaded',
    'pip-version',
    'pip-install',
  ],
  async run(c) {
    let wanted = c.inputs['python-version'] ?? '';
    if (!wanted && c.inputs['python-version-file'])
      wanted = readFileSync(join(c.workspace, c.inputs['python-version-file']), 'utf8').trim().split('\n')[0] ?? '';
    let version: string;
    let exe: string;
    try {
      exe = execFileSync('sh', ['-c', 'command -v python3'], { encoding: 'utf8', env: c.env }).trim();
      version = execFileSync(exe, ['-c', 'import platform; print(platform.python_version())'], { encoding: 'utf8' }).trim();
    } catch {
      throw new Error('actions/setup-python: python3 is not installed on this machine');
    }
    if (wanted && !versionMatches(version, wanted))
      throw new Error(
        `actions/setup-python: python-version: ${wanted}: this machine has Python ${version} only (the stand-in uses the host's python3)`,
      );
    // A virtual environment that sees the host's packages (Debian's python3-pytest, flake8, ...),
    // so `python -m pip install` works as on a hosted runner (no PEP 668 refusal) but offline
    // (PyPI is out of reach): a requirement already installed is satisfied, another one fails
    // clearly ("No matching distribution found").
    const venv = join(c.temp, 'setup-python', 'venv');
    try {
      execFileSync(exe, ['-m', 'venv', '--system-site-packages', '--without-pip', '--clear', venv], { stdio: 'pipe' });
    } catch (e) {
      throw new Error(`actions/setup-python: could not create a virtual environment with ${exe}: ${(e as Error).message.split('\n')[0]}`);
    }
    const bin = join(venv, 'bin');
    c.log.info(`Using the host's Python ${version} (${exe}) in a virtual environment with its packages (${venv}); pip is offline`);
    return {
      outputs: { 'python-version': version, 'python-path': join(bin, 'python') },
      path: [bin],
      env: {
        pythonLocation: venv,
        VIRTUAL_ENV: venv,
        PIP_NO_INDEX: '1',
        PIP_DISABLE_PIP_VERSION_CHECK: '1',
      },
    };
  },
};

/**
 * actions/setup-node: the Node that runs this runner (Node 24, the node@24 devDependency) first on
 * the PATH. `node-version` must name its major (`24`, `24.x`, `v24`, `lts/*` is refused: it is not
 * a version this machine can promise); no download, no registry setup, no cache.
 */
const setupNode: StandIn = {
  inputs: [
    'node-version',
    'node-version-file',
    'architecture',
    'check-latest',
    'registry-url',
    'scope',
    'token',
    'cache',
    'package-manager-cache',
    'cache-dependency-path',
    'always-auth',
    'mirror',
    'mirror-token',
  ],
  async run(c) {
    let wanted = c.inputs['node-version'] ?? '';
    if (!wanted && c.inputs['node-version-file'])
      wanted = readFileSync(join(c.workspace, c.inputs['node-version-file']), 'utf8').trim().split('\n')[0] ?? '';
    const version = process.versions.node;
    if (wanted && !versionMatches(version, wanted))
      throw new Error(
        `actions/setup-node: node-version: ${wanted}: this machine has Node ${version} only (the stand-in uses the runner's own Node)`,
      );
    c.log.info(`Using the runner's Node ${version} (${process.execPath})`);
    return { outputs: { 'node-version': `v${version}` }, path: [dirname(process.execPath)] };
  },
};

export function versionMatches(actual: string, wanted: string): boolean {
  const w = wanted.trim().replace(/^v/, '');
  if (w === '3.x' || w === '3' || w === 'x') return actual.startsWith('3.');
  const m = /^>=\s*([\d.]+)$/.exec(w);
  if (m) {
    const a = actual.split('.').map(Number);
    const b = (m[1] as string).split('.').map(Number);
    for (let i = 0; i < b.length; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
    return true;
  }
  const parts = w.replace(/\.x$/, '').split('.');
  return actual.split('.').slice(0, parts.length).join('.') === parts.join('.');
}

function cacheRoot(c: StandInContext): string {
  return c.env.WORKFLOW_CACHE_DIR || join(c.out, '..', '.workflow-cache');
}

const cache: StandIn = {
  inputs: ['path', 'key', 'restore-keys', 'upload-chunk-size', 'enableCrossOsArchive', 'fail-on-cache-miss', 'lookup-only', 'save-always'],
  async run(c) {
    const key = c.inputs.key;
    if (!key) throw new Error('actions/cache: key: required');
    const paths = lines(c.inputs.path);
    if (!paths.length) throw new Error('actions/cache: path: required');
    const root = cacheRoot(c);
    mkdirSync(root, { recursive: true });
    const entries = readdirSync(root);
    const enc = (k: string) => encodeURIComponent(k);
    let hit: string | undefined = entries.includes(enc(key)) ? key : undefined;
    let matchedKey = hit;
    if (!hit) {
      for (const prefix of lines(c.inputs['restore-keys'])) {
        const m = entries
          .map((e) => decodeURIComponent(e))
          .filter((e) => e.startsWith(prefix))
          .sort((a, b) => statSync(join(root, enc(b))).mtimeMs - statSync(join(root, enc(a))).mtimeMs)[0];
        if (m) {
          matchedKey = m;
          break;
        }
      }
    }
    if (matchedKey) {
      cpSync(join(root, enc(matchedKey)), c.workspace, { recursive: true });
      c.log.info(`Cache restored from key: ${matchedKey}`);
    } else {
      if (bool(c.inputs['fail-on-cache-miss'], false)) throw new Error(`actions/cache: no cache for key ${key} (fail-on-cache-miss)`);
      c.log.info(`Cache not found for input keys: ${[key, ...lines(c.inputs['restore-keys'])].join(', ')}`);
    }
    hit = matchedKey === key ? key : undefined;
    // The real action saves in its post step; here it saves at once when it missed, then again is a no-op.
    let post: (() => void) | undefined;
    if (!hit && !bool(c.inputs['lookup-only'], false)) {
      const saveDir = join(root, enc(key));
      post = () => {
        mkdirSync(saveDir, { recursive: true });
        for (const p of paths) {
          const abs = resolve(c.workspace, p);
          if (existsSync(abs)) cpSync(abs, join(saveDir, relative(c.workspace, abs)), { recursive: true });
        }
        c.log.info(`Cache saved with key: ${key}`);
      };
    }
    return {
      post,
      outputs: { 'cache-hit': hit ? 'true' : 'false', 'cache-primary-key': key, 'cache-matched-key': matchedKey ?? '' },
    };
  },
};

const upload: StandIn = {
  inputs: ['name', 'path', 'if-no-files-found', 'retention-days', 'compression-level', 'overwrite', 'include-hidden-files'],
  async run(c) {
    const name = c.inputs.name || 'artifact';
    if (!/^[^"<>|*?\r\n\\/:]+$/.test(name))
      throw new Error(`actions/upload-artifact: name: ${name}: must not contain " : < > | * ? \\ / or line breaks`);
    const { root, files } = globFiles(c.workspace, lines(c.inputs.path));
    const mode = c.inputs['if-no-files-found'] || 'warn';
    if (!['warn', 'error', 'ignore'].includes(mode))
      throw new Error(`actions/upload-artifact: if-no-files-found: ${mode}: expected warn, error or ignore`);
    if (!files.length) {
      const msg = `No files were found with the provided path: ${c.inputs.path}. No artifacts will be uploaded.`;
      if (mode === 'error') throw new Error(msg);
      if (mode === 'warn') c.log.warning(msg);
      return {};
    }
    const dest = join(c.out, 'artifacts', name);
    if (existsSync(dest)) {
      if (!bool(c.inputs.overwrite, false))
        throw new Error(`actions/upload-artifact: an artifact named ${name} already exists in this run (overwrite: true replaces it)`);
      rmSync(dest, { recursive: true, force: true });
    }
    let size = 0;
    for (const f of files) {
      const to = join(dest, relative(root, f));
      mkdirSync(dirname(to), { recursive: true });
      cpSync(f, to);
      size += statSync(f).size;
    }
    c.log.info(`Artifact ${name} uploaded: ${files.length} file(s), ${size} bytes (${dest})`);
    return { outputs: { 'artifact-id': String(Date.now()), 'artifact-url': `file://${dest}`, 'artifact-digest': '' } };
  },
};

const download: StandIn = {
  inputs: ['name', 'artifact-ids', 'path', 'pattern', 'merge-multiple', 'github-token', 'repository', 'run-id'],
  async run(c) {
    const root = join(c.out, 'artifacts');
    const all = existsSync(root) ? readdirSync(root) : [];
    const dest = resolve(c.workspace, c.inputs.path || '.');
    let names: string[];
    if (c.inputs.name) {
      if (!all.includes(c.inputs.name))
        throw new Error(
          `actions/download-artifact: Artifact not found for name: ${c.inputs.name} (this run has: ${all.join(', ') || 'none'})`,
        );
      names = [c.inputs.name];
      cpSync(join(root, c.inputs.name), dest, { recursive: true });
    } else {
      const path = process.getBuiltinModule('node:path') as typeof import('node:path');
      names = all.filter((n) => !c.inputs.pattern || path.matchesGlob(n, c.inputs.pattern));
      for (const n of names) cpSync(join(root, n), bool(c.inputs['merge-multiple'], false) ? dest : join(dest, n), { recursive: true });
    }
    c.log.info(`Downloaded ${names.join(', ') || 'nothing'} to ${dest}`);
    return { outputs: { 'download-path': dest } };
  },
};

const configureAws: StandIn = {
  inputs: [
    'audience',
    'aws-access-key-id',
    'aws-secret-access-key',
    'aws-session-token',
    'aws-region',
    'mask-aws-account-id',
    'role-to-assume',
    'web-identity-token-file',
    'role-duration-seconds',
    'role-session-name',
    'role-external-id',
    'role-skip-session-tagging',
    'inline-session-policy',
    'managed-session-policies',
    'output-credentials',
    'unset-current-credentials',
    'disable-retry',
    'retry-max-attempts',
    'special-characters-workaround',
    'use-existing-credentials',
    'output-env-credentials',
  ],
  async run(c) {
    const region = c.inputs['aws-region'];
    if (!region) throw new Error('aws-actions/configure-aws-credentials: aws-region: required');
    const env: Record<string, string> = { AWS_REGION: region, AWS_DEFAULT_REGION: region };
    let keyId = c.inputs['aws-access-key-id'] ?? '';
    let secret = c.inputs['aws-secret-access-key'] ?? '';
    let session = c.inputs['aws-session-token'] ?? '';
    const role = c.inputs['role-to-assume'];
    if (role) {
      const endpoint = c.env.AWS_ENDPOINT_URL_STS;
      if (!endpoint)
        throw new Error(
          'aws-actions/configure-aws-credentials: role-to-assume needs AWS_ENDPOINT_URL_STS (the local STS endpoint) in the environment',
        );
      const { STSClient, AssumeRoleWithWebIdentityCommand } = await import('@aws-sdk/client-sts');
      const token = c.inputs['web-identity-token-file']
        ? readFileSync(resolve(c.workspace, c.inputs['web-identity-token-file']), 'utf8').trim()
        : `local-oidc.${Buffer.from(JSON.stringify({ sub: `repo:${c.env.GITHUB_REPOSITORY}:ref:${c.env.GITHUB_REF}`, aud: c.inputs.audience || 'sts.amazonaws.com' })).toString('base64url')}.sig`;
      const client = new STSClient({ region, endpoint, credentials: { accessKeyId: 'anonymous', secretAccessKey: 'anonymous' } });
      const r = await client.send(
        new AssumeRoleWithWebIdentityCommand({
          RoleArn: role,
          RoleSessionName: c.inputs['role-session-name'] || 'GitHubActions',
          WebIdentityToken: token,
          DurationSeconds: Number(c.inputs['role-duration-seconds'] || 3600),
        }),
        { abortSignal: c.signal },
      );
      const creds = r.Credentials;
      if (!creds?.AccessKeyId || !creds.SecretAccessKey)
        throw new Error('aws-actions/configure-aws-credentials: STS returned no credentials');
      keyId = creds.AccessKeyId;
      secret = creds.SecretAccessKey;
      session = creds.SessionToken ?? '';
      c.log.info(`Assumed role ${role} through ${endpoint}`);
    } else if (!keyId || !secret) {
      throw new Error('aws-actions/configure-aws-credentials: give role-to-assume, or aws-access-key-id and aws-secret-access-key');
    }
    c.mask(secret);
    c.mask(session);
    env.AWS_ACCESS_KEY_ID = keyId;
    env.AWS_SECRET_ACCESS_KEY = secret;
    if (session) env.AWS_SESSION_TOKEN = session;
    const outputs: Record<string, string> = {};
    if (bool(c.inputs['output-credentials'], false)) {
      outputs['aws-access-key-id'] = keyId;
      outputs['aws-secret-access-key'] = secret;
      if (session) outputs['aws-session-token'] = session;
    }
    return { env, outputs };
  },
};

const uploadSarif: StandIn = {
  inputs: ['sarif_file', 'checkout_path', 'ref', 'sha', 'token', 'matrix', 'category', 'wait-for-processing'],
  async run(c) {
    const file = resolve(c.workspace, c.inputs.sarif_file || '../results');
    const files =
      existsSync(file) && statSync(file).isDirectory()
        ? readdirSync(file)
            .filter((f) => f.endsWith('.sarif'))
            .map((f) => join(file, f))
        : [file];
    if (!files.length || !existsSync(files[0] as string))
      throw new Error(`github/codeql-action/upload-sarif: sarif_file: ${c.inputs.sarif_file}: no such file`);
    const dest = join(c.out, 'artifacts', 'sarif');
    mkdirSync(dest, { recursive: true });
    let results = 0;
    for (const f of files) {
      let doc: { runs?: { results?: unknown[] }[] };
      try {
        doc = JSON.parse(readFileSync(f, 'utf8'));
      } catch (e) {
        throw new Error(`github/codeql-action/upload-sarif: ${f}: not JSON: ${(e as Error).message}`);
      }
      if (!Array.isArray(doc.runs)) throw new Error(`github/codeql-action/upload-sarif: ${f}: not SARIF (no runs[] array)`);
      results += doc.runs.reduce((n, r) => n + (r.results?.length ?? 0), 0);
      cpSync(f, join(dest, `${c.inputs.category ? `${c.inputs.category.replace(/[^\w.-]+/g, '_')}-` : ''}${basename(f)}`));
    }
    c.log.info(
      `SARIF kept under artifacts/sarif (${files.length} file(s), ${results} result(s)); code scanning itself is not available here`,
    );
    return { outputs: { 'sarif-id': `local-${Date.now()}` } };
  },
};

const trivy: StandIn = {
  inputs: [
    'scan-type',
    'image-ref',
    'input',
    'scan-ref',
    'exit-code',
    'ignore-unfixed',
    'vuln-type',
    'severity',
    'format',
    'template',
    'output',
    'skip-dirs',
    'skip-files',
    'cache-dir',
    'timeout',
    'ignore-policy',
    'hide-progress',
    'list-all-pkgs',
    'scanners',
    'trivyignores',
    'github-pat',
    'trivy-config',
    'tf-vars',
    'limit-severities-for-sarif',
    'docker-host',
    'version',
    'cache',
    'skip-setup-trivy',
    'token-setup-trivy',
    'pkg-types',
  ],
  async run(c) {
    const note = 'Trivy did NOT run: the scanner cannot be installed here (local stand-in). This is not a clean scan.';
    c.log.warning(note);
    if (c.inputs.output) {
      const out = resolve(c.workspace, c.inputs.output);
      mkdirSync(dirname(out), { recursive: true });
      if ((c.inputs.format ?? 'table') === 'sarif') {
        const sarif = {
          version: '2.1.0',
          $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
          runs: [
            {
              tool: {
                driver: { name: 'Trivy (not run: local stand-in)', informationUri: 'https://github.com/aquasecurity/trivy', rules: [] },
              },
              results: [],
              invocations: [{ executionSuccessful: false, toolExecutionNotifications: [{ level: 'warning', message: { text: note } }] }],
              properties: { scanNotRun: true, note },
            },
          ],
        };
        writeFileSync(out, `${JSON.stringify(sarif, null, 2)}\n`);
      } else writeFileSync(out, `${note}\n`);
    }
    return {};
  },
};

export const STANDINS: Record<string, StandIn> = {
  'actions/checkout': checkout,
  'actions/setup-python': setupPython,
  'actions/setup-node': setupNode,
  'actions/cache': cache,
  'actions/upload-artifact': upload,
  'actions/download-artifact': download,
  'aws-actions/configure-aws-credentials': configureAws,
  'github/codeql-action/upload-sarif': uploadSarif,
  'aquasecurity/trivy-action': trivy,
};

/** The stand-in key of `OWNER/REPO[/PATH]@REF`, or null. */
export function standInName(uses: string): string | null {
  const at = uses.lastIndexOf('@');
  const name = (at > 0 ? uses.slice(0, at) : uses).toLowerCase();
  return name in STANDINS ? name : null;
}
