/**
 * A job's log: masked lines to logs/KEY.log (GitHub's raw-log markers: ##[step], ##[group],
 * ##[endgroup], ##[error] …) and, prefixed by the job, to the terminal. Workflow commands
 * (`::add-mask::`, `::group::`, annotations, `::stop-commands::`) are processed here.
 * https://docs.github.com/en/actions/reference/workflows-and-actions/workflow-commands
 */
import { appendFileSync, writeFileSync } from 'node:fs';
import type { Masker } from './mask.ts';

export interface Annotation {
  level: 'error' | 'warning' | 'notice';
  message: string;
  file?: string;
  line?: number;
  step?: string;
}

export interface Terminal {
  write(text: string): void;
}

export class JobLog {
  readonly annotations: Annotation[] = [];
  step = '';
  private buffer: string[] = [];
  readonly file: string;
  private readonly prefix: string;
  private readonly term: Terminal;
  readonly masker: Masker;
  constructor(file: string, prefix: string, term: Terminal, masker: Masker) {
    this.file = file;
    this.prefix = prefix;
    this.term = term;
    this.masker = masker;
    writeFileSync(file, '');
  }

  private emit(line: string, show = true): void {
    const masked = this.masker.mask(line);
    this.buffer.push(masked);
    if (this.buffer.length >= 64) this.flush();
    if (show) this.term.write(`${this.prefix} ${masked}\n`);
  }

  flush(): void {
    if (this.buffer.length) appendFileSync(this.file, `${this.buffer.join('\n')}\n`);
    this.buffer = [];
  }

  startStep(name: string): void {
    this.step = name;
    this.emit(`##[step]${name}`, false);
  }

  info(line: string): void {
    this.emit(line);
  }

  /** A line the runner itself adds (not shown twice on the terminal). */
  quiet(line: string): void {
    this.emit(line, false);
  }

  annotate(a: Annotation): void {
    const masked = { ...a, message: this.masker.mask(a.message), step: a.step ?? (this.step || undefined) };
    this.annotations.push(masked);
    this.emit(`##[${a.level}]${a.message}`);
  }

  error(message: string): void {
    this.annotate({ level: 'error', message });
  }

  warning(message: string): void {
    this.annotate({ level: 'warning', message });
  }

  /** A processor of one process's output lines (its own ::stop-commands:: state). */
  commandProcessor(): (line: string) => void {
    let stopToken: string | null = null;
    return (line: string) => {
      const m = /^::([A-Za-z-]+)( [^:]*)?::(.*)$/.exec(line);
      if (!m) return this.emit(line);
      const [, cmd = '', params = '', value = ''] = m;
      if (stopToken !== null) {
        if (cmd === stopToken) stopToken = null;
        else this.emit(line);
        return;
      }
      switch (cmd) {
        case 'add-mask':
          this.masker.add(unescapeData(value));
          return;
        case 'group':
          return this.emit(`##[group]${unescapeData(value)}`);
        case 'endgroup':
          return this.emit('##[endgroup]');
        case 'stop-commands':
          stopToken = value;
          return;
        case 'debug':
          if (process.env.ACTIONS_STEP_DEBUG === 'true') this.emit(`##[debug]${unescapeData(value)}`);
          return;
        case 'error':
        case 'warning':
        case 'notice': {
          const props = parseProps(params.trim());
          const a: Annotation = { level: cmd, message: unescapeData(value) };
          if (props.file) a.file = props.file;
          if (props.line) a.line = Number(props.line);
          if (props.title) a.message = `${props.title}: ${a.message}`;
          return this.annotate(a);
        }
        case 'set-output':
        case 'save-state':
        case 'set-env':
        case 'add-path':
          return this.warning(
            `The \`${cmd}\` command is disabled: use the environment files (GITHUB_OUTPUT, GITHUB_STATE, GITHUB_ENV, GITHUB_PATH)`,
          );
        default:
          return this.emit(line);
      }
    };
  }
}

function unescapeData(s: string): string {
  return s.replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%');
}

function parseProps(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of s.split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0)
      out[part.slice(0, eq).trim()] = part
        .slice(eq + 1)
        .replace(/%2C/g, ',')
        .replace(/%3A/g, ':')
        .replace(/%0A/g, '\n')
        .replace(/%25/g, '%');
  }
  return out;
}
