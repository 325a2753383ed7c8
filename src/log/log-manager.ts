import type { Layout, LogContext, LogEvent } from './layout.js';
import { LEVEL_SEVERITY, isLogLevel } from './levels.js';
import type { LogLevel } from './levels.js';
import type { Logger } from './logger.js';
import type { LogSink } from './sinks.js';

/**
 * A logger with a name and an effective level. It satisfies the {@link Logger} port, so existing code
 * keeps calling `info(message)`; code that knows the request passes its {@link LogContext} too.
 * Every method is a bound function: passing `log.warn` as a callback works.
 */
export interface NamedLogger extends Logger {
  readonly name: string;
  isEnabled(level: LogLevel): boolean;
  log(level: LogLevel, message: string, ctx?: LogContext, err?: unknown): void;
  trace(message: string, ctx?: LogContext): void;
  debug(message: string, ctx?: LogContext): void;
  info(message: string, ctx?: LogContext): void;
  warn(message: string, ctx?: LogContext, err?: unknown): void;
  error(message: string, err?: unknown, ctx?: LogContext): void;
}

export interface LogManagerOptions {
  sinks: readonly LogSink[];
  layout: Layout;
  /** The worker or thread, `%t`. */
  thread: string;
  /** The cluster node id, written by layouts that show it. */
  node?: string;
  /** Level per logger name; `''` is the root. See {@link LogManager.levelOf}. */
  levels?: Readonly<Record<string, LogLevel>>;
  /** The level of a name that neither it nor any ancestor (root included) sets. Default `'INFO'`. */
  defaultLevel?: LogLevel;
  /** Epoch milliseconds; injected for tests. */
  now?: () => number;
}

const TRACE = LEVEL_SEVERITY.TRACE;
const DEBUG = LEVEL_SEVERITY.DEBUG;
const INFO = LEVEL_SEVERITY.INFO;
const WARN = LEVEL_SEVERITY.WARN;
const ERROR = LEVEL_SEVERITY.ERROR;
const OFF = LEVEL_SEVERITY.OFF;

function copyLevels(levels: Readonly<Record<string, LogLevel>>): Map<string, LogLevel> {
  const map = new Map<string, LogLevel>();
  for (const [name, level] of Object.entries(levels) as [string, unknown][]) {
    if (!isLogLevel(level)) throw new TypeError(`invalid log level for '${name}': ${String(level)}`);
    map.set(name, level);
  }
  return map;
}

/**
 * Owns the sinks and the level map, and hands out one cached {@link NamedLogger} per name.
 *
 * Levels are resolved when they change, not when a message is logged: each logger keeps its effective
 * threshold as a number, so a disabled call costs one integer compare and formats nothing.
 */
export class LogManager {
  private readonly sinks: readonly LogSink[];
  private readonly layout: Layout;
  private readonly thread: string;
  private readonly node: string | undefined;
  private readonly defaultLevel: LogLevel;
  private readonly now: () => number;
  private levelMap: Map<string, LogLevel>;
  private categories: ReadonlyMap<string, string> = new Map();
  private readonly loggers = new Map<string, { logger: NamedLogger; setThreshold: (t: number) => void }>();
  private closed = false;

  constructor(options: LogManagerOptions) {
    this.sinks = [...options.sinks];
    this.layout = options.layout;
    this.thread = options.thread;
    this.node = options.node;
    // Checked at run time too: levels may come from a JSON request or a config file.
    const defaultLevel: unknown = options.defaultLevel ?? 'INFO';
    if (!isLogLevel(defaultLevel)) throw new TypeError(`invalid default log level: ${String(defaultLevel)}`);
    this.defaultLevel = defaultLevel;
    this.now = options.now ?? Date.now;
    this.levelMap = copyLevels(options.levels ?? {});
  }

  /**
   * The effective level of a logger name: its own entry, else its nearest dotted ancestor's
   * (`auth.filter` → `auth`), else the root's (`''`), else the default level.
   */
  levelOf(name: string): LogLevel {
    let key = name;
    for (;;) {
      const level = this.levelMap.get(key);
      if (level !== undefined) return level;
      if (key === '') return this.defaultLevel;
      const dot = key.lastIndexOf('.');
      key = dot < 0 ? '' : key.slice(0, dot);
    }
  }

