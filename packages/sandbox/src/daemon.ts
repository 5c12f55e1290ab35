/**
 * The sandbox daemon: runs every part (registry child, AWS endpoint, Kubernetes API server,
 * webhook and SMTP sinks, control endpoint) in one process, writes DIR/env, DIR/kubeconfig and
 * DIR/registries.conf once all of them answer, then tells the parent (`up`) over IPC.
 */
import { randomBytes } from 'node:crypto';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isEksToken, verifyEksToken } from './aws/eks-token.ts';
import { startAwsEndpoint } from './aws/server.ts';
import { ensureCertificates } from './certs.ts';
import { mergeMetrics, startIngress } from './clusters.ts';
import { startControlServer } from './control.ts';
import { envFile, formatEnv, type SandboxEnv } from './env.ts';
import { kubeconfigYaml } from './kubeconfig.ts';
import { running } from './lifecycle.ts';
import { pidFile, prometheusPidFile, registryPidFile, stateFile } from './paths.ts';
import { findPrometheusBinary, startPrometheus } from './prometheus.ts';
import { RegistryClient, startRegistry } from './registry.ts';
import { startWebhookSink } from './webhooks.ts';

export const SANDBOX_REGION = 'us-east-1';
export const SANDBOX_ACCOUNT = '000000000000';
export const SANDBOX_CLUSTER = 'sandbox';
export const SANDBOX_IAM_USER = 'sandbox';
export const SANDBOX_K8S_VERSION = '1.32';

