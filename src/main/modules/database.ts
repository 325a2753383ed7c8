import { bootstrap, openApp, type AppContext } from '../../app.js';
import type { Config } from '../../config/config.js';
import type { Logger } from '../../log/logger.js';

/** The database and the services over it (app.ts); closed after every module that uses it. */
export async function startDatabase(
  config: Config,
  log: Logger,
): Promise<{ ctx: AppContext; stop(): Promise<void> }> {
  const ctx = await openApp(config, { log });
  return { ctx, stop: () => ctx.close() };
}

/** Creates the first admin on a new database; the generated password goes to `show`, never the log. */
export async function startFirstAdmin(
  ctx: AppContext,
  show: (text: string) => void,
): Promise<{ stop(): void }> {
  await bootstrap(ctx, show);
  return { stop: () => undefined };
}
