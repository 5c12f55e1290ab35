/**
 * Before anything runs: every `uses:` resolves (a stand-in, this repository, a mapped one, or a
 * workspace path), stand-ins get only inputs the real action has, and every service image can run
 * here. Each problem is one line, with the file and position; the run exits 2.
 */
import type { WorkflowJob } from '@actions/workflow-parser/model/workflow-template';
import type { TemplateToken } from '@actions/workflow-parser/templates/tokens/template-token';
import { find, pairs } from './expr.ts';
import { InvalidError, isReusable, type Loaded, type WorkflowDoc } from './load.ts';
import { serviceImage } from './services.ts';
import type { RepoResolver } from './source.ts';
import { STANDINS, standInName } from './standins.ts';

function at(doc: WorkflowDoc, token: TemplateToken | undefined): string {
  const t = token as unknown as { line?: number; col?: number } | undefined;
  return t?.line ? `${doc.file}:${t.line}:${t.col}` : doc.file;
}

export function preflight(loaded: Loaded, resolver: RepoResolver): void {
  const problems: string[] = [];
  const walk = (doc: WorkflowDoc, jobs: WorkflowJob[]) => {
    for (const job of jobs) {
      if (isReusable(job)) {
        const callee = loaded.callees.get(job);
        if (callee) walk(callee, job.jobs ?? []);
        continue;
      }
      const rawJob = find(find(doc.root, 'jobs'), job.id.value);
      const rawSteps = find(rawJob, 'steps') as unknown as { get(i: number): TemplateToken } | undefined;
      job.steps.forEach((s, i) => {
        const uses = (s as { uses?: { value: string } }).uses;
        if (!uses) return;
        const raw = rawSteps?.get(i);
        const where = at(doc, find(raw, 'uses'));
        const u = uses.value;
        if (u.startsWith('docker://')) {
          problems.push(`${where} uses: ${u}: Docker actions are not supported here`);
          return;
        }
        if (u.startsWith('./')) return;
        const m = /^([^/@]+)\/([^/@]+)(\/[^@]*)?@(.+)$/.exec(u);
        if (!m) {
          problems.push(`${where} uses: ${u}: expected ./PATH, OWNER/REPO[/PATH]@REF or docker://IMAGE`);
          return;
        }
        const stand = standInName(u);
        if (stand) {
          const allowed = (STANDINS[stand] as { inputs: string[] }).inputs;
          for (const [k, v] of pairs(find(raw, 'with'))) {
            if (!allowed.includes(k))
              problems.push(
                `${at(doc, v)} uses: ${u}: input '${k}' does not exist in the real ${stand} (its inputs: ${allowed.join(', ')})`,
              );
          }
          return;
        }
        if (!resolver.has(`${m[1]}/${m[2]}`))
          problems.push(
            `${where} uses: ${u}: third-party actions cannot be fetched here and this one has no local stand-in (stand-ins: ${Object.keys(STANDINS).join(', ')}; or map its repository with --repo-map ${m[1]}/${m[2]}=DIR)`,
          );
      });
      for (const [name, svc] of pairs(job.services)) {
        const imageTok = find(svc, 'image') ?? svc;
        const image = (imageTok as unknown as { value?: unknown }).value;
        if (typeof image !== 'string') continue;
        const r = serviceImage(image);
        if (typeof r === 'string') problems.push(`${at(doc, imageTok)} services.${name}: ${r.replace(/^services: /, '')}`);
      }
    }
  };
  walk(loaded.top, loaded.top.template.jobs ?? []);
  if (problems.length) throw new InvalidError(problems.join('\n'));
}
