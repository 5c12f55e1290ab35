/**
 * npm run check:repo: every repository check (workflows: actionlint, shellcheck, no
 * expressions in run:, pinned uses:; action.yml files against their input specs; one fixed
 * version; shellcheck on shell scripts). Prints one line per problem and exits 1 when there is any.
 * `node scripts/check-repo.ts workflows versions` runs only the named checks.
 */

import { repoRoot } from '@tripo04os/kit/harness';
import { formatProblem, repoChecks } from './checks/index.ts';

const wanted = process.argv.slice(2);
for (const name of wanted) {
  if (!(name in repoChecks)) {
    console.error(`no check ${name}; the checks are: ${Object.keys(repoChecks).join(', ')}`);
    process.exit(2);
  }
}
let failed = 0;
for (const [name, check] of Object.entries(repoChecks)) {
  if (wanted.length > 0 && !wanted.includes(name)) continue;
  const problems = await check(repoRoot);
  console.log(`${problems.length === 0 ? 'ok  ' : 'FAIL'} ${name}${problems.length ? ` (${problems.length})` : ''}`);
  for (const p of problems) console.log(`  ${formatProblem(p, repoRoot)}`);
  failed += problems.length;
}
process.exit(failed > 0 ? 1 : 0);
