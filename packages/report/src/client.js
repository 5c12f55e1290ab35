// The page's only script (inlined by page.ts, allowed by its hash in the page's CSP). The graph is
// already laid out in the HTML; this script shows a job's details when it is chosen, and turns a
// log into lines only when its step (or group) is unfolded, a chunk at a time. Log text is set
// with textContent, never parsed as HTML; summaries were rendered and escaped when the page was
// written.

const CHUNK = 1000;
const SVG = 'http://www.w3.org/2000/svg';
const KNOWN = new Set(['success', 'failure', 'cancelled', 'skipped']);
const jobs = JSON.parse(document.getElementById('jobs').textContent);
const byKey = new Map(jobs.map((j) => [j.key, j]));
const panel = document.getElementById('job');
const graph = document.getElementById('graph');
const buttons = [...graph.querySelectorAll('button.job')];
const logCache = new Map();

const rclass = (r) => `r-${KNOWN.has(r) ? r : 'other'}`;

function h(tag, cls, text) {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
}

function icon(name, cls) {
  const s = document.createElementNS(SVG, 'svg');
  s.setAttribute('class', `icon ${cls || ''}`);
  s.setAttribute('aria-hidden', 'true');
  const u = document.createElementNS(SVG, 'use');
  const id = KNOWN.has(name) || name === 'error' || name === 'warning' || name === 'notice' ? name : 'other';
  u.setAttribute('href', `#i-${id}`);
  s.append(u);
  return s;
}

function badge(result) {
  const b = h('span', `badge ${rclass(result)}`);
  b.append(icon(result), h('span', 'word', result));
  return b;
}

function logLines(job) {
  if (job.log < 0) return [];
  let lines = logCache.get(job.log);
  if (!lines) {
    lines = JSON.parse(document.getElementById(`log-${job.log}`).textContent);
    logCache.set(job.log, lines);
  }
  return lines;
}

/** Splits a job log at its `##[step]` lines; lines before the first step are the job's set-up. */
function sections(lines) {
  const out = [];
  let cur = null;
  for (const line of lines) {
    if (line.startsWith('##[step]')) {
      cur = { name: line.slice(8), lines: [] };
      out.push(cur);
    } else {
      if (!cur) {
        cur = { name: 'Set up job', setup: true, lines: [] };
        out.push(cur);
      }
      cur.lines.push(line);
    }
  }
  return out;
}

const MARKS = ['error', 'warning', 'notice', 'command', 'debug'];

/** Lines to items: plain lines, and groups (`##[group]` … `##[endgroup]`) holding their own items. */
function parseItems(lines) {
  const root = { items: [], error: false };
  const stack = [root];
  let n = 0;
  for (const line of lines) {
    const top = stack[stack.length - 1];
    if (line.startsWith('##[endgroup]')) {
      if (stack.length > 1) stack.pop();
      continue;
    }
    n++;
    if (line.startsWith('##[group]')) {
      const g = { group: true, n, text: line.slice(9), items: [], error: false };
      top.items.push(g);
      stack.push(g);
      continue;
    }
    let kind = '';
    let text = line;
    for (const m of MARKS) {
      if (line.startsWith(`##[${m}]`)) {
        kind = m;
        text = line.slice(m.length + 4);
        break;
      }
    }
    if (kind === 'error') for (const s of stack) s.error = true;
    if (kind === 'error' || kind === 'warning' || kind === 'notice') text = `${kind[0].toUpperCase()}${kind.slice(1)}: ${text}`;
    top.items.push({ n, kind, text });
  }
  return root;
}

function lineEl(item) {
  const d = h('div', item.kind ? `l ${item.kind}` : 'l');
  d.append(h('span', 'n', String(item.n)), h('span', 't', item.text));
  return d;
}

function foldable(btn, body, render, open) {
  let rendered = false;
  const set = (on) => {
    if (on && !rendered) {
      render();
      rendered = true;
    }
    btn.setAttribute('aria-expanded', String(on));
    body.hidden = !on;
  };
  btn.addEventListener('click', () => set(btn.getAttribute('aria-expanded') !== 'true'));
  set(open);
}

