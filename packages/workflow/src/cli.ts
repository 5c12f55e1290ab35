/**
 * npm run -s workflow -- run WORKFLOW_FILE …  |  report OUT   (the usage: command.ts)
 *
 * Node's compile cache is turned on before anything else loads: the first run strips the types
 * and compiles as before, later runs reuse what did not change, GitHub's workflow parser
 * included (issue 11, start-up). The cache is code Node runs, so it lives only in a folder no
 * other account can change (`$XDG_CACHE_HOME/tripo04os`, else `~/.cache/tripo04os`), never in
 * the shared temp folder, where another account could have put a cache first; when no such
 * folder can be had, the cache stays off. NODE_COMPILE_CACHE, when set, is the user's choice.
 */
import { lstatSync, mkdirSync } from 'node:fs';
import { enableCompileCache } from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** The compile cache's folder, when it and the two above it are this account's alone (or root's). */
function privateCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const root = join(base, 'tripo04os');
  const dir = join(root, 'node-compile-cache');
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const uid = process.getuid?.();
    for (const d of [base, root, dir]) {
      const s = lstatSync(d);
      // A folder others may write to (or a link to one) could be swapped for theirs.
      if (!s.isDirectory() || (s.mode & 0o022) !== 0 || (uid !== undefined && s.uid !== uid && s.uid !== 0)) return undefined;
    }
    return dir;
  } catch {
    return undefined; // no cache folder: no cache
  }
}

if (process.env.NODE_COMPILE_CACHE) enableCompileCache();
else {
  const dir = privateCacheDir();
  if (dir) enableCompileCache(dir);
}
const { main } = await import('./command.ts');
process.exitCode = await main(process.argv.slice(2));
