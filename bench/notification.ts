/**
 * The notification action: one step sending to five channels against loopback servers that
 * each answer after a fixed artificial latency (300 ms), compared with the slowest single
 * channel sent alone (channels go out in parallel, so the ratio should stay near 1; target
 * <= 1.2); the bundle's cold start (run with no inputs to its first error) beyond a bare
 * `node -e 0` (target <= 100 ms), and the bundle's size.
 * Run: node_modules/.bin/node bench/notification.ts
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { runContext, silentLogger } from '@tripo04os/common';
import { repoRoot, runAction } from '@tripo04os/kit/harness';
import { buildMessage, type NotifyTargets, notify } from '@tripo04os/notify';
import { SMTPServer } from 'smtp-server';
import { measure, median } from './lib/stats.ts';

const LATENCY_MS = 300;
const RUNS = 5;
const action = join(repoRoot, 'notification');

// One HTTP server answers like Slack, Teams, Discord and a generic receiver, each after LATENCY_MS.
const http = createServer((req, res) => {
  req.resume();
  req.on('end', () =>
    setTimeout(() => {
      const path = req.url ?? '';
      if (path.startsWith('/workflows/')) res.writeHead(202).end();
      else if (path.startsWith('/api/webhooks/')) res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":"1"}');
      else if (path.startsWith('/services/')) res.writeHead(200).end('ok');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    }, LATENCY_MS),
  );
});
await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
const base = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

// A plain SMTP server that takes LATENCY_MS to accept each message.
const smtp = new SMTPServer({
  authOptional: true,
  disabledCommands: ['STARTTLS'],
  logger: false,
  onData(stream, _session, cb) {
    stream.resume();
    stream.on('end', () => setTimeout(() => cb(), LATENCY_MS));
  },
});
await new Promise<void>((resolve) => smtp.listen(0, '127.0.0.1', resolve));
const smtpPort = (smtp.server.address() as AddressInfo).port;

const channels: Record<string, Record<string, string>> = {
  slack: { 'slack-webhook-url': `${base}/services/T/B/bench` },
  teams: { 'teams-webhook-url': `${base}/workflows/bench` },
  discord: { 'discord-webhook-url': `${base}/api/webhooks/1/bench` },
  webhook: { 'webhook-url': `${base}/hooks/bench`, 'webhook-secret': 'bench-secret' },
  email: {
    'smtp-host': '127.0.0.1',
    'smtp-port': String(smtpPort),
    'smtp-tls': 'off',
    'email-to': 'ops@example.com',
    'email-from': 'ci@example.com',
  },
};

async function step(inputs: Record<string, string>): Promise<number> {
  const t0 = performance.now();
  const r = await runAction({ action, inputs: { ...inputs, text: 'bench', retries: '0' } });
  const ms = performance.now() - t0;
  if (r.exitCode !== 0 || r.outputs['failed-channels']) throw new Error(`bench step failed: ${r.log}`);
  return ms;
}

try {
  const single: Record<string, number> = {};
  for (const [name, inputs] of Object.entries(channels)) {
    await step(inputs); // warm the file cache
    single[name] = median(await measure(`one step, ${name} only (${LATENCY_MS} ms latency)`, RUNS, () => step(inputs)));
  }
  const all = Object.assign({}, ...Object.values(channels)) as Record<string, string>;
  const five = median(await measure(`one step, all five channels (${LATENCY_MS} ms latency each)`, RUNS, () => step(all)));
  const [slowestName, slowest] = Object.entries(single).sort((a, b) => b[1] - a[1])[0] as [string, number];
  console.log(
    `five channels over the slowest single channel (${slowestName}): ${(five / slowest).toFixed(2)} (${five.toFixed(0)} ms / ${slowest.toFixed(0)} ms; target <= 1.2)`,
  );

  // The same without the process around it: packages/notify's notify() in this process, so the
  // figure shows the parallel delivery alone (Node start and bundle load left out).
  const message = buildMessage({ status: 'success', text: 'bench' }, runContext({ GITHUB_REPOSITORY: 'o/r', GITHUB_SHA: 'abcdef1234567' }));
  const targets: Record<string, NotifyTargets> = {
    slack: { slackWebhookUrl: `${base}/services/T/B/bench` },
    teams: { teamsWebhookUrl: `${base}/workflows/bench` },
    discord: { discordWebhookUrl: `${base}/api/webhooks/1/bench` },
    webhook: { webhook: { url: `${base}/hooks/bench`, secret: 'bench-secret' } },
    email: { email: { host: '127.0.0.1', port: smtpPort, tls: 'off', from: 'ci@example.com', to: ['ops@example.com'], cc: [] } },
  };
  const send = async (t: NotifyTargets) => {
    const r = await notify(message, t, { retries: 0, deadlineMs: 5000, logger: silentLogger });
    if (r.failed.length > 0) throw new Error(`bench delivery failed: ${JSON.stringify(r.channels)}`);
  };
  await send(Object.assign({}, ...Object.values(targets)));
  const inSingle: Record<string, number> = {};
  for (const [name, t] of Object.entries(targets)) inSingle[name] = median(await measure(`notify(), ${name} only`, RUNS, () => send(t)));
  const inFive = median(await measure('notify(), all five channels', RUNS, () => send(Object.assign({}, ...Object.values(targets)))));
  const [inName, inSlowest] = Object.entries(inSingle).sort((a, b) => b[1] - a[1])[0] as [string, number];
  console.log(
    `in process, five channels over the slowest single channel (${inName}): ${(inFive / inSlowest).toFixed(2)} (${inFive.toFixed(0)} ms / ${inSlowest.toFixed(0)} ms)`,
  );

  // Cold start: the bundle with no inputs, to its first error ("No channel configured"), beyond
  // a bare `node -e 0` measured in the same loop (interleaved, so load on the machine hits both
  // alike): median of 20 each.
  const bundle = join(repoRoot, 'actions/notification/dist/index.js');
  const node = process.execPath;
  const timed = (args: string[], check?: (stdout: string, status: number | null) => boolean) => {
    const t0 = performance.now();
    const r = spawnSync(node, args, { env: { PATH: process.env.PATH }, encoding: 'utf8' });
    const wall = performance.now() - t0;
    if (check && !check(r.stdout, r.status)) throw new Error(`unexpected: ${r.stdout}${r.stderr}`);
    if (!check && r.status !== 0) throw new Error('node failed');
    return wall;
  };
  const firstError = (stdout: string, status: number | null) => status === 1 && stdout.includes('::error::No channel configured');
  timed([bundle], firstError);
  const bareTimes: number[] = [];
  const coldTimes: number[] = [];
  for (let i = 0; i < 20; i++) {
    bareTimes.push(timed(['-e', '0']));
    coldTimes.push(timed([bundle], firstError));
  }
  const bareMedian = median(bareTimes);
  const coldMedian = median(coldTimes);
  console.log(
    `bundle cold start to the first input error: median ${coldMedian.toFixed(0)} ms, node -e 0 ${bareMedian.toFixed(0)} ms: +${(coldMedian - bareMedian).toFixed(0)} ms beyond bare node (20 runs each; target <= 100 ms)`,
  );
  const sizes = readdirSync(join(repoRoot, 'actions/notification/dist')).map(
    (f) => [f, statSync(join(repoRoot, 'actions/notification/dist', f)).size] as const,
  );
  const entry = sizes.find(([f]) => f === 'index.js')?.[1] ?? 0;
  const js = sizes.filter(([f]) => f.endsWith('.js')).reduce((n, [, b]) => n + b, 0);
  console.log(
    `bundle size: index.js ${(entry / 1024).toFixed(0)} KiB loaded at start, ${(js / 1024).toFixed(0)} KiB of JavaScript in dist/`,
  );
  const avg = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const harness = await measure('bundle cold start through the runner harness', 5, () => runAction({ action, inputs: {} }));
  console.log(`bundle cold start through the harness: ${avg(harness).toFixed(0)} ms average`);
} finally {
  http.closeAllConnections();
  await new Promise<void>((resolve) => http.close(() => resolve()));
  await new Promise<void>((resolve) => smtp.close(() => resolve()));
}
