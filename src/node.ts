import { ssoHeaderNames } from './config/identity.js';
import type { AppContext } from './app.js';
import type { AuditQueue } from './audit/queue.js';
import type { AuditRetention } from './audit/retention.js';
import { HEARTBEAT_MS } from './cluster/heartbeat.js';
import type { Config } from './config/config.js';
import type { AuthEvent, Gateway } from './auth/gateway.js';
import { forwardAuthHandler } from './http/edge/forward-auth.js';
import { Proxy } from './http/edge/proxy.js';
import { requestIds } from './http/request-id.js';
import { startServer, type RunningServer } from './http/server.js';
import { startWhoami } from './http/edge/whoami.js';
import type { LogManager, NamedLogger } from './log/log-manager.js';
import type { LogSink } from './log/sinks.js';
import { startAudit } from './main/modules/audit.js';
import { startAuth, type BrowserSignIn } from './main/modules/auth.js';
import { browserSsoHandler } from './http/edge/browser-sso.js';
import { startHeartbeat, startRedis } from './main/modules/cluster.js';
import { startDatabase, startFirstAdmin } from './main/modules/database.js';
import { startDirectory } from './main/modules/directory.js';
import {
  startChangeFeed,
  startNotifications,
  startPruning,
  startTokenLifecycleModule,
} from './main/modules/lifecycle.js';
import { followLogSettings, startLogging, toManagerLevels } from './main/modules/logging.js';
import { startMetrics, startReadiness } from './main/modules/metrics.js';
import { startObservability } from './main/modules/observability.js';
import type { RequestObserver } from './tracing/observation.js';
import { startScheduler } from './main/modules/scheduler.js';
import { Runtime } from './main/runtime.js';
import type { Metrics } from './metrics/registry.js';
import type { Notifier } from './notify/notifier.js';
import type { BruteForceGuard } from './auth/brute-force.js';
import type { DirectorySync } from './services/directory-sync.js';

/** Defined in cluster/heartbeat.ts, so that `cluster status` reads it without loading the server. */
export { HEARTBEAT_MS };

/** Settings name the root logger `root`; the log manager calls it '' (main/modules/logging.ts). */
export { toManagerLevels };

