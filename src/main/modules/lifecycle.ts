import type { AppContext } from '../../app.js';
import type { Config } from '../../config/config.js';
import type { LogManager, NamedLogger } from '../../log/log-manager.js';
import { createNotifier } from '../../notify/index.js';
import type { Notifier } from '../../notify/notifier.js';
import type { Scheduler } from '../../services/jobs.js';
import { startTokenLifecycle, TOKEN_LIFECYCLE_INTERVAL_MS } from '../../services/token-lifecycle.js';

/** How often a node drops change-feed entries that every process has long read. */
const CHANGE_PRUNE_INTERVAL_MS = 10 * 60_000;

/** Tells token owners about expiry, leaks and reuse (config file `notifications:`); closed late. */
export function startNotifications(
  config: Config['notifications'],
  log: NamedLogger,
): { notifier: Notifier; stop(): Promise<void> } {
  const notifier = createNotifier(config, log);
  return { notifier, stop: () => notifier.close() };
}

export interface TokenLifecycleModuleDeps {
  ctx: Pick<AppContext, 'store' | 'tokens' | 'settings' | 'now' | 'feed'>;
  nodeId: string;
  notifier: Notifier;
  logs: Pick<LogManager, 'logger'>;
  jobs: Scheduler;
}

/** Expiry warnings, pruning of expired tokens, revocation of unused ones (docs/lifecycle.md). */
export function startTokenLifecycleModule(deps: TokenLifecycleModuleDeps): { stop(): Promise<void> } {
  const { ctx } = deps;
  return startTokenLifecycle({
    store: ctx.store,
    tokens: ctx.tokens,
    settings: ctx.settings,
    notifier: deps.notifier,
    log: deps.logs.logger('lifecycle'),
    nodeId: deps.nodeId,
    now: ctx.now,
    feed: ctx.feed,
    intervalMs: TOKEN_LIFECYCLE_INTERVAL_MS,
    jobs: deps.jobs,
  });
}

/** Polls the change feed (other processes' changes) on the scheduler; stopped before the database. */
export async function startChangeFeed(
  ctx: Pick<AppContext, 'feed'>,
  pollMs: number,
  jobs: Scheduler,
): Promise<{ stop(): Promise<void> }> {
  await ctx.feed.start(pollMs, jobs);
  // Stops polling and waits for a poll in progress (ctx.close() closes it again, a no-op then).
  return { stop: () => ctx.feed.close() };
}

/** Drops expired sessions and change-feed entries every process has read. */
export function startPruning(
  ctx: Pick<AppContext, 'sessions' | 'feed' | 'now'>,
  log: Pick<NamedLogger, 'warn'>,
  jobs: Scheduler,
): { stop(): Promise<void> } {
  const job = jobs.every('session and change-feed pruning', CHANGE_PRUNE_INTERVAL_MS, async () => {
    await Promise.all([
      ctx.sessions
        .prune()
        .catch((err: unknown) => log.warn('pruning expired sessions failed', undefined, err)),
      ctx.feed
        .prune(ctx.now())
        .catch((err: unknown) => log.warn('pruning the change feed failed', undefined, err)),
    ]);
  });
  return {
    stop: async () => {
      job.cancel();
      await job.idle();
    },
  };
}
