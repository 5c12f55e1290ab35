/**
 * node scripts/workflow-docs.ts: writes docs/workflows/NAME.md for every reusable workflow of
 * .github/workflows/ (the inputs, secrets and outputs tables from its on.workflow_call block; a
 * new page also gets a caller example to edit). `npm run check:repo` fails when they disagree.
 */
import { repoRoot } from '@tripo04os/kit/harness';
import { writeWorkflowDocs } from './checks/index.ts';

for (const f of await writeWorkflowDocs(repoRoot)) console.log(`wrote ${f.slice(repoRoot.length + 1)}`);
