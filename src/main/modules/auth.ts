import type { AppContext } from '../../app.js';
import { authAuditEvent, blockAuditEvent, noAuthEventsOn } from '../../auth/audit-events.js';
import type { AuditQueue } from '../../audit/queue.js';
import type { RedisRuntime } from '../../cluster/redis.js';
import type { Config } from '../../config/config.js';
import type { RateLimitStore } from '../../domain/auth/rate-limit.js';
import { Gateway, type AuthEvent } from '../../auth/gateway.js';
import { blockedMessage } from '../../auth/messages.js';
import { AuthReporter } from '../../auth/report.js';
import type { LogManager, NamedLogger } from '../../log/log-manager.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Notifier } from '../../notify/notifier.js';
import { AuthStatsRecorder } from '../../auth/auth-stats.js';
import { BruteForceGuard, type BlockNotice } from '../../auth/brute-force.js';
import { MemoryFailureCounter } from '../../ports/failure-counter.js';
import type { Scheduler } from '../../services/jobs.js';
import { LastUsedRecorder } from '../../auth/last-used.js';
import { RotationReuse } from '../../auth/rotation-reuse.js';
import { ManagementAuthenticator } from '../../auth/management.js';
import { SessionService } from '../../auth/sessions.js';
import { GatewaySessions } from '../../auth/gateway-sessions.js';
import { buildBrowserSso, type BrowserSso } from '../../identity/browser-sso.js';
import type { Runtime } from '../runtime.js';

/** How often dashboard counts reach the database. */
const STATS_FLUSH_MS = 10_000;

/**
 * The dashboard's outcome of an authentication: it tells failed authentication (401) from denied
 * requests (403), and counts the management API's password checks with the token checks.
 */
function dashboardOutcome(o: AuthEvent['result']['outcome']): string {
  if (o.kind === 'denied') return o.status === 401 ? 'failed' : 'denied';
  if (o.kind === 'password' || o.kind === 'session') return 'authenticated';
  if (o.kind === 'password-failed') return 'failed';
  return o.kind;
}

export interface AuthDeps {
  config: Pick<Config, 'nodeId' | 'lastUsedFlushMs' | 'log' | 'auth' | 'identity'>;
  ctx: Pick<
    AppContext,
    'store' | 'feed' | 'settings' | 'tokens' | 'users' | 'cache' | 'authenticator' | 'sessions' | 'now'
  >;
  logs: Pick<LogManager, 'logger'>;
  metrics: Metrics;
  jobs: Scheduler;
  auditQueue: Pick<AuditQueue, 'offer'>;
  notifier: Notifier;
  redis: RedisRuntime | null;
  rateLimits: RateLimitStore;
  /** Hears every authentication outcome, after the node's own handling. */
  onAuthEvent?: (event: AuthEvent) => void;
}

export interface AuthModules {
  gateway: Gateway;
  bruteForce: BruteForceGuard;
  /** The management API's authentication and the web UI's sessions, with the guard and the reporter. */
  authenticator: ManagementAuthenticator;
  sessions: SessionService;
  /** Browsers signed in through the gateway (config auth.browser); null when off. */
  browser: BrowserSignIn | null;
}

/** Browser sign-in at the gateway: the provider's client and cookie rules, and the sessions. */
export interface BrowserSignIn {
  sso: BrowserSso;
  sessions: GatewaySessions;
}

/**
 * What every authentication event does: count its outcome, hand a rotated secret's reuse to
 * rotation-reuse detection, add it to the dashboard statistics and the audit log, and tell
 * `onAuthEvent`. Built once; the per-outcome counters are looked up once each.
 */
function authEventHandler(
  deps: AuthDeps,
  authStats: AuthStatsRecorder,
  authLog: NamedLogger,
): (event: AuthEvent) => void {
  const outcomeCounters = new Map<string, { inc(): void }>();
  const countOutcome = (kind: string): void => {
    let c = outcomeCounters.get(kind);
    if (!c) {
      c = deps.metrics.authOutcomes.bind({ outcome: kind });
      outcomeCounters.set(kind, c);
    }
    c.inc();
  };
  // Reuse of a rotated secret after its grace period: always audited, the owner told, and with
  // tokens.revokeOnReuse the token revoked (src/auth/rotation-reuse.ts).
  const reuse = new RotationReuse({
    settings: deps.ctx.settings,
    tokens: deps.ctx.tokens,
    users: deps.ctx.users,
    notifier: deps.notifier,
    record: (e) => deps.auditQueue.offer(e),
    log: authLog,
    nodeId: deps.config.nodeId,
    now: deps.ctx.now,
  });
  return function onEvent(event: AuthEvent): void {
    countOutcome(event.result.outcome.kind);
    const o = event.result.outcome;
    if (o.kind === 'denied' && o.reason === 'rotated' && o.token) {
      reuse.detected(o.token, {
        clientIp: event.result.client.clientIp,
        proxyIp: event.result.client.proxyIp,
        username: o.token.user,
        requestId: event.request.requestId,
        method: event.request.method,
        endpoint: event.request.path,
      });
    }
    authStats.record(dashboardOutcome(o), event.at);
    const settings = deps.ctx.settings.current;
    if (!noAuthEventsOn(settings)) {
      const record = authAuditEvent(event, settings, deps.config.nodeId);
      if (record) deps.auditQueue.offer(record);
    }
    deps.onAuthEvent?.(event);
  };
}

