import type { AppContext } from '../app.js';
import type { Io, OutputFormat } from './output.js';

/** Global options every command accepts. */
export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  db?: string;
  /** `-o json|table`; table when not given. */
  output?: OutputFormat;
}

/** The global options that are configuration (`--config`, `--data-dir`, `--db`), for loadConfig. */
export function configFlags(g: GlobalOptions): Pick<GlobalOptions, 'config' | 'dataDir' | 'db'> {
  return { config: g.config, dataDir: g.dataDir, db: g.db };
}

export interface WithAppOptions {
  /**
   * Create the database when it does not exist (`init`). Every other command refuses a missing
   * database: a mistyped --data-dir must not quietly start a new, empty one.
   */
  create?: boolean;
}

/**
 * Opens the database for a one-shot command, runs it, and closes the database again. The
 * configuration, the services and the database drivers are imported here, on first use, so that
 * `--help`, `--version` and usage errors never load them.
 */
export async function withApp<T>(
  io: Io,
  globals: GlobalOptions,
  fn: (ctx: AppContext) => Promise<T>,
  opts: WithAppOptions = {},
): Promise<T> {
  const [{ loadConfig }, { consoleLogger }, { bootstrap, openApp }] = await Promise.all([
    import('../config/config.js'),
    import('../log/logger.js'),
    import('../app.js'),
  ]);
  const config = loadConfig(configFlags(globals), process.env, 'cli');
  const log = consoleLogger(config.nodeId, {
    write: (s: string) => (io.err(s), true),
  } as unknown as NodeJS.WritableStream);
  const ctx = await openApp(config, { log, ...(opts.create ? {} : { mustExist: true }) });
  try {
    await bootstrap(ctx, (t) => io.err(t));
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
