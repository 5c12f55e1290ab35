export { checkAction, checkActions, findRootActions } from './actions.ts';
export { checkOwnRefs, ownRefs, ownWorkflows, repoVersion, writeOwnRefs } from './own-refs.ts';
export { checkPins, OWN_REPOSITORY, pinProblem } from './pins.ts';
export { formatProblem, type Problem } from './problem.ts';
export { checkOwnReferences } from './references.ts';
export { checkShellScript, checkShellScripts, findShellScripts } from './shell.ts';
export { checkVersions, workspacePackages } from './versions.ts';
export { checkWorkflowDocs, renderTables, reusableWorkflows, tableRows, writeWorkflowDocs } from './workflow-docs.ts';
export {
  checkWorkflow,
  checkWorkflows,
  expressionsIn,
  findWorkflows,
  runActionlint,
  runScripts,
  shellcheck,
  shellFor,
} from './workflows.ts';

import { checkActions } from './actions.ts';
import { checkOwnRefs } from './own-refs.ts';
import type { Problem } from './problem.ts';
import { checkOwnReferences } from './references.ts';
import { checkShellScripts } from './shell.ts';
import { checkVersions } from './versions.ts';
import { checkWorkflowDocs } from './workflow-docs.ts';
import { checkWorkflows } from './workflows.ts';

/** Every repository check, by name. */
export const repoChecks: Record<string, (root: string) => Promise<Problem[]>> = {
  workflows: checkWorkflows,
  'own-refs': checkOwnRefs,
  'workflow-docs': checkWorkflowDocs,
  actions: checkActions,
  versions: checkVersions,
  references: checkOwnReferences,
  shell: checkShellScripts,
};
