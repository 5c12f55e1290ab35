/**
 * npm run sandbox -- up [--cluster NAME]... --dir DIR | down --dir DIR | status --dir DIR
 * (`--cluster` repeated: several EKS clusters by name, each its own API server)
 * (`daemon --dir DIR` is what `up` runs in the background.)
 */
import { resolve } from 'node:path';
import { sandboxStatus, startSandbox, stopSandbox } from './lifecycle.ts';
import { logFile } from './paths.ts';

const USAGE = 'usage: npm run sandbox -- up [--cluster NAME]... --dir DIR | down --dir DIR | status --dir DIR';

async function main(argv: string[]): Promise<number> {
  const command = argv[0];
  let dir: string | undefined;
  let owner: number | undefined;
  const clusters: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--dir') dir = argv[++i];
    else if (command === 'daemon' && a === '--owner') owner = Number(argv[++i]);
    else if (a.startsWith('--dir=')) dir = a.slice(6);
    else if ((command === 'up' || command === 'daemon') && a === '--cluster') clusters.push(argv[++i] ?? '');
    else {
      process.stderr.write(`unknown argument ${a}\n${USAGE}\n`);
      return 2;
    }
  }
  if (!command || !['up', 'down', 'status', 'daemon'].includes(command) || !dir) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  dir = resolve(dir);
  switch (command) {
    case 'daemon': {
      const { runDaemon } = await import('./daemon.ts');
      await runDaemon(dir, owner, clusters.length ? clusters : undefined);
      return -1; // keeps running
    }
    case 'up': {
      const t0 = performance.now();
      const { env } = await startSandbox({ dir, clusters });
      const seconds = ((performance.now() - t0) / 1000).toFixed(2);
      process.stdout.write(`sandbox up in ${dir} (${seconds} s); environment in ${dir}/env, log in ${logFile(dir)}\n`);
      for (const [k, v] of Object.entries(env)) if (!/SECRET|PASSWORD/.test(k)) process.stdout.write(`  ${k}=${v}\n`);
      return 0;
    }
    case 'down': {
      const stopped = await stopSandbox(dir);
      process.stdout.write(stopped ? `sandbox in ${dir} stopped\n` : `no sandbox was running in ${dir}\n`);
      return 0;
    }
    default: {
      const s = await sandboxStatus(dir, { deep: true });
      if (!s.running) {
        process.stdout.write(`not running in ${dir}${s.stale ? ' (left by a killed run; `up` recovers it)' : ''}\n`);
        return 3;
      }
      if (!s.parts) {
        process.stdout.write(`starting in ${dir}: daemon pid ${s.pid}\n`);
        return 0;
      }
      const registry = s.registryPid ? `, docker-registry pid ${s.registryPid}${s.registryRunning ? '' : ' (NOT running)'}` : '';
      process.stdout.write(
        `running in ${dir}: daemon pid ${s.pid}${registry}; control endpoint ${s.answering ? 'answers' : 'does NOT answer'}\n`,
      );
      for (const [k, v] of Object.entries(s.parts)) process.stdout.write(`  ${k}: ${v}\n`);
      return 0;
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`sandbox: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