  /** A copy of the configured levels, for display. */
  levels(): Record<string, LogLevel> {
    return Object.fromEntries(this.levelMap);
  }

  /** Replaces the whole level map and recomputes every cached logger's threshold once. */
  setLevels(levels: Readonly<Record<string, LogLevel>>): void {
    this.levelMap = copyLevels(levels);
    for (const [name, entry] of this.loggers) entry.setThreshold(LEVEL_SEVERITY[this.levelOf(name)]);
  }

  /**
   * The category a logger's lines show (`%c`, `%q{2}`), by logger name; a name without one shows
   * itself. Levels keep following the names. The `seed` log style uses this to write the seed app's
   * class names (SEED_LOGGER_CATEGORIES).
   */
  setCategories(categories: Readonly<Record<string, string>>): void {
    this.categories = new Map(Object.entries(categories));
  }

  logger(name: string): NamedLogger {
    const cached = this.loggers.get(name);
    if (cached !== undefined) return cached.logger;
    const entry = this.createLogger(name);
    this.loggers.set(name, entry);
    return entry.logger;
  }

  /**
   * A logger whose lines are written whatever the levels say (only closing the manager stops it).
   * `log.levels` is a runtime setting that an admin token can change; the audit chain anchors and
   * the retention floor WARN are security lines that docs/audit.md tells operators to ship off the
   * machine, so that token must not be able to switch them off. Use it for those lines only.
   */
  unfiltered(name: string): Logger {
    return {
      info: (message) => this.emit(name, 'INFO', message),
      warn: (message) => this.emit(name, 'WARN', message),
      error: (message, err) => this.emit(name, 'ERROR', message, undefined, err),
    };
  }

  async flush(): Promise<void> {
    await Promise.all(this.sinks.map((s) => s.flush()));
  }

  /** Flushes and closes every sink; later log calls are ignored. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.sinks.map((s) => s.close()));
  }

  private emit(name: string, level: LogLevel, message: string, ctx?: LogContext, err?: unknown): void {
    if (this.closed) return;
    const event: LogEvent = {
      time: this.now(),
      level,
      logger: this.categories.get(name) ?? name,
      thread: this.thread,
      message,
      ctx,
    };
    if (this.node !== undefined) event.node = this.node;
    if (err !== undefined) event.err = err;
    const line = this.layout(event);
    for (const sink of this.sinks) sink.write(line);
  }

  private createLogger(name: string): { logger: NamedLogger; setThreshold: (t: number) => void } {
    // The one mutable value on the hot path; OFF (the highest) admits nothing, since no event is OFF.
    let threshold = LEVEL_SEVERITY[this.levelOf(name)];
    const emit = (level: LogLevel, message: string, ctx?: LogContext, err?: unknown): void => {
      this.emit(name, level, message, ctx, err);
    };
    const logger: NamedLogger = {
      name,
      isEnabled: (level) => {
        const s = LEVEL_SEVERITY[level];
        return s >= threshold && s < OFF;
      },
      log: (level, message, ctx, err) => {
        const s = LEVEL_SEVERITY[level];
        if (s >= threshold && s < OFF) emit(level, message, ctx, err);
      },
      trace: (message, ctx) => {
        if (TRACE >= threshold) emit('TRACE', message, ctx);
      },
      debug: (message, ctx) => {
        if (DEBUG >= threshold) emit('DEBUG', message, ctx);
      },
      info: (message, ctx) => {
        if (INFO >= threshold) emit('INFO', message, ctx);
      },
      warn: (message, ctx, err) => {
        if (WARN >= threshold) emit('WARN', message, ctx, err);
      },
      error: (message, err, ctx) => {
        if (ERROR >= threshold) emit('ERROR', message, ctx, err);
      },
    };
    return {
      logger,
      setThreshold: (t) => {
        threshold = t;
      },
    };
  }
}