function groupEl(g, showErrors) {
  const wrap = h('div', 'group');
  const btn = h('button');
  btn.type = 'button';
  btn.append(h('span', 'n', String(g.n)), h('span', 'chev', '▸'), h('span', 't', g.text));
  const body = h('div', 'body');
  wrap.append(btn, body);
  foldable(btn, body, () => renderItems(body, g.items, showErrors), showErrors && g.error);
  return wrap;
}

/** Renders items a chunk at a time; with showErrors, at least up to the last error line. */
function renderItems(container, items, showErrors) {
  let upTo = CHUNK;
  if (showErrors) {
    for (let i = items.length - 1; i >= upTo; i--) {
      if (items[i].kind === 'error' || items[i].error) {
        upTo = i + 1;
        break;
      }
    }
  }
  let done = 0;
  const more = h('button', 'more');
  more.type = 'button';
  const step = (count) => {
    const frag = document.createDocumentFragment();
    const end = Math.min(items.length, done + count);
    for (; done < end; done++) {
      const it = items[done];
      frag.append(it.group ? groupEl(it, showErrors) : lineEl(it));
    }
    container.insertBefore(frag, more.parentNode === container ? more : null);
    if (done < items.length) {
      more.textContent = `Show ${Math.min(CHUNK, items.length - done)} more lines (${items.length - done} left)`;
      if (more.parentNode !== container) container.append(more);
    } else more.remove();
  };
  more.addEventListener('click', () => step(CHUNK));
  step(upTo);
}

const RUNNER_STEPS = new Set(['Set up job', 'Complete job']);

/**
 * Pairs the job's steps with the log's sections (by name where they agree, else in order) and
 * lists them in log order; a section no step claims (the runner's "Set up job") keeps its place,
 * a step with no section (skipped) follows the step before it.
 */
function pairSteps(job, secs) {
  const used = new Set();
  const rows = [];
  let last = -1;
  for (const [i, st] of job.steps.entries()) {
    let idx = secs.findIndex((s, j) => !used.has(j) && j > last && s.name === st.name);
    if (idx < 0) {
      const next = secs.findIndex((s, j) => !used.has(j) && j > last && !s.setup && !RUNNER_STEPS.has(s.name));
      if (next >= 0 && !job.steps.slice(i + 1).some((o) => o.name === secs[next].name)) idx = next;
    }
    if (idx >= 0) {
      used.add(idx);
      last = idx;
    }
    rows.push({
      name: st.name,
      result: st.result,
      duration: st.duration,
      sec: idx >= 0 ? secs[idx] : undefined,
      pos: idx >= 0 ? idx : last + 0.5 + i / 1e6,
    });
  }
  for (const [j, s] of secs.entries()) if (!used.has(j)) rows.push({ name: s.name, result: '', duration: '', sec: s, pos: j - 1e-3 });
  return rows.sort((a, b) => a.pos - b.pos);
}

function stepsEl(job) {
  const wrap = h('div', 'steps');
  const rows = pairSteps(job, sections(logLines(job)));
  if (rows.length === 0) {
    const p = h('p', 'empty', job.result === 'skipped' ? 'This job was skipped: it ran no steps.' : 'This job has no steps or log.');
    wrap.append(p);
    return wrap;
  }
  for (const row of rows) {
    const st = h('div', 'step');
    const btn = h('button');
    btn.type = 'button';
    const res = row.result || 'log';
    btn.append(h('span', 'chev', '▸'), icon(res, rclass(res)), h('span', 'sname', row.name));
    if (row.result) btn.append(h('span', `sres ${rclass(row.result)}`, row.result));
    if (row.duration) btn.append(h('span', 'sdur', row.duration));
    const body = h('div', 'log');
    st.append(btn, body);
    const failed = row.result === 'failure';
    foldable(
      btn,
      body,
      () => {
        if (!row.sec || row.sec.lines.length === 0) {
          const l = h('div', 'l');
          l.append(h('span', 'n', ''), h('span', 't', row.result === 'skipped' ? '(skipped)' : '(no output)'));
          body.append(l);
        } else renderItems(body, parseItems(row.sec.lines).items, failed);
      },
      failed,
    );
    wrap.append(st);
  }
  return wrap;
}

