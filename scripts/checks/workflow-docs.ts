/**
 * docs/workflows/NAME.md documents each reusable workflow: a caller example (written once, then
 * edited by hand) and the inputs, secrets and outputs tables, generated from the workflow's
 * `on.workflow_call` block between two markers. `node scripts/workflow-docs.ts` writes them;
 * the `workflow-docs` check fails when a table and its workflow disagree (cells are compared,
 * not padding, so a formatter may re-align the tables).
 */
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { parse } from 'yaml';
import type { Problem } from './problem.ts';

export const BEGIN = '<!-- BEGIN GENERATED from on.workflow_call by node scripts/workflow-docs.ts: do not edit -->';
export const END = '<!-- END GENERATED -->';

interface CallSpec {
  inputs: Record<string, { description?: string; type?: string; required?: boolean; default?: unknown }>;
  secrets: Record<string, { description?: string; required?: boolean }>;
  outputs: Record<string, { description?: string }>;
}

export interface ReusableWorkflow {
  name: string;
  path: string;
  call: CallSpec;
  /** Union of the permissions its jobs ask for (what a caller's job must grant). */
  permissions: Record<string, string>;
}

const RANK: Record<string, number> = { none: 0, read: 1, write: 2 };

/** The workflows of `.github/workflows/` that have `on.workflow_call`. */
export async function reusableWorkflows(root: string): Promise<ReusableWorkflow[]> {
  const dir = join(root, '.github', 'workflows');
  if (!existsSync(dir)) return [];
  const out: ReusableWorkflow[] = [];
  for (const file of (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    const path = join(dir, file);
    const doc = parse(await readFile(path, 'utf8')) as { on?: unknown; jobs?: Record<string, { permissions?: unknown }> };
    const on = doc?.on;
    if (!on || typeof on !== 'object' || !('workflow_call' in on)) continue;
    const call = ((on as Record<string, unknown>).workflow_call ?? {}) as Partial<CallSpec>;
    const permissions: Record<string, string> = {};
    for (const job of Object.values(doc.jobs ?? {})) {
      if (!job?.permissions || typeof job.permissions !== 'object') continue;
      for (const [scope, level] of Object.entries(job.permissions as Record<string, string>)) {
        if ((RANK[level] ?? 0) > (RANK[permissions[scope] ?? 'none'] ?? 0)) permissions[scope] = level;
      }
    }
    out.push({
      name: basename(file).replace(/\.ya?ml$/, ''),
      path,
      call: { inputs: call.inputs ?? {}, secrets: call.secrets ?? {}, outputs: call.outputs ?? {} },
      permissions,
    });
  }
  return out;
}

const cell = (s: string) => s.replace(/\s+/g, ' ').trim().replace(/\|/g, '\\|');
const code = (s: string) => (s === '' ? '`""`' : `\`${s.replace(/`/g, "'")}\``);

/** A markdown table with padded columns. */
export function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(3, h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)].join('\n');
}

/** The generated section of a workflow's page (between the markers, markers excluded). */
export function renderTables(w: ReusableWorkflow): string {
  const parts: string[] = [];
  const inputs = Object.entries(w.call.inputs);
  parts.push('### Inputs', '');
  if (inputs.length === 0) parts.push('None.');
  else
    parts.push(
      markdownTable(
        ['name', 'type', 'required', 'default', 'description'],
        inputs.map(([name, i]) => [
          `\`${name}\``,
          i.type ?? 'string',
          i.required ? 'yes' : 'no',
          i.default === undefined ? '' : code(String(i.default)),
          cell(i.description ?? ''),
        ]),
      ),
    );
  const secrets = Object.entries(w.call.secrets ?? {});
  parts.push('', '### Secrets', '');
  if (secrets.length === 0) parts.push('None.');
  else
    parts.push(
      markdownTable(
        ['name', 'required', 'description'],
        secrets.map(([name, s]) => [`\`${name}\``, s?.required ? 'yes' : 'no', cell(s?.description ?? '')]),
      ),
    );
  const outputs = Object.entries(w.call.outputs ?? {});
  parts.push('', '### Outputs', '');
  if (outputs.length === 0) parts.push('None.');
  else
    parts.push(
      markdownTable(
        ['name', 'description'],
        outputs.map(([name, o]) => [`\`${name}\``, cell(o?.description ?? '')]),
      ),
    );
  return parts.join('\n');
}

