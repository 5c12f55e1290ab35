/**
 * Parsing, validation and conversion with GitHub's own parser (@actions/workflow-parser). The
 * converter fetches reusable workflows one level deep at most; this module recurses itself with
 * `convertReferencedWorkflow`, up to GitHub's limits (10 levels, 50 distinct workflows).
 * Errors are GitHub's, shown as `file:line:col message`.
 */
import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import type { ReusableWorkflowJob, WorkflowJob, WorkflowTemplate } from '@actions/workflow-parser/model/workflow-template';
import type { TemplateContext } from '@actions/workflow-parser/templates/template-context';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { registerJsonHook } from './hooks.ts';
import { type RepoResolver, readSourceFile, type Source } from './source.ts';

export const MAX_DEPTH = 10;
export const MAX_WORKFLOWS = 50;

/** A workflow or command line that cannot run: exit 2, nothing run. */
export class InvalidError extends Error {
  override name = 'InvalidError';
}

export interface WorkflowDoc {
  /** The name shown in errors: a path relative to the repository, or OWNER/REPO/PATH@REF. */
  file: string;
  root: TemplateToken;
  template: WorkflowTemplate;
  /** The repository the file was read from (actions `./x` inside it are the caller's workspace). */
  source: Source;
}

export interface Loaded {
  top: WorkflowDoc;
  /** The called workflow of each reusable-workflow job (by job object). */
  callees: Map<ReusableWorkflowJob, WorkflowDoc>;
}

type Parser = typeof import('@actions/workflow-parser');
type RefModule = typeof import('@actions/workflow-parser/model/converter/referencedWorkflow');
let parserModules: Promise<[Parser, RefModule]> | undefined;

export function loadParser(): Promise<[Parser, RefModule]> {
  registerJsonHook();
  parserModules ??= Promise.all([
    import('@actions/workflow-parser'),
    import('@actions/workflow-parser/model/converter/referencedWorkflow'),
  ]);
  return parserModules;
}

export function isReusable(job: WorkflowJob): job is ReusableWorkflowJob {
  return job.type === 'reusableWorkflowJob';
}

/** Formats the parser's errors (`file (Line: L, Col: C): msg`) as `file:L:C msg`. */
export function formatErrors(context: TemplateContext): string[] {
  return context.errors.getErrors().map((e) => {
    const m = /^(.*) \(Line: (\d+), Col: (\d+)\)$/.exec(e.prefix ?? '');
    if (m) return `${m[1]}:${m[2]}:${m[3]} ${e.rawMessage}`;
    return e.prefix ? `${e.prefix}: ${e.rawMessage}` : e.rawMessage;
  });
}

export async function loadWorkflow(file: string, callerSource: Source, resolver: RepoResolver): Promise<Loaded> {
  const [wp, ref] = await loadParser();
  const abs = resolve(file);
  const display = relative(process.cwd(), abs) || abs;
  let content: string;
  try {
    content = readFileSync(abs, 'utf8');
  } catch (e) {
    throw new InvalidError(`${display}: cannot read the workflow file: ${(e as Error).message}`);
  }
  const parsed = wp.parseWorkflow({ name: display, content }, new wp.NoOperationTraceWriter());
  const context = parsed.context;
  if (!parsed.value || context.errors.count) throw new InvalidError(formatErrors(context).join('\n'));
  const template = await wp.convertWorkflowTemplate(context, parsed.value, undefined, { maxReusableWorkflowDepth: MAX_DEPTH });
  if (context.errors.count || template.errors?.length) throw new InvalidError(formatErrors(context).join('\n'));
  const top: WorkflowDoc = { file: display, root: parsed.value, template, source: callerSource };
  const callees = new Map<ReusableWorkflowJob, WorkflowDoc>();
  const distinct = new Set<string>();

  const expand = (jobs: WorkflowJob[], from: Source, depth: number) => {
    for (const job of jobs) {
      if (!isReusable(job)) continue;
      const where = job.ref.value;
      // GitHub: at most ten levels of workflows, the top-level caller included.
      if (depth >= MAX_DEPTH) {
        context.error(
          job.ref,
          new Error(`Reusable workflows can be nested ${MAX_DEPTH} levels deep at most, the caller included (GitHub's limit)`),
        );
        continue;
      }
      let src: Source;
      let path: string;
      let name: string;
      if (where.startsWith('./') || where.startsWith('$/')) {
        src = from;
        path = where.slice(2);
        name = from.repo ? `${from.repo}/${path}@${from.commit ?? 'working tree'}` : path;
      } else {
        const m = /^([^/@]+)\/([^/@]+)\/(.+)@(.+)$/.exec(where);
        if (!m) {
          context.error(job.ref, new Error(`Invalid reusable workflow reference '${where}': expected ./PATH or OWNER/REPO/PATH@REF`));
          continue;
        }
        const repo = `${m[1]}/${m[2]}`;
        const s = resolver.source(repo, m[4] as string);
        if (!s) {
          context.error(
            job.ref,
            new Error(`Unable to find reusable workflow '${where}': ${repo} is not this repository; map it with --repo-map ${repo}=DIR`),
          );
          continue;
        }
        src = s;
        path = m[3] as string;
        name = `${repo}/${path}@${m[4]}`;
      }
      distinct.add(`${src.dir}@${src.commit}:${path}`);
      if (distinct.size > MAX_WORKFLOWS) {
        context.error(job.ref, new Error(`A workflow run may use ${MAX_WORKFLOWS} distinct reusable workflows at most (GitHub's limit)`));
        continue;
      }
      let text: string;
      try {
        text = readSourceFile(src, path);
      } catch {
        context.error(job.ref, new Error(`Unable to find reusable workflow '${where}' (${path} in ${src.dir})`));
        continue;
      }
      const callee = wp.parseWorkflow({ name, content: text }, context);
      if (!callee.value) continue;
      ref.convertReferencedWorkflow(context, callee.value, job);
      callees.set(job, {
        file: name,
        root: callee.value,
        template: { events: {}, jobs: job.jobs ?? [], concurrency: undefined as never, env: undefined as never },
        source: src,
      });
      expand(job.jobs ?? [], src, depth + 1);
    }
  };
  expand(template.jobs ?? [], callerSource, 1);
  if (context.errors.count) throw new InvalidError(formatErrors(context).join('\n'));
  return { top, callees };
}
