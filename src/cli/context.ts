import { bootstrap, openApp, type AppContext } from '../app.js';
import { loadConfig, type ConfigFlags } from '../config/config.js';
import { consoleLogger } from '../log/logger.js';
import type { Io } from './output.js';

/** Global options every command accepts. */
export interface GlobalOptions {
  config?: string;
  dataDir?: string;
  db?: string;
}

/** Opens the database for a one-shot command, runs it, and closes the database again. */
export async function withApp<T>(
  io: Io,
  globals: GlobalOptions,
  fn: (ctx: AppContext) => Promise<T>,
  flags: ConfigFlags = {},
): Promise<T> {
  const config = loadConfig({ ...globals, ...flags }, process.env, 'cli');
  const log = consoleLogger(config.nodeId, {
    write: (s: string) => (io.err(s), true),
  } as unknown as NodeJS.WritableStream);
  const ctx = await openApp(config, { log });
  try {
    await bootstrap(ctx, (t) => io.err(t));
    return await fn(ctx);
  } finally {
    await ctx.close();
  }
}
