import { join } from 'node:path';
import { bootstrap, openApp, type AppContext } from './app.js';
import type { Config } from './config/config.js';
import { MemoryRateLimitStore } from './domain/rate-limit.js';
import { Gateway, type AuthEvent } from './gateway/gateway.js';
import { AuthReporter } from './gateway/report.js';
import { forwardAuthHandler } from './http/forward-auth.js';
import { Proxy } from './http/proxy.js';
import { requestIds } from './http/request-id.js';
import { startServer, type RunningServer } from './http/server.js';
import { startWhoami } from './http/whoami.js';
import { compileLayout, DEFAULT_PATTERN, jsonLayout } from './log/layout.js';
import type { LogLevel } from './log/levels.js';
import { LogManager } from './log/log-manager.js';
import { RotatingFileSink } from './log/rotating-file.js';
import { streamSink, type LogSink } from './log/sinks.js';
import { LastUsedRecorder } from './services/last-used.js';
import { authAuditEvent, blockAuditEvent, noAuthEventsOn } from './audit/auth-events.js';
import { blockedMessage, SEED_LOGGER_CATEGORIES } from './gateway/messages.js';
import { BruteForceGuard, MemoryFailureCounter, type BlockNotice } from './services/brute-force.js';
import { AuditQueue } from './audit/queue.js';
import { changeContext, changeMessage } from './audit/change-lines.js';
import { AuditRetention } from './audit/retention.js';
import { heldByFloorGauge } from './audit/retention-metrics.js';
import { AnchorWriter, ANCHOR_LOGGER } from './audit/anchors.js';
import { openAuditWriter } from './audit/writer.js';
import { createNotifier } from './notify/index.js';
import type { Notifier } from './notify/notifier.js';
import { startTokenLifecycle, TOKEN_LIFECYCLE_INTERVAL_MS } from './services/token-lifecycle.js';
import { RotationReuse } from './services/rotation-reuse.js';
import type { Settings } from './domain/settings.js';
import { createAuditShipper } from './audit/shipper.js';
import { Metrics } from './metrics/registry.js';
import { connectRedis } from './cluster/redis.js';
import { HEARTBEAT_MS } from './cluster/heartbeat.js';
import { VERSION } from './version.js';
import { AuthStatsRecorder } from './services/auth-stats.js';
import { Jobs } from './services/jobs.js';

/** How often a node drops change-feed entries that every process has long read. */
const CHANGE_PRUNE_INTERVAL_MS = 10 * 60_000;

/** Defined in cluster/heartbeat.ts, so that `cluster status` reads it without loading the server. */
export { HEARTBEAT_MS };

/** How often dashboard counts reach the database. */
const STATS_FLUSH_MS = 10_000;

/** How often the audit retention purge runs. */
const AUDIT_RETENTION_INTERVAL_MS = 10 * 60_000;

/** How often the memory rate limiter forgets keys that are back to a full burst. */
const RATE_SWEEP_MS = 60_000;

export interface RunningNode {
  runtime: GatewayRuntime;
  ctx: AppContext;
  server: RunningServer;
  gateway: Gateway;
  logs: LogManager;
  /** The upstream requests go to: the configured one, or the demo "whoami". */
  upstream: string;
  demoUpstream: boolean;
  close(): Promise<void>;
}

export interface StartNodeOptions {
  /** Where the first-start admin password is shown (the terminal); never the log. */
  show: (text: string) => void;
  /** Extra log sinks, e.g. a memory sink in tests. */
  sinks?: LogSink[];
  /** Hears every authentication outcome (the audit log subscribes here). */
  onAuthEvent?: (event: AuthEvent) => void;
  thread?: string;
  /** Collect the process metrics (CPU, memory, event loop); off for several runtimes in one test process. */
  defaultMetrics?: boolean;
}

/** Settings name the root logger `root`; the log manager calls it ''. */
export function toManagerLevels(levels: Record<string, LogLevel>): Record<string, LogLevel> {
  const out: Record<string, LogLevel> = {};
  for (const [name, level] of Object.entries(levels)) out[name === 'root' ? '' : name] = level;
  return out;
}

/**
 * The dashboard's outcome of an authentication: it tells failed authentication (401) from denied
 * requests (403), and counts the management API's password checks with the token checks.
 */
function dashboardOutcome(o: AuthEvent['result']['outcome']): string {
  if (o.kind === 'denied') return o.status === 401 ? 'failed' : 'denied';
  if (o.kind === 'password') return 'authenticated';
  if (o.kind === 'password-failed') return 'failed';
  return o.kind;
}

