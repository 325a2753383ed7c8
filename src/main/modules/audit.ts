import type { AppContext } from '../../app.js';
import { AnchorWriter, ANCHOR_LOGGER } from '../../audit/anchors.js';
import { AuditQueue } from '../../audit/queue.js';
import { heldByFloorGauge } from '../../audit/retention-metrics.js';
import { AuditRetention } from '../../audit/retention.js';
import { createAuditShipper } from '../../audit/shipper.js';
import { openAuditWriter } from '../../audit/writer.js';
import type { Config } from '../../config/config.js';
import type { Settings } from '../../domain/settings.js';
import type { LogManager } from '../../log/log-manager.js';
import type { Metrics } from '../../metrics/registry.js';
import type { Scheduler } from '../../services/jobs.js';
import type { Runtime } from '../runtime.js';

/** How often the audit retention purge runs. */
const AUDIT_RETENTION_INTERVAL_MS = 10 * 60_000;

export interface AuditDeps {
  config: Pick<Config, 'audit' | 'nodeId'>;
  ctx: Pick<AppContext, 'database' | 'store' | 'settings' | 'now'>;
  logs: Pick<LogManager, 'logger' | 'unfiltered'>;
  metrics: Metrics;
  jobs: Scheduler;
}

export interface AuditModules {
  queue: AuditQueue;
  retention: AuditRetention;
}

/**
 * The audit log's parts, each a module of `runtime`. Started as shipper, anchors, writer, queue,
 * retention, so that they stop as: retention (a pass under way ends after its batch), the queue
 * (its final flush, before the writer closes), the writer, the anchors (one written at shutdown,
 * with the final flush in it), the shipper (what the flush committed).
 */
export async function startAudit(runtime: Pick<Runtime, 'start'>, deps: AuditDeps): Promise<AuditModules> {
  const { config, ctx, logs } = deps;
  const auditLog = logs.logger('audit');
  // The SIEM outputs (audit file, syslog) ship this node's committed records, from the database.
  await runtime.start('audit shipper', () => {
    const shipper = createAuditShipper(config, ctx.database.db, {
      onError: (message, err) => auditLog.warn(message, undefined, err),
    });
    shipper?.start(deps.jobs);
    return { stop: () => shipper?.stop() };
  });
  // The chain head, outside the database, at intervals and at shutdown (anchors.ts).
  await runtime.start('audit anchors', () => {
    const anchors = new AnchorWriter({
      file: config.audit.anchorFile,
      intervalMs: config.audit.anchorIntervalSeconds * 1000,
      nodeId: config.nodeId,
      head: () => ctx.store.audit.anchorHead(),
      // The anchor lines ignore log.levels: an admin cannot silence them.
      log: logs.unfiltered(ANCHOR_LOGGER),
      now: ctx.now,
    });
    anchors.start(deps.jobs);
    return { stop: () => anchors.stop() };
  });
  // On a SQLite file, audit writes and purges run on a thread of their own (writer.ts).
  const { writer } = await runtime.start('audit writer', async () => {
    const w = await openAuditWriter(ctx.database, ctx.store, (err) =>
      auditLog.error('the audit writer thread stopped; the next write starts a new one', err),
    );
    return { writer: w, stop: () => w.close() };
  });
  const { queue } = await runtime.start('audit queue', () => {
    const q = new AuditQueue(
      writer,
      { capacity: config.audit.queueSize, flushIntervalMs: config.audit.flushIntervalMs },
      auditLog,
      deps.metrics,
      ctx.now,
    );
    q.start(deps.jobs);
    deps.metrics.watchAuditQueue(q);
    return { queue: q, stop: () => q.stop() };
  });
  const { retention } = await runtime.start('audit retention', () => {
    const r = new AuditRetention(writer, ctx.settings, auditLog, ctx.now, {
      floorDays: config.audit.retentionFloorDays,
      nodeId: config.nodeId,
      onHeld: heldByFloorGauge(deps.metrics.registry),
      // The floor-held warning ignores log.levels: an admin cannot silence it.
      floorLog: logs.unfiltered('audit'),
    });
    r.start(AUDIT_RETENTION_INTERVAL_MS, deps.jobs);
    // A lowered retention takes effect within a change-poll interval, not at the next scheduled run.
    const limits = (s: Settings): string => `${s['audit.retentionDays']}/${s['audit.maxRows']}`;
    let current = limits(ctx.settings.current);
    const stopWatch = ctx.settings.onChange((snap) => {
      const next = limits(snap.settings);
      if (next === current) return;
      current = next;
      void r.run();
    });
    return {
      retention: r,
      stop: async () => {
        stopWatch();
        await r.stop();
      },
    };
  });
  return { queue, retention };
}
