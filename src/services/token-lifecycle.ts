import type { Logger } from '../log/logger.js';
import type { Notifier } from '../notify/notifier.js';
import type { Store } from '../store/store.js';
import type { ChangeFeed } from './change-feed.js';
import { Jobs, type Job, type Scheduler } from './jobs.js';
import { makeAudit, systemContext } from './context.js';
import type { RequestContext } from '../domain/audit/audit.js';
import type { SettingsService } from './settings-service.js';
import type { TokenService } from './token-service.js';

const DAY_MS = 86_400_000;

/** How often each node runs the job by default. */
export const TOKEN_LIFECYCLE_INTERVAL_MS = 10 * 60_000;
/** Tokens handled per kind of work per run; a larger backlog is worked off over the next runs. */
export const LIFECYCLE_BATCH = 200;
/** The first run comes within this long of the start, at a random point so nodes spread out. */
const FIRST_RUN_SPREAD_MS = 60_000;

/** Who the job's audit records name as their author. */
export const LIFECYCLE_AUTHOR = '@lifecycle';

export interface TokenLifecycleDeps {
  store: Store;
  tokens: Pick<TokenService, 'revokeAutomatically'>;
  settings: Pick<SettingsService, 'current'>;
  /** Where expiry warnings go: createNotifier(config.notifications, logs.logger('notify')). */
  notifier: Notifier;
  /** A logger named e.g. `tokens.lifecycle`. */
  log: Logger;
  nodeId: string;
  now: () => number;
  feed: Pick<ChangeFeed, 'publish'>;
  /** Pause between runs; 0 starts no timer (runOnce only). */
  intervalMs: number;
  /** Per kind of work per run. Default {@link LIFECYCLE_BATCH}. */
  batchSize?: number;
  /** Delay of the first run. Default: random, below min(intervalMs, 60 s). */
  firstRunDelayMs?: number;
  /**
   * Where the timer runs: the node's scheduler (when it stops, a pass under way ends after its
   * current token, as with stop()); by default one of its own.
   */
  jobs?: Scheduler;
}

export interface LifecycleRun {
  /** Expiry warnings claimed (and handed to the notifier) by this run. */
  warned: number;
  /** Expired tokens this run deleted. */
  pruned: number;
  /** Unused tokens this run revoked. */
  revokedUnused: number;
}

