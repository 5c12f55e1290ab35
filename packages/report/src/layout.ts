/**
 * The job graph's layout, computed once when the page is written (in Node, with ELK's layered
 * algorithm), so the page itself carries coordinates and no layout code. Jobs flow left to
 * right by `needs`; a reusable workflow is a group around its jobs (nested calls nest), and the
 * legs of a matrix job are a group under that job's name.
 */
import ELK, { type ElkExtendedEdge, type ElkNode } from 'elkjs/lib/elk.bundled.js';
import type { Job } from './run.ts';

export const NODE_WIDTH = 232;
export const NODE_HEIGHT = 56;
const GROUP_LABEL = 26;

export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface NodeBox extends Box {
  key: string;
  /** What the node shows: the job's own name, or a matrix leg's values. */
  label: string;
}

export interface GroupBox extends Box {
  id: string;
  kind: 'workflow' | 'matrix';
  label: string;
  depth: number;
}

export interface EdgePath {
  from: string;
  to: string;
  /** Absolute points, start to end. */
  points: [number, number][];
}

export interface Layout {
  width: number;
  height: number;
  nodes: NodeBox[];
  groups: GroupBox[];
  edges: EdgePath[];
}

/** `deploy (staging)` → [`deploy`, `staging`]; a name without parentheses has no values. */
function splitLeg(segment: string): [string, string | undefined] {
  const m = /^(.*?) \((.*)\)$/.exec(segment);
  return m ? [m[1] as string, m[2] as string] : [segment, undefined];
}

function segments(job: Job): string[] {
  return job.path.split(' / ');
}

export function nodeLabel(job: Job): string {
  const last = segments(job).at(-1) ?? job.name;
  if (!job.matrix) return last;
  const [, values] = splitLeg(last);
  return values ?? Object.values(job.matrix).map(String).join(', ');
}

interface GroupSpec {
  id: string;
  parent: string | undefined;
  kind: 'workflow' | 'matrix';
  label: string;
  depth: number;
  children: string[];
}

/** The groups a job belongs to, outermost first, registered in `groups` as they are met. */
function groupsOf(job: Job, groups: Map<string, GroupSpec>): string | undefined {
  const segs = segments(job);
  let parent: string | undefined;
  for (let i = 1; i <= job.workflow.length; i++) {
    const id = `wf:${job.workflow.slice(0, i).join('/')}`;
    if (!groups.has(id)) {
      const label = segs.length > job.workflow.length ? (segs[i - 1] as string) : (job.workflow[i - 1] as string);
      groups.set(id, { id, parent, kind: 'workflow', label, depth: i - 1, children: [] });
      if (parent) groups.get(parent)?.children.push(id);
    }
    parent = id;
  }
  if (job.matrix) {
    const id = `mx:${[...job.workflow, job.id].join('/')}`;
    if (!groups.has(id)) {
      const [name] = splitLeg(segs.at(-1) ?? job.name);
      groups.set(id, { id, parent, kind: 'matrix', label: name, depth: job.workflow.length, children: [] });
      if (parent) groups.get(parent)?.children.push(id);
    }
    parent = id;
  }
  return parent;
}

/** The node a `needs` entry points at: a job key, or a whole reusable-workflow call. */
function resolveNeed(need: string, keys: Set<string>, groups: Map<string, GroupSpec>): string | undefined {
  if (keys.has(need)) return need;
  for (const sep of ['.', '/']) {
    const id = `wf:${need.split(sep).join('/')}`;
    if (groups.has(id)) return id;
  }
  return undefined;
}

export async function layoutJobs(jobs: Job[]): Promise<Layout> {
  const groups = new Map<string, GroupSpec>();
  const top: string[] = [];
  const parentOf = new Map<string, string | undefined>();
  for (const job of jobs) {
    const parent = groupsOf(job, groups);
    parentOf.set(job.key, parent);
    if (parent) groups.get(parent)?.children.push(job.key);
    else top.push(job.key);
  }
  for (const g of groups.values()) if (!g.parent) top.push(g.id);

  const keys = new Set(jobs.map((j) => j.key));
  const edges: ElkExtendedEdge[] = [];
  const edgeEnds = new Map<string, [string, string]>();
  for (const job of jobs) {
    for (const need of job.needs) {
      const from = resolveNeed(need, keys, groups);
      if (!from) continue;
      const id = `e${edges.length}`;
      edges.push({ id, sources: [from], targets: [job.key] });
      edgeEnds.set(id, [need, job.key]);
    }
  }

  const elkNode = (id: string): ElkNode => {
    const g = groups.get(id);
    if (!g) return { id, width: NODE_WIDTH, height: NODE_HEIGHT };
    return {
      id,
      layoutOptions: { 'elk.padding': `[top=${GROUP_LABEL + 8},left=12,bottom=12,right=12]` },
      children: g.children.map(elkNode),
    };
  };
  const root: ElkNode = {
    id: 'root',
    layoutOptions: {
      'elk.algorithm': 'layered',
      'elk.direction': 'RIGHT',
      'elk.hierarchyHandling': 'INCLUDE_CHILDREN',
      'elk.edgeRouting': 'ORTHOGONAL',
      'elk.padding': '[top=12,left=12,bottom=12,right=12]',
      'elk.spacing.nodeNode': '16',
      'elk.layered.spacing.nodeNodeBetweenLayers': '48',
      'elk.layered.considerModelOrder.strategy': 'NODES_AND_EDGES',
    },
    children: top.map(elkNode),
    edges,
  };
  const out = await new ELK().layout(root);

  const abs = new Map<string, { x: number; y: number }>([['root', { x: 0, y: 0 }]]);
  const nodes: NodeBox[] = [];
  const groupBoxes: GroupBox[] = [];
  const byKey = new Map(jobs.map((j) => [j.key, j]));
  const walk = (n: ElkNode, ox: number, oy: number) => {
    const x = ox + (n.x ?? 0);
    const y = oy + (n.y ?? 0);
    abs.set(n.id, { x, y });
    const box = { x, y, width: n.width ?? 0, height: n.height ?? 0 };
    const g = groups.get(n.id);
    if (g) groupBoxes.push({ ...box, id: g.id, kind: g.kind, label: g.label, depth: g.depth });
    else {
      const job = byKey.get(n.id);
      if (job) nodes.push({ ...box, key: job.key, label: nodeLabel(job) });
    }
    for (const c of n.children ?? []) walk(c, x, y);
  };
  for (const c of out.children ?? []) walk(c, 0, 0);

  const paths: EdgePath[] = [];
  for (const e of (out.edges ?? []) as (ElkExtendedEdge & { container?: string })[]) {
    const ends = edgeEnds.get(e.id);
    if (!ends) continue;
    const o = abs.get(e.container ?? 'root') ?? { x: 0, y: 0 };
    const points: [number, number][] = [];
    for (const s of e.sections ?? []) {
      points.push([o.x + s.startPoint.x, o.y + s.startPoint.y]);
      for (const b of s.bendPoints ?? []) points.push([o.x + b.x, o.y + b.y]);
      points.push([o.x + s.endPoint.x, o.y + s.endPoint.y]);
    }
    paths.push({ from: ends[0], to: ends[1], points });
  }
  // Outer groups first so inner ones are drawn on top of them.
  groupBoxes.sort((a, b) => a.depth - b.depth || (a.kind === b.kind ? 0 : a.kind === 'workflow' ? -1 : 1));
  return { width: out.width ?? 0, height: out.height ?? 0, nodes, groups: groupBoxes, edges: paths };
}
