/**
 * One process of a step (a `run:` script or a JavaScript action): its output lines go through the
 * workflow-command processor, the masker and the job log; timeout and cancel kill its process group.
 */
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { JobLog } from './log.ts';

export interface ProcResult {
  code: number | null;
  timedOut: boolean;
  cancelled: boolean;
}

export function runProcess(
  cmd: string,
  args: string[],
  o: { cwd: string; env: Record<string, string>; log: JobLog; timeoutMs?: number; signal?: AbortSignal },
): Promise<ProcResult> {
  return new Promise((resolve) => {
    let timedOut = false;
    let cancelled = false;
    let child: ReturnType<typeof spawn>;
    try {
      child = spawn(cmd, args, { cwd: o.cwd, env: o.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      o.log.error(`${cmd}: ${(e as Error).message}`);
      resolve({ code: 127, timedOut, cancelled });
      return;
    }
    const commands = o.log.commandProcessor();
    let open = 2;
    let exit: number | null | undefined;
    const done = () => {
      if (open === 0 && exit !== undefined) {
        clearTimeout(timer);
        o.signal?.removeEventListener('abort', onAbort);
        resolve({ code: exit, timedOut, cancelled });
      }
    };
    for (const stream of [child.stdout, child.stderr]) {
      const rl = createInterface({ input: stream as NodeJS.ReadableStream, crlfDelay: Number.POSITIVE_INFINITY });
      rl.on('line', (line) => commands(line));
      rl.on('close', () => {
        open--;
        done();
      });
    }
    const kill = () => {
      try {
        process.kill(-(child.pid as number), 'SIGTERM');
      } catch {}
      setTimeout(() => {
        try {
          process.kill(-(child.pid as number), 'SIGKILL');
        } catch {}
      }, 2000).unref();
    };
    const timer = o.timeoutMs
      ? setTimeout(() => {
          timedOut = true;
          kill();
        }, o.timeoutMs)
      : undefined;
    const onAbort = () => {
      cancelled = true;
      kill();
    };
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });
    child.on('error', (e) => {
      o.log.error(`${cmd}: ${e.message}`);
      exit = 127;
      open = 0;
      done();
    });
    child.on('exit', (code, sig) => {
      exit = code ?? (sig ? 128 : 1);
      done();
    });
  });
}