/** The authentication runtime without any server: what the node and the embeddable middleware share. */
export interface GatewayRuntime {
  ctx: AppContext;
  logs: LogManager;
  gateway: Gateway;
  metrics: Metrics;
  auditQueue: AuditQueue;
  retention: AuditRetention;
  bruteForce: BruteForceGuard;
  /** Tells token owners about expiry, leaks and reuse (config file `notifications:`). */
  notifier: Notifier;
  close(): Promise<void>;
}

/**
 * Opens the log, the database and the services, keeps log levels in step with the settings, and
 * builds the gateway with its rate limiter and last-used recorder.
 */
export async function startRuntime(config: Config, opts: StartNodeOptions): Promise<GatewayRuntime> {
  const sinks: LogSink[] = [
    ...(config.log.console ? [streamSink(process.stderr)] : []),
    ...(opts.sinks ?? []),
  ];
  if (config.log.file) {
    const file = new RotatingFileSink(join(config.log.dir, 'tokengate.log'), {
      maxBytes: config.log.maxSizeMb * 1024 * 1024,
      maxFiles: config.log.maxFiles,
    });
    await file.open();
    sinks.unshift(file);
  }
  const logs = new LogManager({
    sinks,
    layout: config.log.format === 'json' ? jsonLayout : compileLayout(config.log.pattern ?? DEFAULT_PATTERN),
    // `%t` carries the worker and the node (`main@gate-1:8080`): each node writes its own file, and
    // its id is in every line without adding a field that log-analyzer rules would not expect.
    thread: `${opts.thread ?? 'main'}@${config.nodeId.replace(/\s/g, '_')}`,
    node: config.nodeId,
  });
  let ctx: AppContext;
  try {
    ctx = await openApp(config, { log: logs.logger('store') });
  } catch (err) {
    await logs.close();
    throw err;
  }
  const applyLogSettings = (s: Settings): void => {
    logs.setLevels(toManagerLevels(s['log.levels']));
    logs.setCategories((config.log.style ?? s['log.style']) === 'seed' ? SEED_LOGGER_CATEGORIES : {});
  };
  applyLogSettings(ctx.settings.current);
  ctx.settings.onChange((snap) => applyLogSettings(snap.settings));
  // Every change also gets an INFO line, under the logger of its category (tokens, users, settings,
  // logging); the records of authentications are the reporter's.
  ctx.store.onCommitted((events) => {
    for (const e of events) {
      if (e.category === 'authentication') continue;
      const log = logs.logger(e.category);
      if (log.isEnabled('INFO')) log.info(changeMessage(e), changeContext(e));
    }
  });
  try {
    await bootstrap(ctx, opts.show);
  } catch (err) {
    await ctx.close();
    await logs.close();
    throw err;
  }

  const serverLog = logs.logger('server');
  // The node's periodic work, on one scheduler (services/jobs.ts): close() stops it in one call.
  // The jobs catch and log their own failures; this catches what escapes them.
  const jobs = new Jobs({
    onError: (name, err) => serverLog.warn(`the periodic job "${name}" failed`, undefined, err),
  });
  const lastUsed = new LastUsedRecorder(ctx.store, (err) =>
    serverLog.warn('writing last-used times failed; will retry', undefined, err),
  );
  lastUsed.start(config.lastUsedFlushMs, jobs);
  const metrics = new Metrics(config.nodeId, opts.defaultMetrics ?? true);
  // Without Redis there is nothing to be up or down: do not report a 0 that would trip alerts.
  if (!config.redis) metrics.registry.removeSingleMetric('tokengate_redis_up');
  const clusterLog = logs.logger('cluster');
  const redis = config.redis
    ? await connectRedis(config.redis, config.nodeId, ctx, metrics, clusterLog)
    : null;
  const rateLimits = redis?.rateLimits ?? new MemoryRateLimitStore();
  jobs.every('rate-limit sweep', RATE_SWEEP_MS, () => void rateLimits.sweep(ctx.now()));

  const auditLog = logs.logger('audit');
  // On a SQLite file, audit writes and purges run on a thread of their own (writer.ts).
  const auditWriter = await openAuditWriter(ctx.database, ctx.store, (err) =>
    auditLog.error('the audit writer thread stopped; the next write starts a new one', err),
  );
  const auditQueue = new AuditQueue(
    auditWriter,
    { capacity: config.audit.queueSize, flushIntervalMs: config.audit.flushIntervalMs },
    auditLog,
    metrics,
    ctx.now,
  );
  auditQueue.start(jobs);
  const retention = new AuditRetention(auditWriter, ctx.settings, auditLog, ctx.now, {
    floorDays: config.audit.retentionFloorDays,
    nodeId: config.nodeId,
    onHeld: heldByFloorGauge(metrics.registry),
    // The floor-held warning and the anchor lines ignore log.levels: an admin cannot silence them.
    floorLog: logs.unfiltered('audit'),
  });
  retention.start(AUDIT_RETENTION_INTERVAL_MS, jobs);
  // The chain head, outside the database, at intervals and at shutdown (anchors.ts).
  const anchors = new AnchorWriter({
    file: config.audit.anchorFile,
    intervalMs: config.audit.anchorIntervalSeconds * 1000,
    nodeId: config.nodeId,
    head: () => ctx.store.audit.anchorHead(),
    log: logs.unfiltered(ANCHOR_LOGGER),
    now: ctx.now,
  });
  anchors.start(jobs);
  // A lowered retention takes effect within a change-poll interval, not at the next scheduled run.
  const retentionLimits = (s: Settings): string => `${s['audit.retentionDays']}/${s['audit.maxRows']}`;
  let limits = retentionLimits(ctx.settings.current);
  const stopRetentionWatch = ctx.settings.onChange((snap) => {
    const next = retentionLimits(snap.settings);
    if (next === limits) return;
    limits = next;
    void retention.run();
  });
  // The SIEM outputs (audit file, syslog) ship this node's committed records, from the database.
  const shipper = createAuditShipper(config, ctx.database.db, {
    onError: (message, err) => auditLog.warn(message, undefined, err),
  });
  shipper?.start();
  const outcomeCounters = new Map<string, { inc(): void }>();
  const countOutcome = (kind: string): void => {
    let c = outcomeCounters.get(kind);
    if (!c) {
      c = metrics.authOutcomes.labels(kind);
      outcomeCounters.set(kind, c);
    }
    c.inc();
  };
  const authStats = new AuthStatsRecorder(
    ctx.store.stats,
    config.nodeId,
    (err) => serverLog.warn('writing dashboard statistics failed; will retry', undefined, err),
    ctx.now,
  );
  authStats.start(STATS_FLUSH_MS, jobs);
  // Reuse of a rotated secret after its grace period: always audited, the owner told, and with
  // tokens.revokeOnReuse the token revoked (src/services/rotation-reuse.ts).
  const notifier: Notifier = createNotifier(config.notifications, logs.logger('notify'));
  const reuse = new RotationReuse({
    settings: ctx.settings,
    tokens: ctx.tokens,
    users: ctx.users,
    notifier,
    record: (e) => auditQueue.offer(e),
    log: logs.logger('auth'),
    nodeId: config.nodeId,
    now: ctx.now,
  });
  // Expiry warnings, pruning of expired tokens, revocation of unused ones (docs/lifecycle.md).
  const lifecycle = startTokenLifecycle({
    store: ctx.store,
    tokens: ctx.tokens,
    settings: ctx.settings,
    notifier,
    log: logs.logger('lifecycle'),
    nodeId: config.nodeId,
    now: ctx.now,
    feed: ctx.feed,
    intervalMs: TOKEN_LIFECYCLE_INTERVAL_MS,
    jobs,
  });
  const onEvent = (event: AuthEvent): void => {
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
    const settings = ctx.settings.current;
    if (!noAuthEventsOn(settings)) {
      const record = authAuditEvent(event, settings, config.nodeId);
      if (record) auditQueue.offer(record);
    }
    opts.onAuthEvent?.(event);
  };
  // Brute-force blocks: counted in Redis when there is one (shared by every node), else in memory.
  const authLog = logs.logger('auth');
  const onBlock = (n: BlockNotice): void => {
    authLog.warn(blockedMessage(n), {
      username: n.subject === 'user' ? n.value : 'anonymous',
      ...(n.attempt.requestId !== null ? { requestId: n.attempt.requestId } : {}),
      ip: n.attempt.clientIp,
      ...(n.attempt.endpoint !== null ? { url: n.attempt.endpoint } : {}),
    });
    // Always on, whatever audit.events.* say; queued, so the request that crossed the line never waits.
    auditQueue.offer(blockAuditEvent(n, config.nodeId));
    // A user block is keyed by user and address (`key`): other nodes learn exactly that block.
    redis?.blocks.publish(n.subject, n.key, n.until - n.at);
  };
  const bruteForce = new BruteForceGuard({
    counter: redis?.failures ?? new MemoryFailureCounter(),
    settings: ctx.settings,
    onBlock,
    onError: (err) => authLog.warn('counting a failed authentication failed', undefined, err),
  });
  await redis?.blocks
    .listen((subject, value, ms) => bruteForce.learn(subject, value, ms, ctx.now()))
    .catch((err: unknown) => clusterLog.warn('subscribing to Redis blocks failed', undefined, err));
  ctx.authenticator.useBruteForce(bruteForce);
  ctx.sessions.useBruteForce(bruteForce);
  // One reporter writes the lines and the audit records of every authentication: the gateway's,
  // forward-auth's, the middleware's and those of the management and compatibility APIs.
  const reporter = new AuthReporter({
    log: { auth: authLog, filter: logs.logger('auth.filter'), ratelimit: logs.logger('ratelimit') },
    settings: ctx.settings,
    style: config.log.style,
    onEvent,
  });
  ctx.authenticator.useReporter(reporter);
  const gateway = new Gateway({
    cache: ctx.cache,
    settings: ctx.settings,
    rateLimits,
    lastUsed,
    reporter,
    now: ctx.now,
    bruteForce,
  });
  await ctx.feed.start(config.changePollMs, jobs);
  const startedAt = ctx.now();
  const beat = (): Promise<void> =>
    ctx.store.nodes.heartbeat({
      id: config.nodeId,
      version: VERSION,
      startedAt,
      lastHeartbeat: ctx.now(),
      pid: process.pid,
      redis: redis?.rateLimits.isHealthy ?? false,
    });
  await beat().catch((err: unknown) => clusterLog.warn('node heartbeat failed', undefined, err));
  jobs.every('node heartbeat', HEARTBEAT_MS, () =>
    beat().catch((err: unknown) => clusterLog.warn('node heartbeat failed', undefined, err)),
  );
  jobs.every('session and change-feed pruning', CHANGE_PRUNE_INTERVAL_MS, async () => {
    await Promise.all([
      ctx.sessions
        .prune()
        .catch((err: unknown) => serverLog.warn('pruning expired sessions failed', undefined, err)),
      ctx.feed
        .prune(ctx.now())
        .catch((err: unknown) => serverLog.warn('pruning the change feed failed', undefined, err)),
    ]);
  });
  return {
    ctx,
    logs,
    gateway,
    metrics,
    auditQueue,
    retention,
    bruteForce,
    notifier,
    close: async () => {
      stopRetentionWatch();
      // Every timer cleared, runs in flight awaited (a purge or life-cycle pass ends after its
      // current batch or token); the final flushes below stay in their order.
      await jobs.stop();
      await retention.stop();
      await lifecycle.stop();
      await auditQueue.stop();
      await auditWriter.close();
      await anchors.stop();
      await shipper?.stop();
      await authStats.stop();
      await ctx.store.nodes.remove(config.nodeId).catch(() => undefined);
      await redis?.close();
      await lastUsed.stop();
      await notifier.close();
      await ctx.close();
      await logs.close();
    },
  };
}

