/**
 * What domain packages log through. The runner adapter (kit) implements it with workflow
 * commands; tests and the demo use a plain console or a recording logger.
 */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warning(message: string): void;
  error(message: string): void;
  /** A notice annotation (on the runner); loggers without one print it with info. */
  notice?(message: string): void;
  /** Runs fn inside a collapsible log group. */
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
  /** Registers a value that must never be printed. */
  mask(secret: string): void;
}

export function consoleLogger(prefix = ''): Logger {
  return {
    debug: (m) => {
      if (process.env.DEBUG) console.log(`${prefix}[debug] ${m}`);
    },
    info: (m) => console.log(`${prefix}${m}`),
    warning: (m) => console.warn(`${prefix}warning: ${m}`),
    error: (m) => console.error(`${prefix}error: ${m}`),
    group: async (name, fn) => {
      console.log(`${prefix}== ${name}`);
      return fn();
    },
    mask: () => {},
  };
}

/** A logger that keeps every line, for tests. */
export interface RecordingLogger extends Logger {
  lines: string[];
  masked: string[];
}

export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  const masked: string[] = [];
  return {
    lines,
    masked,
    debug: (m) => lines.push(`debug: ${m}`),
    info: (m) => lines.push(m),
    warning: (m) => lines.push(`warning: ${m}`),
    error: (m) => lines.push(`error: ${m}`),
    group: async (name, fn) => {
      lines.push(`group: ${name}`);
      return fn();
    },
    mask: (s) => masked.push(s),
  };
}

export const silentLogger: Logger = {
  debug: () => {},
  info: () => {},
  warning: () => {},
  error: () => {},
  group: (_name, fn) => fn(),
  mask: () => {},
};

/** A logger that holds its lines until `release()` (masks go through at once): for work that runs beside other output. */
export interface HeldLogger extends Logger {
  /** Prints the held lines to the target logger, in order, and passes later lines straight on. */
  release(): void;
}

export function heldLogger(target: Logger): HeldLogger {
  let held: (() => void)[] | undefined = [];
  const later = (fn: () => void) => (held ? held.push(fn) : fn());
  return {
    debug: (m) => later(() => target.debug(m)),
    info: (m) => later(() => target.info(m)),
    warning: (m) => later(() => target.warning(m)),
    error: (m) => later(() => target.error(m)),
    notice: (m) => later(() => (target.notice ? target.notice(m) : target.info(m))),
    group: async (name, fn) => {
      later(() => target.info(name));
      return fn();
    },
    mask: (s) => target.mask(s),
    release: () => {
      const lines = held ?? [];
      held = undefined;
      for (const fn of lines) fn();
    },
  };
}
