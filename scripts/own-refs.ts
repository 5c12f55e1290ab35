/**
 * node scripts/own-refs.ts [--write]: checks (or, with --write, sets) every
 * tripo04os/actions/...@REF in .github/workflows/ to v<lerna.json version>. The release sets the
 * version, runs this with --write, commits and tags vX.Y.Z (see scripts/checks/own-refs.ts).
 */
import { repoRoot } from '@tripo04os/kit/harness';
import { checkOwnRefs, formatProblem, writeOwnRefs } from './checks/index.ts';

if (process.argv.includes('--write')) {
  for (const f of await writeOwnRefs(repoRoot)) console.log(`updated ${f.slice(repoRoot.length + 1)}`);
}
const problems = await checkOwnRefs(repoRoot);
for (const p of problems) console.log(formatProblem(p, repoRoot));
process.exit(problems.length > 0 ? 1 : 0);