export interface TokenLifecycle {
  /** One pass over all three kinds of work. Never rejects; concurrent calls share one pass. */
  runOnce(): Promise<LifecycleRun>;
  /** Stops the timer and waits for a pass under way (it stops after its current token). */
  stop(): Promise<void>;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

/** What the three kinds of work share across the passes of one job. */
interface Work {
  deps: TokenLifecycleDeps;
  batch: number;
  ctx: RequestContext;
  /** True once stop() was called or the scheduler stopped: a pass ends after its current token. */
  halted(): boolean;
  /** Whether the log already says that no notification channel is configured (said once). */
  toldNoChannel: boolean;
}

/** Claims and sends the expiry warnings now due; each token gets one, from whichever node claims it. */
async function warn(w: Work, now: number): Promise<number> {
  const days = w.deps.settings.current['tokens.expiryWarningDays'];
  if (days === 0) return 0;
  const configured = w.deps.notifier.channels;
  if (configured?.length === 0) {
    // Claiming would record warnings nobody got, and use up each token's one warning.
    if (!w.toldNoChannel)
      w.deps.log.info('expiry warnings are not sent: no e-mail or webhook is configured (notifications:)');
    w.toldNoChannel = true;
    return 0;
  }
  const audit = makeAudit(w.deps, w.ctx, now);
  const due = await w.deps.store.lifecycle.dueForWarning(now, now + days * DAY_MS, w.batch);
  let warned = 0;
  for (const t of due) {
    if (w.halted()) break;
    const channels = configured?.filter((c) => c !== 'email' || (t.owner.email ?? '') !== '');
    const claimed = await w.deps.store.transaction(async (tx) => {
      if (!(await tx.lifecycle.claimWarning(t.id, now))) return false;
      await tx.audit.append([
        audit({
          category: 'tokens',
          action: 'token.expiry-warned',
          summary: `Token "${t.description}" of ${t.user}: owner warned that it expires on ${iso(t.expiresAt)}`,
          affectedUser: t.user,
          tokenId: t.id,
          tokenDescription: t.description,
          details: {
            expiresAt: iso(t.expiresAt),
            warningDays: days,
            ...(channels ? { channels } : {}),
          },
        }),
      ]);
      return true;
    });
    // Another node claimed it first, or it was revoked or deleted meanwhile: that is not ours to send.
    if (!claimed) continue;
    warned++;
    await w.deps.notifier.notify({
      kind: 'token.expiring',
      at: now,
      owner: t.owner,
      token: { id: t.id, description: t.description, scope: t.scope, expiresAt: t.expiresAt },
    });
  }
  return warned;
}

/** Deletes tokens that expired more than `tokens.pruneExpiredAfterDays` ago. */
async function prune(w: Work, now: number): Promise<number> {
  const afterDays = w.deps.settings.current['tokens.pruneExpiredAfterDays'];
  if (afterDays === null) return 0;
  const cutoff = now - afterDays * DAY_MS;
  const audit = makeAudit(w.deps, w.ctx, now);
  const expired = await w.deps.store.lifecycle.expiredBefore(cutoff, w.batch);
  let pruned = 0;
  for (const t of expired) {
    if (w.halted()) break;
    const expiredAt = iso(t.expiresAt ?? cutoff);
    const deleted = await w.deps.store.transaction(async (tx) => {
      if (!(await tx.lifecycle.deleteExpired(t.id, cutoff))) return false;
      await tx.audit.append([
        audit({
          category: 'tokens',
          action: 'token.pruned',
          summary: `Token "${t.description}" of ${t.user} deleted: it expired on ${expiredAt}, more than ${plural(afterDays, 'day')} ago`,
          affectedUser: t.user,
          tokenId: t.id,
          tokenDescription: t.description,
          details: { expiredAt, afterDays },
        }),
      ]);
      await tx.changes.record('token', [t.id], now);
      return true;
    });
    if (!deleted) continue;
    pruned++;
    w.deps.feed.publish('token', [t.id]);
  }
  return pruned;
}

/** Revokes tokens unused for `tokens.revokeUnusedAfterDays`. */
async function revokeUnused(w: Work, now: number): Promise<number> {
  const days = w.deps.settings.current['tokens.revokeUnusedAfterDays'];
  if (days === null) return 0;
  const cutoff = now - days * DAY_MS;
  const unused = await w.deps.store.lifecycle.unusedSince(cutoff, now, w.batch);
  let revoked = 0;
  for (const t of unused) {
    if (w.halted()) break;
    const lastUsedAt = t.lastUsedAt === null ? null : iso(t.lastUsedAt);
    const summary =
      lastUsedAt === null
        ? `Token "${t.description}" of ${t.user} revoked: never used in the ${plural(days, 'day')} since it was created`
        : `Token "${t.description}" of ${t.user} revoked: not used for ${plural(days, 'day')} (last used ${lastUsedAt})`;
    // Conditional on "not revoked yet": a node that comes second writes no record.
    const r = await w.deps.tokens.revokeAutomatically(t.id, w.ctx, 'unused', summary, {
      unusedDays: days,
      lastUsedAt,
      createdAt: iso(t.createdAt),
    });
    if (r) revoked++;
  }
  return revoked;
}

/**
 * The token life-cycle job (docs/lifecycle.md): expiry warnings, pruning of long-expired tokens,
 * and revocation of unused ones, as the settings `tokens.expiryWarningDays`,
 * `tokens.pruneExpiredAfterDays` and `tokens.revokeUnusedAfterDays` say.
 *
 * Every node runs it, on one shared database. Each change is a conditional statement in its own
 * transaction with its audit record, so whichever node changes a row first writes the one audit
 * record (and sends the one warning); the others change nothing and record nothing.
 *
 * Pruning goes by expiry alone: a token is deleted `pruneExpiredAfterDays` after it expired,
 * whether or not it was also revoked. A revoked token without an expiry, or not yet expired, is
 * kept, as GitLab keeps revoked tokens: it shows who revoked what and when.
 */
export function startTokenLifecycle(deps: TokenLifecycleDeps): TokenLifecycle {
  let running: Promise<LifecycleRun> | null = null;
  let stopped = false;
  /** The timer's job; a pass also ends early when its scheduler stops. */
  let job: Job | undefined;
  const w: Work = {
    deps,
    batch: deps.batchSize ?? LIFECYCLE_BATCH,
    ctx: systemContext(LIFECYCLE_AUTHOR),
    halted: () => stopped || job?.stopped === true,
    toldNoChannel: false,
  };

  /** Runs one kind of work; a failure is logged and leaves the others to run. */
  async function guarded(name: string, work: () => Promise<number>): Promise<number> {
    try {
      return await work();
    } catch (err) {
      deps.log.error(`token lifecycle: ${name} failed; it is tried again at the next run`, err);
      return 0;
    }
  }

  async function pass(): Promise<LifecycleRun> {
    const now = deps.now();
    const warned = await guarded('expiry warnings', () => warn(w, now));
    const revokedUnused = await guarded('revoking unused tokens', () => revokeUnused(w, now));
    const pruned = await guarded('pruning expired tokens', () => prune(w, now));
    if (warned + pruned + revokedUnused > 0) {
      deps.log.info(
        `token lifecycle: ${plural(warned, 'expiry warning')} sent, ${plural(pruned, 'expired token')} deleted, ${plural(revokedUnused, 'unused token')} revoked`,
      );
    }
    return { warned, pruned, revokedUnused };
  }

  const runOnce = (): Promise<LifecycleRun> => {
    running ??= pass().finally(() => {
      running = null;
    });
    return running;
  };

  if (deps.intervalMs > 0) {
    const delay = deps.firstRunDelayMs ?? Math.random() * Math.min(deps.intervalMs, FIRST_RUN_SPREAD_MS);
    const jobs = deps.jobs ?? new Jobs({ onError: (name, err) => deps.log.error(`${name} failed`, err) });
    job = jobs.every(
      'token lifecycle',
      deps.intervalMs,
      async () => {
        await runOnce();
      },
      { firstRunMs: delay },
    );
  }

  return {
    runOnce,
    stop: async () => {
      stopped = true;
      job?.cancel();
      await running;
    },
  };
}