/**
 * Starts one serving node: the runtime, the reverse proxy and forward-auth on the gateway's port, and
 * the web UI and management API on the admin listener. With no upstream configured it also starts
 * the demo "whoami" upstream on loopback.
 */
export async function startNode(config: Config, opts: StartNodeOptions): Promise<RunningNode> {
  const rt = await startRuntime(config, opts);
  const { ctx, logs, gateway } = rt;
  const whoami = config.upstream === null ? await startWhoami() : null;
  const upstream = config.upstream ?? whoami?.url ?? '';
  const ids = requestIds();
  const proxyLog = logs.logger('proxy');
  const proxy = new Proxy(
    gateway,
    {
      upstream: new URL(upstream),
      identityHeaders: config.identityHeaders,
      stripHeaders: config.stripHeaders,
      connections: config.proxy.connections,
      connectTimeoutMs: config.proxy.connectTimeoutMs,
      headersTimeoutMs: config.proxy.headersTimeoutMs,
      bodyTimeoutMs: config.proxy.bodyTimeoutMs,
      bufferBodyBytes: config.proxy.bufferBodyBytes,
      bufferTotalBytes: config.proxy.bufferTotalBytes,
      clientBodyTimeoutMs: config.proxy.clientBodyTimeoutMs,
      streamingPercent: config.proxy.streamingPercent,
      streamsPerClient: config.proxy.streamsPerClient,
      streamWaitMs: config.proxy.streamWaitMs,
      clientSendTimeoutMs: config.proxy.clientSendTimeoutMs,
    },
    proxyLog,
    ids,
  );
  let server: RunningServer;
  try {
    server = await startServer(
      ctx,
      {
        gateway: proxy.handle,
        forwardAuth: forwardAuthHandler(gateway, config.identityHeaders, proxyLog, ids),
      },
      { log: logs.logger('api'), metrics: rt.metrics, notifier: rt.notifier },
    );
  } catch (err) {
    await Promise.allSettled([proxy.close(), whoami?.close()]);
    await rt.close();
    throw err;
  }
  return {
    runtime: rt,
    ctx,
    server,
    gateway,
    logs,
    upstream,
    demoUpstream: whoami !== null,
    close: async () => {
      await server.close();
      await proxy.close();
      await whoami?.close();
      await rt.close();
    },
  };
}