function log(line: string): void {
  process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

function secret(prefix: string, bytes = 18): string {
  return `${prefix}${randomBytes(bytes).toString('base64url')}`;
}

export interface DaemonInfo {
  env: SandboxEnv;
  pid: number;
  registryPid: number;
  parts: Record<string, string>;
}

/** Maps a bearer token to a user: the sandbox token → sandbox-admin, a valid EKS token → the IAM ARN. */
export function sandboxAuthenticator(o: {
  sandboxToken: string;
  /** The EKS cluster this API server is (a token made for another cluster is refused). */
  clusterName?: string;
  awsUrl: string;
  accessKeyId: string;
  secretAccessKey: string;
  log?: (line: string) => void;
}) {
  const extraHosts = [new URL(o.awsUrl).host];
  return (token: string): string | undefined => {
    if (token === o.sandboxToken) return 'sandbox-admin';
    if (!isEksToken(token)) return undefined;
    const r = verifyEksToken(token, {
      clusterName: o.clusterName ?? SANDBOX_CLUSTER,
      credentials: { accessKeyId: o.accessKeyId, secretAccessKey: o.secretAccessKey },
      accountId: SANDBOX_ACCOUNT,
      userName: SANDBOX_IAM_USER,
      extraHosts,
    });
    if (r.ok) return r.arn;
    o.log?.(`kubernetes: EKS token rejected: ${r.reason}`);
    return undefined;
  };
}

export async function runDaemon(dir: string, ownerPid?: number, clusterNames: readonly string[] = [SANDBOX_CLUSTER]): Promise<void> {
  const started = Date.now();
  const closers: (() => Promise<void>)[] = [];
  let stopping = false;
  const stop = async (why: string, code = 0) => {
    if (stopping) return;
    stopping = true;
    log(`stopping (${why})`);
    for (const close of closers.reverse()) {
      try {
        await close();
      } catch (err) {
        log(`close failed: ${err instanceof Error ? err.message : String(err)}`);
      }
    }
    await Promise.all([registryPidFile(dir), prometheusPidFile(dir), stateFile(dir), pidFile(dir)].map((f) => rm(f, { force: true })));
    log('stopped');
    process.exit(code);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
  process.on('SIGHUP', () => void stop('SIGHUP'));
  process.on('disconnect', () => log('up returned; running in the background'));
  // A test sandbox must not outlive a bug: log it and keep serving.
  process.on('uncaughtException', (err) => log(`uncaught exception: ${err.stack ?? err.message}`));
  process.on('unhandledRejection', (err) => log(`unhandled rejection: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`));
  if (ownerPid) {
    // Started for a process (the jest run): stop when it is gone, even if it was killed.
    setInterval(async () => {
      if (!(await running(ownerPid))) void stop(`owner process ${ownerPid} ended`);
    }, 1000).unref();
  }
  /** Starts a part and registers how to close it (even when another part fails). */
  const part = async <T extends { close(): Promise<void> }>(p: Promise<T>): Promise<T> => {
    const started = await p;
    closers.push(() => started.close());
    return started;
  };

  try {
    await writeFile(pidFile(dir), `${process.pid}\n`);
    const registryUser = 'sandbox';
    const registryPassword = secret('reg-');
    const accessKeyId = `AKIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const secretAccessKey = secret('', 30);
    const smtpUser = 'sandbox@sandbox.test';
    const smtpPassword = secret('smtp-');
    const sandboxToken = secret('sandbox-', 24);

    const registryStarting = part(startRegistry({ dir, user: registryUser, password: registryPassword, log }));
    const webhooksStarting = part(startWebhookSink());
    const certsMade = ensureCertificates(dir);
    // The big modules load while docker-registry and openssl start in their own processes.
    const [{ startKubeServer }, { startSmtpSink }] = await Promise.all([import('./cluster/index.ts'), import('./smtp.ts')]);
    const [certs, registry] = await Promise.all([certsMade, registryStarting]);
    await writeFile(registryPidFile(dir), `${registry.pid}\n`);
    const registryClient = new RegistryClient(registry.host, registryUser, registryPassword);
    const tls = { cert: certs.serverCert, key: certs.serverKey };
    const caData = Buffer.from(certs.caCert).toString('base64');

    const kubeUrls = new Map<string, string>();
    const aws = await part(
      startAwsEndpoint({
        region: SANDBOX_REGION,
        accountId: SANDBOX_ACCOUNT,
        userName: SANDBOX_IAM_USER,
        accessKeyId,
        secretAccessKey,
        ecrStateFile: join(dir, 'ecr.json'),
        registry: registryClient,
        registryUser,
        registryPassword,
        clusters: () => clusterNames.map((name) => ({ name, endpoint: kubeUrls.get(name) ?? '', caData, version: SANDBOX_K8S_VERSION })),
        log,
      }),
    );
    // One API server per EKS cluster, each with its own store, controllers and kubelet.
    const [kubes, smtp, webhooks] = await Promise.all([
      Promise.all(
        clusterNames.map((clusterName) =>
          part(
            startKubeServer({
              tls,
              authenticate: sandboxAuthenticator({ sandboxToken, clusterName, awsUrl: aws.url, accessKeyId, secretAccessKey, log }),
              imageExists: (image) => registryClient.imageExists(image),
              log: (line) => log(`kubernetes${clusterNames.length > 1 ? ` ${clusterName}` : ''}: ${line}`),
            }),
          ),
        ),
      ),
      part(startSmtpSink({ user: smtpUser, password: smtpPassword, tls, log })),
      webhooksStarting,
    ]);
    const clusters = clusterNames.map((name, i) => ({ name, kube: kubes[i]! }));
    for (const c of clusters) kubeUrls.set(c.name, c.kube.url);
    const kube = clusters[0]!.kube;
    const ingress = await part(startIngress({ services: (name) => clusters.find((c) => c.name === name)?.kube.services() }));

    const parts: Record<string, string> = {
      registry: registry.host,
      aws: aws.url,
      kubernetes: kube.url,
      ...(clusters.length > 1 ? Object.fromEntries(clusters.map((c) => [`kubernetes ${c.name}`, c.kube.url])) : {}),
      ingress: ingress.url,
      webhooks: webhooks.url,
      smtp: `${smtp.host}:${smtp.port}`,
    };
    const control = await part(
      startControlServer({
        webhooks,
        mails: smtp,
        // Image behaviours hold in every cluster (they describe the image, not a cluster).
        behaviours: {
          set: (b) => {
            for (const c of clusters) c.kube.behaviours.set(b);
          },
          list: () => kube.behaviours.list(),
          reset: () => {
            for (const c of clusters) c.kube.behaviours.reset();
          },
        },
        services: () => clusters.flatMap((c) => c.kube.services().map((svc) => ({ ...svc, cluster: c.name }))),
        metrics: () =>
          clusters.length === 1 ? kube.metrics() : mergeMetrics(clusters.map((c) => ({ cluster: c.name, text: c.kube.metrics() }))),
        requests: () => clusters.flatMap((c) => c.kube.requests().map((r) => ({ ...r, cluster: c.name }))),
        pushImage: (repository, tag) => registryClient.pushScratchImage(repository, tag),
        findings: aws.findings,
        clusters: () => clusters.map((c) => ({ name: c.name, endpoint: c.kube.url })),
        status: () => ({ pid: process.pid, uptimeSeconds: Math.round(process.uptime()), parts }),
      }),
    );
    parts.control = control.url;
    // Prometheus scrapes the control endpoint's /metrics every second (when installed).
    const prometheusBinary = await findPrometheusBinary();
    let prometheusUrl = '';
    if (prometheusBinary) {
      const prometheus = await part(startPrometheus({ dir, binary: prometheusBinary, target: new URL(control.url).host, log }));
      await writeFile(prometheusPidFile(dir), `${prometheus.pid}\n`);
      prometheusUrl = prometheus.url;
      parts.prometheus = prometheus.url;
    } else log('prometheus: not installed (apt-get install prometheus); SANDBOX_PROMETHEUS_URL stays empty');

    const kubeconfig = join(dir, 'kubeconfig');
    const registriesConf = join(dir, 'registries.conf');
    const env: SandboxEnv = {
      KUBECONFIG: kubeconfig,
      AWS_REGION: SANDBOX_REGION,
      AWS_ACCESS_KEY_ID: accessKeyId,
      AWS_SECRET_ACCESS_KEY: secretAccessKey,
      AWS_ENDPOINT_URL_ECR: aws.url,
      AWS_ENDPOINT_URL_EKS: aws.url,
      AWS_ENDPOINT_URL_STS: aws.url,
      SANDBOX_EKS_CLUSTER: clusterNames[0]!,
      SANDBOX_EKS_CLUSTERS: clusterNames.join(','),
      SANDBOX_INGRESS_URL: ingress.url,
      SANDBOX_REGISTRY: registry.host,
      SANDBOX_REGISTRY_USER: registryUser,
      SANDBOX_REGISTRY_PASSWORD: registryPassword,
      SANDBOX_CA_FILE: certs.caFile,
      SANDBOX_WEBHOOK_URL: webhooks.url,
      SANDBOX_SMTP_HOST: smtp.host,
      SANDBOX_SMTP_PORT: String(smtp.port),
      SANDBOX_SMTP_USER: smtpUser,
      SANDBOX_SMTP_PASSWORD: smtpPassword,
      SANDBOX_CONTROL_URL: control.url,
      SANDBOX_PROMETHEUS_URL: prometheusUrl,
      CONTAINERS_REGISTRIES_CONF: registriesConf,
    };
    await Promise.all([
      writeFile(kubeconfig, kubeconfigYaml({ server: kube.url, caCert: certs.caCert, token: sandboxToken, cluster: clusterNames[0]! }), {
        mode: 0o600,
      }),
      // With several clusters, DIR/kubeconfig-NAME reaches each one (DIR/kubeconfig: the first).
      ...(clusters.length > 1
        ? clusters.map((c) =>
            writeFile(
              join(dir, `kubeconfig-${c.name}`),
              kubeconfigYaml({ server: c.kube.url, caCert: certs.caCert, token: sandboxToken, cluster: c.name }),
              { mode: 0o600 },
            ),
          )
        : []),
      writeFile(
        registriesConf,
        `# Written by the tripo04os sandbox: its loopback registry speaks plain HTTP.\nunqualified-search-registries = []\n\n[[registry]]\nlocation = "${registry.host}"\ninsecure = true\n`,
      ),
      writeFile(envFile(dir), formatEnv(env), { mode: 0o600 }),
      writeFile(
        stateFile(dir),
        JSON.stringify({ pid: process.pid, registryPid: registry.pid, parts, startedAt: new Date().toISOString() }, null, 2),
      ),
    ]);
    const info: DaemonInfo = { env, pid: process.pid, registryPid: registry.pid, parts };
    log(
      `up in ${Date.now() - started} ms (${Math.round(performance.now())} ms after the process started, ${Math.round((process.cpuUsage().user + process.cpuUsage().system) / 1000)} ms CPU): ${Object.entries(
        parts,
      )
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
    );
    process.send?.({ type: 'ready', info });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`failed: ${err instanceof Error ? (err.stack ?? message) : message}`);
    process.send?.({ type: 'error', message });
    await stop('start failed', 1);
  }
}
