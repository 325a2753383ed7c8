// Pure (no I/O): domain/settings.ts validates log.levels against it. src/log/levels.ts re-exports it.

/**
 * Log levels, from the most verbose to none at all. `OFF` is only meaningful as a threshold: a logger
 * set to `OFF` writes nothing, and no event is ever logged at `OFF`.
 */
export type LogLevel = 'TRACE' | 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'OFF';

/** Every level, least severe first; the order matches {@link LEVEL_SEVERITY}. */
export const LOG_LEVELS: readonly LogLevel[] = ['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'OFF'];

/** Numeric severity: an event is written when its severity is at least the logger's threshold. */
export const LEVEL_SEVERITY: Readonly<Record<LogLevel, number>> = {
  TRACE: 0,
  DEBUG: 1,
  INFO: 2,
  WARN: 3,
  ERROR: 4,
  OFF: 5,
};

const LEVEL_SET: ReadonlySet<string> = new Set(LOG_LEVELS);

export function isLogLevel(s: unknown): s is LogLevel {
  return typeof s === 'string' && LEVEL_SET.has(s);
}

export function severity(level: LogLevel): number {
  return LEVEL_SEVERITY[level];
}

/** Parses a level name case-insensitively, ignoring surrounding blanks (`' debug '` → `'DEBUG'`). */
export function parseLogLevel(text: string): LogLevel | null {
  const upper = text.trim().toUpperCase();
  return isLogLevel(upper) ? upper : null;
}