/** A first page for a workflow that has none: title, a caller example, the tables. */
export function skeleton(w: ReusableWorkflow): string {
  const required = Object.entries(w.call.inputs).filter(([, i]) => i.required);
  const perms = Object.entries(w.permissions);
  const example = [
    'jobs:',
    `  ${w.name}:`,
    ...(perms.length ? ['    permissions:', ...perms.map(([k, v]) => `      ${k}: ${v}`)] : ['    permissions: {}']),
    `    uses: tripo04os/actions/.github/workflows/${basename(w.path)}@v1`,
    ...(required.length ? ['    with:', ...required.map(([n]) => `      ${n}: ...`)] : []),
    ...(Object.keys(w.call.secrets ?? {}).length ? ['    secrets: inherit'] : []),
  ];
  return [
    `# ${basename(w.path)}`,
    '',
    '## Usage',
    '',
    '```yaml',
    ...example,
    '```',
    '',
    '## Reference',
    '',
    BEGIN,
    renderTables(w),
    END,
    '',
  ].join('\n');
}

export const docPath = (root: string, w: { name: string }) => join(root, 'docs', 'workflows', `${w.name}.md`);

/** Rows of the markdown tables in a text, cells trimmed, separator rows left out (padding-blind). */
export function tableRows(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('|') && !/^\|[\s|:-]+\|$/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim())
        .join(' | '),
    );
}

function section(text: string): string | undefined {
  const b = text.indexOf(BEGIN);
  const e = text.indexOf(END);
  return b === -1 || e === -1 || e < b ? undefined : text.slice(b + BEGIN.length, e);
}

export async function checkWorkflowDocs(root: string): Promise<Problem[]> {
  const problems: Problem[] = [];
  const workflows = await reusableWorkflows(root);
  for (const w of workflows) {
    const doc = docPath(root, w);
    if (!existsSync(doc)) {
      problems.push({ file: doc, rule: 'workflow-docs', message: `${basename(w.path)} has no page; run node scripts/workflow-docs.ts` });
      continue;
    }
    const text = await readFile(doc, 'utf8');
    const got = section(text);
    if (got === undefined) {
      problems.push({
        file: doc,
        rule: 'workflow-docs',
        message: `no generated section (${BEGIN} … ${END}); run node scripts/workflow-docs.ts`,
      });
      continue;
    }
    const want = tableRows(renderTables(w));
    const have = tableRows(got);
    const line = text.slice(0, text.indexOf(BEGIN)).split('\n').length;
    for (let i = 0; i < Math.max(want.length, have.length); i++) {
      if (want[i] !== have[i]) {
        problems.push({
          file: doc,
          line,
          rule: 'workflow-docs',
          message: `the tables disagree with ${basename(w.path)}'s on.workflow_call: the page says ${have[i] === undefined ? '(nothing)' : `"${have[i]}"`}, the workflow says ${want[i] === undefined ? '(nothing)' : `"${want[i]}"`}; run node scripts/workflow-docs.ts`,
        });
        break;
      }
    }
  }
  const docsDir = join(root, 'docs', 'workflows');
  if (existsSync(docsDir)) {
    const names = new Set(workflows.map((w) => w.name));
    for (const f of (await readdir(docsDir)).filter((n) => n.endsWith('.md') && n !== 'README.md')) {
      if (!names.has(f.replace(/\.md$/, ''))) {
        problems.push({
          file: join(docsDir, f),
          rule: 'workflow-docs',
          message: `no reusable workflow .github/workflows/${f.replace(/\.md$/, '.yml')} for this page`,
        });
      }
    }
  }
  return problems;
}

/** Writes every page's generated section (a new page gets the skeleton); returns the pages written. */
export async function writeWorkflowDocs(root: string): Promise<string[]> {
  const written: string[] = [];
  for (const w of await reusableWorkflows(root)) {
    const doc = docPath(root, w);
    let next: string;
    if (!existsSync(doc)) next = skeleton(w);
    else {
      const text = await readFile(doc, 'utf8');
      const b = text.indexOf(BEGIN);
      const e = text.indexOf(END);
      next =
        b === -1 || e === -1
          ? `${text.trimEnd()}\n\n## Reference\n\n${BEGIN}\n${renderTables(w)}\n${END}\n`
          : `${text.slice(0, b + BEGIN.length)}\n${renderTables(w)}\n${text.slice(e)}`;
      if (next === text) continue;
    }
    await mkdir(join(root, 'docs', 'workflows'), { recursive: true });
    await writeFile(doc, next);
    written.push(doc);
  }
  return written;
}
