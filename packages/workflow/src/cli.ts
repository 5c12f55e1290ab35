/**
 * npm run -s workflow -- run WORKFLOW_FILE …  |  report OUT   (the usage: command.ts)
 *
 * Node's compile cache is turned on before anything else loads (in the OS temp folder, or where
 * NODE_COMPILE_CACHE says): the first run strips the types and compiles as before, later runs
 * reuse what did not change, GitHub's workflow parser included (issue 11, start-up).
 */
import { enableCompileCache } from 'node:module';

enableCompileCache();
const { main } = await import('./command.ts');
process.exitCode = await main(process.argv.slice(2));
