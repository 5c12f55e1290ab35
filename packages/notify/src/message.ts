import type { RunContext } from '@tripo04os/common';

/** How a status looks: colour bar, emoji, and the words used in the default title. */
export interface StatusStyle {
  /** Normalised status: one of the known ones, or the caller's free text. */
  status: string;
  known: boolean;
  emoji: string;
  /** `#RRGGBB`. */
  color: string;
  /** Adaptive Card colour / container style. */
  teamsColor: 'Good' | 'Attention' | 'Warning' | 'Accent' | 'Default';
  /** `succeeded`, `failed`, ... as in "CI succeeded". */
  verb: string;
}

const STYLES: Record<string, Omit<StatusStyle, 'status' | 'known'>> = {
  success: { emoji: '✅', color: '#2EB67D', teamsColor: 'Good', verb: 'succeeded' },
  failure: { emoji: '❌', color: '#E01E5A', teamsColor: 'Attention', verb: 'failed' },
  cancelled: { emoji: '🚫', color: '#9E9E9E', teamsColor: 'Default', verb: 'was cancelled' },
  started: { emoji: '🚀', color: '#1D9BD1', teamsColor: 'Accent', verb: 'started' },
  warning: { emoji: '⚠️', color: '#ECB22E', teamsColor: 'Warning', verb: 'finished with warnings' },
};

/** Other spellings callers pass (job.status, step outcomes, common words). */
const ALIASES: Record<string, string> = {
  succeeded: 'success',
  successful: 'success',
  ok: 'success',
  passed: 'success',
  failed: 'failure',
  fail: 'failure',
  error: 'failure',
  canceled: 'cancelled',
  cancel: 'cancelled',
  skipped: 'cancelled',
  start: 'started',
  running: 'started',
  'in-progress': 'started',
  in_progress: 'started',
  warn: 'warning',
  warnings: 'warning',
};

/** The look of a status. Known statuses are matched case-insensitively; free text keeps its words. */
export function statusStyle(status: string): StatusStyle {
  const key = status.trim().toLowerCase();
  const name = ALIASES[key] ?? key;
  const style = STYLES[name];
  if (style) return { status: name, known: true, ...style };
  return { status: status.trim(), known: false, emoji: 'ℹ️', color: '#4A5568', teamsColor: 'Default', verb: status.trim() };
}

/** What the caller wants to say; the channels render it their own way. */
export interface Message {
  status: StatusStyle;
  title: string;
  /** Markdown. */
  text: string;
  /** Caller's fields, in order, after the automatic ones. */
  fields: Field[];
  /** Automatic fields (run context). Empty when the caller turned them off. */
  automatic: Field[];
  context: RunContext;
  environment: string;
}

export interface Field {
  name: string;
  /** Plain text shown for the value. */
  value: string;
  /** When set, the value links there. */
  url?: string;
}

export interface MessageInput {
  status?: string;
  title?: string;
  text?: string;
  fields?: Record<string, string> | Field[];
  environment?: string;
  /** Include the fields taken from the run (default true). */
  automaticFields?: boolean;
}

/** The fields taken from the run: repository, ref, commit, actor, workflow, event, run, environment. */
export function automaticFields(ctx: RunContext, environment = ''): Field[] {
  const out: Field[] = [];
  const add = (name: string, value: string, url?: string) => {
    if (value) out.push(url ? { name, value, url } : { name, value });
  };
  add('Repository', ctx.repository, ctx.repositoryUrl || undefined);
  if (ctx.refType === 'pull request') {
    add('Pull request', ctx.prNumber ? `#${ctx.prNumber} (${ctx.refName})` : ctx.refName, ctx.prUrl || undefined);
  } else if (ctx.refType === 'tag') {
    add('Tag', ctx.refName, ctx.repositoryUrl ? `${ctx.repositoryUrl}/releases/tag/${ctx.refName}` : undefined);
  } else {
    add('Branch', ctx.refName || ctx.ref, ctx.repositoryUrl && ctx.refName ? `${ctx.repositoryUrl}/tree/${ctx.refName}` : undefined);
  }
  add('Commit', ctx.shortSha, ctx.commitUrl || undefined);
  add('Actor', ctx.actor, ctx.actorUrl || undefined);
  add('Workflow', ctx.workflow, ctx.runUrl || undefined);
  add('Event', ctx.event);
  add('Run', ctx.runNumber ? `#${ctx.runNumber}` : ctx.runId, ctx.runUrl || undefined);
  add('Environment', environment);
  return out;
}

/** The default title: `✅ CI succeeded on tripo04os/ai-support (production)`. */
export function defaultTitle(style: StatusStyle, ctx: RunContext, environment: string): string {
  const what = ctx.workflow || 'Workflow';
  const where = ctx.repository ? ` on ${ctx.repository}` : '';
  const env = environment ? ` (${environment})` : '';
  const verb = style.known ? style.verb : `: ${style.verb}`;
  return `${what}${style.known ? ' ' : ''}${verb}${where}${env}`;
}

/** Builds the message every channel renders. */
export function buildMessage(input: MessageInput, ctx: RunContext): Message {
  const status = statusStyle(input.status || 'success');
  const environment = input.environment ?? '';
  const fields = Array.isArray(input.fields) ? input.fields : Object.entries(input.fields ?? {}).map(([name, value]) => ({ name, value }));
  return {
    status,
    title: input.title || defaultTitle(status, ctx, environment),
    text: input.text ?? '',
    fields,
    automatic: input.automaticFields === false ? [] : automaticFields(ctx, environment),
    context: ctx,
    environment,
  };
}

/** Every field the channels show: the automatic ones first, then the caller's. */
export function allFields(message: Message): Field[] {
  return [...message.automatic, ...message.fields];
}

/** Cuts text to at most `max` characters (code points), ending with `…` when cut. */
export function truncate(text: string, max: number): string {
  if (max <= 0) return '';
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  return `${chars.slice(0, max - 1).join('')}…`;
}

/** The sum of some numbers. */
export const total = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);

/** Shares `room` among demands: small ones get what they ask, the rest split what is left evenly (each at least 1). */
export function fairShare(demands: readonly number[], room: number): number[] {
  const out = demands.map(() => 1);
  let left = Math.max(0, room);
  const order = demands.map((d, i) => [d, i] as const).sort((a, b) => a[0] - b[0]);
  order.forEach(([demand, i], k) => {
    const share = Math.max(1, Math.min(demand, Math.floor(left / (order.length - k))));
    out[i] = share;
    left -= share;
  });
  return out;
}
