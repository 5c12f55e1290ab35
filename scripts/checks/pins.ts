/**
 * Every `uses:` of another repository's action or reusable workflow is pinned to a full commit
 * SHA followed by a `# vX.Y.Z` comment. This repository's own actions and workflows
 * (`tripo04os/actions/...@vN` or `@vX.Y.Z`) and local `./` paths are the exceptions; `docker://` images are
 * pinned by digest.
 */
import type { Node } from 'yaml';
import type { Problem } from './problem.ts';
import { getNode, mapEntries, scalarString, seqItems, type YamlFile } from './yaml.ts';

export const OWN_REPOSITORY = 'tripo04os/actions';

/** Every `uses:` of a workflow (job-level reusable workflows and step actions), or of a composite action. */
export function usesNodes(file: YamlFile): { where: string; node: Node; value: string }[] {
  const root = file.doc.contents;
  const out: { where: string; node: Node; value: string }[] = [];
  const add = (where: string, node: Node | undefined) => {
    const value = scalarString(node);
    if (node && value !== undefined) out.push({ where, node, value });
  };
  for (const [job, jobNode] of mapEntries(getNode(root, 'jobs'))) {
    add(`job '${job}'`, getNode(jobNode, 'uses'));
    seqItems(getNode(jobNode, 'steps')).forEach((step, i) => {
      add(`job '${job}' step ${i + 1}`, getNode(step, 'uses'));
    });
  }
  seqItems(getNode(getNode(root, 'runs'), 'steps')).forEach((step, i) => {
    add(`step ${i + 1}`, getNode(step, 'uses'));
  });
  return out;
}

/** Why one `uses:` value (with the rest of its line) is not pinned, or undefined when it is. */
export function pinProblem(value: string, restOfLine: string): string | undefined {
  const uses = value.trim();
  if (uses.startsWith('./')) return undefined;
  if (uses.startsWith('docker://')) {
    if (/^docker:\/\/[^@\s]+@sha256:[0-9a-f]{64}$/.test(uses)) return undefined;
    return `${uses} is not pinned by digest; use docker://IMAGE@sha256:<64 hex digits>`;
  }
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)((?:\/[^@]+)?)@(.+)$/.exec(uses);
  if (!m) return `${uses} is not of the form OWNER/REPO[/PATH]@REF`;
  const [, owner, repo, , ref] = m as unknown as [string, string, string, string, string];
  // This repository's own tags: the moving major (callers) or a release (the reusable
  // workflows, see own-refs.ts).
  if (`${owner}/${repo}`.toLowerCase() === OWN_REPOSITORY && /^v\d+(\.\d+\.\d+)?$/.test(ref)) return undefined;
  if (!/^[0-9a-f]{40}$/.test(ref)) {
    return `${uses} is not pinned to a full commit SHA; use ${owner}/${repo}${m[3]}@<40-hex commit SHA> # vX.Y.Z`;
  }
  if (!/^\s*#\s*v\d+\.\d+\.\d+\b/.test(restOfLine)) {
    return `${uses} has no '# vX.Y.Z' comment after the SHA naming the release it is`;
  }
  return undefined;
}

export function checkPins(file: YamlFile): Problem[] {
  const problems: Problem[] = [];
  for (const u of usesNodes(file)) {
    const why = pinProblem(u.value, file.restOfLine(u.node));
    if (why) problems.push({ file: file.path, line: file.lineOf(u.node), rule: 'pin', message: `${u.where}: ${why}` });
  }
  return problems;
}