export interface RunningNode {
  runtime: GatewayRuntime;
  ctx: AppContext;
  server: RunningServer;
  gateway: Gateway;
  logs: LogManager;
  /** The metrics listener (config metrics.enabled): /metrics, /livez, /readyz; null when off. */
  metricsUrl: string | null;
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

/** The authentication runtime without any server: what the node and the embeddable middleware share. */
export interface GatewayRuntime {
  ctx: AppContext;
  logs: LogManager;
  gateway: Gateway;
  metrics: Metrics;
  auditQueue: AuditQueue;
  retention: AuditRetention;
  bruteForce: BruteForceGuard;
  /** The management API's authentication and the UI sessions, with the guard and the reporter. */
  auth: Pick<AppContext, 'authenticator' | 'sessions'>;
  /** Tells token owners about expiry, leaks and reuse (config file `notifications:`). */
  notifier: Notifier;
  /** The directory sync and OIDC inactivity round (identity.ldap, identity.oidc); null without either. */
  directorySync: DirectorySync | null;
  /** Browsers signed in through the gateway (config auth.browser); null when off. */
  browser: BrowserSignIn | null;
  close(): Promise<void>;
}

/** Logging first, then the database, the log settings it holds, and the first admin. */
async function startFoundation(runtime: Runtime, config: Config, opts: StartNodeOptions) {
  const { logs } = await runtime.start('logging', () =>
    startLogging(config, {
      ...(opts.sinks ? { sinks: opts.sinks } : {}),
      ...(opts.thread ? { thread: opts.thread } : {}),
    }),
  );
  const { ctx } = await runtime.start('database', () => startDatabase(config, logs.logger('store')));
  await runtime.start('log settings', () =>
    followLogSettings({ logs, style: config.log.style, settings: ctx.settings, store: ctx.store }),
  );
  await runtime.start('first admin', () => startFirstAdmin(ctx, opts.show));
  return { logs, ctx };
}

/**
 * Opens the log, the database and the services, keeps log levels in step with the settings, and
 * builds the gateway with its rate limiter and last-used recorder: modules of one Runtime
 * (main/runtime.ts), started in this order and stopped in the reverse one. A start that fails
 * stops the modules already started. So, at close: the node's periodic work and last flushes first,
 * the audit queue's final flush before its writer closes, then the anchor written at shutdown, the
 * node's row removed, Redis, the notifier, the database, and the log last.
 */
export async function startRuntime(config: Config, opts: StartNodeOptions): Promise<GatewayRuntime> {
  const runtime = new Runtime();
  const { logs, ctx } = await startFoundation(runtime, config, opts);
  const serverLog = logs.logger('server');
  const clusterLog = logs.logger('cluster');
  const { jobs } = await runtime.start('scheduler', () => startScheduler(serverLog));
  const { metrics } = await runtime.start('metrics', () =>
    startMetrics({
      nodeId: config.nodeId,
      defaultMetrics: opts.defaultMetrics ?? true,
      redis: !!config.redis,
    }),
  );
  metrics.watchCache(ctx.cache);
  const { notifier } = await runtime.start('notifications', () =>
    startNotifications(config.notifications, logs.logger('notify')),
  );
  const { redis, rateLimits } = await runtime.start('redis', () =>
    startRedis({
      url: config.redis,
      nodeId: config.nodeId,
      ctx,
      metrics,
      log: clusterLog,
      jobs,
      now: ctx.now,
    }),
  );
  await runtime.start('heartbeat', () =>
    startHeartbeat({
      nodeId: config.nodeId,
      nodes: ctx.store.nodes,
      redisHealthy: () => redis?.rateLimits.isHealthy ?? false,
      log: clusterLog,
      jobs,
      now: ctx.now,
    }),
  );
  const audit = await startAudit(runtime, { config, ctx, logs, metrics, jobs });
  // Before the servers: with identity.ldap, the first password check already goes to the directory.
  const directory = await runtime.start('directory', () =>
    startDirectory({ identity: config.identity, ctx, jobs, log: logs.logger('directory') }),
  );
  await runtime.start('token lifecycle', () =>
    startTokenLifecycleModule({ ctx, nodeId: config.nodeId, notifier, logs, jobs }),
  );
  const { gateway, bruteForce, authenticator, sessions, browser } = await startAuth(runtime, {
    config,
    ctx,
    logs,
    metrics,
    jobs,
    auditQueue: audit.queue,
    notifier,
    redis,
    rateLimits,
    ...(opts.onAuthEvent ? { onAuthEvent: opts.onAuthEvent } : {}),
  });
  await runtime.start('change feed', () => startChangeFeed(ctx, config.changePollMs, jobs));
  await runtime.start('pruning', () =>
    startPruning({ sessions, feed: ctx.feed, now: ctx.now }, serverLog, jobs),
  );
  return {
    ctx,
    logs,
    gateway,
    metrics,
    auditQueue: audit.queue,
    retention: audit.retention,
    bruteForce,
    auth: { authenticator, sessions },
    notifier,
    directorySync: directory.sync,
    browser,
    close: () => runtime.stop(),
  };
}

/** The reverse proxy to `upstream`, with the proxy section's limits and the runtime's metrics. */
function buildProxy(
  config: Config,
  rt: GatewayRuntime,
  upstream: string,
  proxyLog: NamedLogger,
  ids: (given: string | string[] | undefined) => string,
  observer: RequestObserver | null,
): Proxy {
  return new Proxy(
    rt.gateway,
    {
      upstream: new URL(upstream),
      identityHeaders: config.identityHeaders,
      stripHeaders: [...config.stripHeaders, ...ssoHeaderNames(config.identity)],
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
      browser: rt.browser?.sso ?? null,
    },
    proxyLog,
    ids,
    { answers: rt.metrics.requests.proxy, upstream: rt.metrics.requests.upstream },
    observer,
  );
}

/**
 * Starts one serving node: the runtime, the reverse proxy and forward-auth on the gateway's port, and
 * the web UI and management API on the admin listener. With no upstream configured it also starts
 * the demo "whoami" upstream on loopback.
 */
export async function startNode(config: Config, opts: StartNodeOptions): Promise<RunningNode> {
  // The gateway runtime, the demo upstream, the proxy and the servers: stopped in reverse, the
  // servers first (no new request), and also when a later one fails to start.
  const node = new Runtime();
  const { rt } = await node.start('gateway runtime', async () => {
    const r = await startRuntime(config, opts);
    return { rt: r, stop: () => r.close() };
  });
  const { ctx, logs, gateway } = rt;
  // With no upstream configured, the demo "whoami" on loopback.
  const whoami = await node.start('demo upstream', async () => {
    if (config.upstream !== null) return { url: null, stop: () => undefined };
    const w = await startWhoami();
    return { url: w.url, stop: () => w.close() };
  });
  const upstream = config.upstream ?? whoami.url ?? '';
  const ids = requestIds();
  const proxyLog = logs.logger('proxy');
  // Stopped after the servers and the proxy: the last requests' lines and spans are written.
  const { observer } = await node.start('access log and tracing', () =>
    startObservability({
      config,
      upstream,
      onError: (message, err) => logs.logger('server').warn(message, {}, err),
    }),
  );
  const proxy = await node.start('proxy', () => {
    const p = buildProxy(config, rt, upstream, proxyLog, ids, observer);
    return { proxy: p, stop: () => p.close() };
  });
  // Before the servers: their /_tokengate/readyz and the metrics listener's /readyz run these checks.
  const { metricsUrl } = await node.start('readiness and metrics listener', () =>
    startReadiness({ config, store: ctx.store, upstream, metrics: rt.metrics }),
  );
  const server = await node.start('servers', async () => {
    const s = await startServer(
      ctx,
      {
        gateway: proxy.proxy.handle,
        forwardAuth: forwardAuthHandler(
          gateway,
          config.identityHeaders,
          proxyLog,
          ids,
          rt.browser?.sso ?? null,
          rt.metrics.requests.forwardAuth,
          observer,
        ),
        ...(rt.browser
          ? {
              browserSso: browserSsoHandler({
                ...rt.browser,
                provisioning: ctx.provisioning,
                settings: ctx.settings,
                log: logs.logger('auth'),
                requestId: ids,
              }),
            }
          : {}),
      },
      { log: logs.logger('api'), metrics: rt.metrics, notifier: rt.notifier, auth: rt.auth },
    );
    return { server: s, stop: () => s.close() };
  });
  return {
    runtime: rt,
    ctx,
    server: server.server,
    gateway,
    logs,
    metricsUrl,
    upstream,
    demoUpstream: config.upstream === null,
    close: () => node.stop(),
  };
}
