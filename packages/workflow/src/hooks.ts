/**
 * @actions/workflow-parser 0.3.x imports its JSON schemas without `with { type: 'json' }`, which
 * plain Node refuses (actions/languageservices#387). This in-thread, synchronous load hook
 * (module.registerHooks) serves exactly those two files as ES modules; everything else loads as
 * usual. It must run before the parser is imported, so the parser is loaded lazily by
 * `loadParser()` (a dynamic import after the hook is registered).
 */
import { readFileSync } from 'node:fs';
import { registerHooks } from 'node:module';
import { fileURLToPath } from 'node:url';

let registered = false;

export function registerJsonHook(): void {
  if (registered) return;
  registered = true;
  try {
    register();
  } catch (e) {
    // Jest refuses module hooks; its own ESM loader already accepts the JSON import.
    if (!String((e as Error).message).includes('Jest')) throw e;
  }
}

function register(): void {
  registerHooks({
    load(url, context, next) {
      if (url.endsWith('.json') && url.includes('/@actions/workflow-parser/') && !context.importAttributes?.type) {
        return { format: 'module', source: `export default ${readFileSync(fileURLToPath(url), 'utf8')};`, shortCircuit: true };
      }
      return next(url, context);
    },
  });
}
