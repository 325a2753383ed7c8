/**
 * The logger port. The gateway issue replaces the console implementation with the log4j-style file
 * layout from the seed; callers only ever see this interface.
 */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string, err?: unknown): void;
}

function describe(err: unknown): string {
  if (err instanceof Error) return err.stack ?? `${err.name}: ${err.message}`;
  return String(err);
}

/** Writes `<ISO time> <LEVEL> <node> <message>` lines to stderr. */
export function consoleLogger(nodeId: string, stream: NodeJS.WritableStream = process.stderr): Logger {
  const line = (level: string, message: string): void => {
    stream.write(`${new Date().toISOString()} ${level} ${nodeId} ${message}\n`);
  };
  return {
    info: (m) => line('INFO', m),
    warn: (m) => line('WARN', m),
    error: (m, err) => line('ERROR', err === undefined ? m : `${m}: ${describe(err)}`),
  };
}

/** Discards everything; for tests and for CLI commands whose output is the result itself. */
export const silentLogger: Logger = { info: () => undefined, warn: () => undefined, error: () => undefined };
