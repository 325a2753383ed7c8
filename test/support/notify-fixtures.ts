import type { Logger } from '../../src/log/logger.js';

/** A logger that keeps its lines (`LEVEL message[: error]`), for asserting what the notifier logged. */
export interface CollectingLogger extends Logger {
  lines: string[];
}

export function collectingLogger(): CollectingLogger {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m, err) =>
      lines.push(
        `ERROR ${m}${err instanceof Error ? `: ${err.message}` : err === undefined ? '' : ': (error)'}`,
      ),
  };
}