/**
 * A brute-force block: logged, always audited, and published to the other nodes. Blocks are
 * counted in Redis when there is one (shared by every node), else in memory.
 */
function blockHandler(deps: AuthDeps, authLog: NamedLogger): (n: BlockNotice) => void {
  const blocks = {
    ip: deps.metrics.bruteForceBlocks.labels('ip'),
    user: deps.metrics.bruteForceBlocks.labels('user'),
  };
  return function onBlock(n: BlockNotice): void {
    blocks[n.subject].inc();
    authLog.warn(blockedMessage(n), {
      username: n.subject === 'user' ? n.value : 'anonymous',
      ...(n.attempt.requestId !== null ? { requestId: n.attempt.requestId } : {}),
      ip: n.attempt.clientIp,
      ...(n.attempt.endpoint !== null ? { url: n.attempt.endpoint } : {}),
    });
    // Always on, whatever audit.events.* say; queued, so the request that crossed the line never waits.
    deps.auditQueue.offer(blockAuditEvent(n, deps.config.nodeId));
    // A user block is keyed by user and address (`key`): other nodes learn exactly that block.
    deps.redis?.blocks.publish(n.subject, n.key, n.until - n.at);
  };
}

/**
 * The authentication step and what it feeds, each a module of `runtime`: the last-used recorder and
 * the dashboard statistics (both flush when they stop), then the gateway with its brute-force guard,
 * reporter and reuse detection (nothing of their own to stop).
 */
export async function startAuth(runtime: Pick<Runtime, 'start'>, deps: AuthDeps): Promise<AuthModules> {
  const { config, ctx, logs, redis } = deps;
  const serverLog = logs.logger('server');
  const { lastUsed } = await runtime.start('last-used times', () => {
    const recorder = new LastUsedRecorder(ctx.store, (err) =>
      serverLog.warn('writing last-used times failed; will retry', undefined, err),
    );
    recorder.start(config.lastUsedFlushMs, deps.jobs);
    return { lastUsed: recorder, stop: () => recorder.stop() };
  });
  const { authStats } = await runtime.start('dashboard statistics', () => {
    const recorder = new AuthStatsRecorder(
      ctx.store.stats,
      config.nodeId,
      (err) => serverLog.warn('writing dashboard statistics failed; will retry', undefined, err),
      ctx.now,
    );
    recorder.start(STATS_FLUSH_MS, deps.jobs);
    return { authStats: recorder, stop: () => recorder.stop() };
  });
  return runtime.start('gateway', async () => {
    const authLog = logs.logger('auth');
    const clusterLog = logs.logger('cluster');
    const onEvent = authEventHandler(deps, authStats, authLog);
    const onBlock = blockHandler(deps, authLog);
    const bruteForce = new BruteForceGuard({
      counter: redis?.failures ?? new MemoryFailureCounter(),
      settings: ctx.settings,
      onBlock,
      onError: (err) => authLog.warn('counting a failed authentication failed', undefined, err),
    });
    await redis?.blocks
      .listen((subject, value, ms) => bruteForce.learn(subject, value, ms, ctx.now()))
      .catch((err: unknown) => clusterLog.warn('subscribing to Redis blocks failed', undefined, err));
    // One reporter writes the lines and the audit records of every authentication: the gateway's,
    // forward-auth's, the middleware's and those of the management and compatibility APIs.
    const reporter = new AuthReporter({
      log: { auth: authLog, filter: logs.logger('auth.filter'), ratelimit: logs.logger('ratelimit') },
      settings: ctx.settings,
      style: config.log.style,
      onEvent,
    });
    // The database's authenticator and sessions (app.ts) serve one-shot commands, which block no one;
    // a serving node's are built here, where the guard and the reporter exist, and handed to the
    // management API and the pruning job by start-up (node.ts); the context keeps its own.
    const authenticator = new ManagementAuthenticator(ctx.cache, ctx.settings, ctx.users, ctx.feed, ctx.now, {
      bruteForce,
      reporter,
    });
    const sessions = new SessionService(
      { store: ctx.store, feed: ctx.feed, nodeId: config.nodeId, now: ctx.now },
      ctx.users,
      ctx.cache,
      ctx.feed,
      bruteForce,
    );
    const sso = await buildBrowserSso(config.auth, config.identity, ctx.store, ctx.now());
    const browser =
      sso === null ? null : { sso, sessions: new GatewaySessions(ctx, ctx.cache, ctx.feed, sso.ttlMs) };
    const gateway = new Gateway({
      cache: ctx.cache,
      settings: ctx.settings,
      rateLimits: deps.rateLimits,
      lastUsed,
      reporter,
      now: ctx.now,
      bruteForce,
      browserSessions: browser?.sessions ?? null,
      observer: deps.metrics.auth,
    });
    return { gateway, bruteForce, authenticator, sessions, browser, stop: () => undefined };
  });
}