function annotationsEl(list) {
  const ul = h('ul', 'annotations');
  for (const a of list) {
    const li = h('li', `a-${a.level}`);
    const div = h('div');
    div.append(h('span', 'level', a.level));
    const where = [a.file ? `${a.file}${a.line ? `:${a.line}` : ''}` : '', a.step ? `step “${a.step}”` : ''].filter(Boolean).join(' · ');
    if (where) div.append(' ', h('span', 'where', where));
    div.append(h('div', 'msg', a.message));
    li.append(icon(a.level), div);
    ul.append(li);
  }
  return ul;
}

function render(job) {
  const title = h('h2');
  title.id = 'job-h';
  title.tabIndex = -1;
  title.append(icon(job.result, rclass(job.result)), h('span', 'path', job.path), badge(job.result));
  if (job.duration) title.append(h('span', 'facts', job.duration));
  const back = h('button', 'linkish', 'Back to the graph');
  back.type = 'button';
  back.addEventListener('click', () => buttons.find((b) => b.dataset.key === job.key)?.focus());
  const facts = [`Started ${job.started}`];
  if (job.needs.length) facts.push(`needs ${job.needs.map((k) => byKey.get(k)?.path ?? k).join(', ')}`);
  if (job.matrix)
    facts.push(
      `matrix ${Object.entries(job.matrix)
        .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
        .join(', ')}`,
    );
  const parts = [title, h('p', 'facts', facts.join(' · ')), back];
  if (job.annotations.length) parts.push(h('h3', '', `Annotations (${job.annotations.length})`), annotationsEl(job.annotations));
  parts.push(h('h3', '', 'Steps and log'), stepsEl(job));
  const outputs = Object.entries(job.outputs || {});
  if (outputs.length) {
    const table = h('table');
    const head = h('tr');
    head.append(h('th', '', 'Output'), h('th', '', 'Value'));
    table.append(head);
    for (const [k, v] of outputs) {
      const tr = h('tr');
      tr.append(h('td', '', k), h('td', '', typeof v === 'string' ? v : JSON.stringify(v)));
      table.append(tr);
    }
    parts.push(h('h3', '', 'Outputs'), table);
  }
  parts.push(h('h3', '', 'Summary'));
  if (job.summary) {
    const md = h('div', 'markdown');
    // Rendered by the page writer's one Markdown renderer, raw HTML escaped, unsafe links dropped.
    md.innerHTML = job.summary;
    parts.push(md);
  } else parts.push(h('p', 'empty', 'This job wrote no summary.'));
  panel.replaceChildren(...parts);
}

function select(key, moveFocus) {
  const job = byKey.get(key);
  if (!job) return;
  for (const b of buttons) b.setAttribute('aria-current', String(b.dataset.key === key));
  render(job);
  history.replaceState(null, '', `#job=${encodeURIComponent(key)}`);
  if (moveFocus) {
    panel.scrollIntoView({ block: 'start' });
    document.getElementById('job-h').focus({ preventScroll: true });
  }
}

graph.addEventListener('click', (e) => {
  const b = e.target.closest('button.job');
  if (b) select(b.dataset.key, true);
});

// Arrow keys move to the nearest job in that direction, as on a map.
const DIRS = { ArrowRight: [1, 0], ArrowLeft: [-1, 0], ArrowDown: [0, 1], ArrowUp: [0, -1] };
graph.addEventListener('keydown', (e) => {
  const dir = DIRS[e.key];
  const from = e.target.closest('button.job');
  if (!dir || !from) return;
  const c = (b) => [b.offsetLeft + b.offsetWidth / 2, b.offsetTop + b.offsetHeight / 2];
  const [fx, fy] = c(from);
  let best;
  let bestScore = Number.POSITIVE_INFINITY;
  for (const b of buttons) {
    if (b === from) continue;
    const [x, y] = c(b);
    const along = (x - fx) * dir[0] + (y - fy) * dir[1];
    if (along <= 1) continue;
    const across = Math.abs((x - fx) * dir[1] + (y - fy) * dir[0]);
    const score = along + 2 * across;
    if (score < bestScore) {
      bestScore = score;
      best = b;
    }
  }
  if (best) {
    e.preventDefault();
    best.focus();
  }
});

document.addEventListener('click', (e) => {
  const open = e.target.closest('[data-open]');
  if (open) select(open.dataset.open, true);
});

const m = /^#job=(.+)$/.exec(location.hash);
if (m) select(decodeURIComponent(m[1]), false);
