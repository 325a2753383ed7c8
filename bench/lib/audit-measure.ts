/** The audit benchmark's measurements: ingest through the queue, page queries, retention purge. */
import { CompiledQuery } from '../../src/store/kysely.js';
import { AuditQueue } from '../../src/audit/queue.js';
import { AuditRetention, PURGE_BATCH } from '../../src/audit/retention.js';
import { defaultSettings } from '../../src/domain/settings.js';
import { Metrics } from '../../src/metrics/registry.js';
import type { AuditFilter } from '../../src/store/audit-repo.js';
import {
  benchEvent,
  CHUNK,
  DAY_MS,
  failingLogger,
  openAuditBench,
  PAGE,
  seconds,
  SPACING_MS,
  T0,
  type AuditBenchDb,
  type AuditBenchOptions,
  type AuditBenchResult,
  type AuditBenchSession,
  type AuditIngestResult,
  type AuditPurgeResult,
  type AuditQueryResult,
} from './audit-data.js';

/**
 * Appends `rows` synthetic events through the production write path: AuditQueue.offer, then
 * AuditQueue.flush (its batch size, one transaction per batch, hash chain included). Only the
 * flushes are timed; building the events is not.
 */
export async function benchAuditIngest(
  s: AuditBenchSession,
  rows: number,
  opts: AuditBenchOptions & {
    /** Events per transaction; the queue's default when absent. */
    batchSize?: number;
  } = {},
): Promise<AuditIngestResult> {
  const errors: string[] = [];
  const metrics = new Metrics('bench', false);
  const queue = new AuditQueue(
    s.writer,
    { capacity: CHUNK, flushIntervalMs: 250, ...(opts.batchSize ? { batchSize: opts.batchSize } : {}) },
    failingLogger(errors),
    metrics,
  );
  const first = s.rows;
  const wall = process.hrtime.bigint();
  let writing = 0;
  let lastReport = wall;
  for (let done = 0; done < rows;) {
    const n = Math.min(CHUNK, rows - done);
    for (let k = 0; k < n; k++) queue.offer(benchEvent(first + done + k));
    const t = process.hrtime.bigint();
    await queue.flush();
    writing += seconds(t);
    if (errors.length > 0 || queue.size > 0) {
      throw new Error(
        `the audit queue did not write its events: ${errors.join('; ') || `${queue.size} left`}`,
      );
    }
    done += n;
    s.rows += n;
    if (opts.onProgress && process.hrtime.bigint() - lastReport > 5_000_000_000n) {
      opts.onProgress(
        `${s.db}: ${done.toLocaleString('en-US')} rows, ${Math.round(done / writing)} events/s`,
      );
      lastReport = process.hrtime.bigint();
    }
  }
  return {
    db: s.db,
    rows,
    writeSeconds: writing,
    eventsPerSecond: Math.round(rows / writing),
    wallSeconds: seconds(wall),
    batchSize: queue.batchSize,
  };
}

/** The page queries of the audit search, over the records benchEvent builds. */
export function benchQueries(rows: number): Array<{ label: string; filter: AuditFilter }> {
  const mid = T0 + Math.floor(rows / 2) * SPACING_MS;
  return [
    { label: 'newest page, no filter', filter: {} },
    { label: 'author', filter: { author: 'user-42' } },
    { label: 'category + action', filter: { category: 'authentication', action: 'auth.rate-limited' } },
    {
      label: 'affected user + time range (1 h)',
      filter: { affectedUser: 'user-7', from: mid - 3_600_000, to: mid },
    },
    { label: 'token id', filter: { tokenId: `tok_${(123).toString(36).padStart(16, '0')}` } },
    { label: 'IP, a client (source or proxy)', filter: { ip: '10.0.1.2' } },
    { label: "IP, the proxy's (every record)", filter: { ip: '10.255.0.1' } },
    { label: 'node', filter: { nodeId: 'node-1' } },
    { label: 'free text (full scan, exempt)', filter: { q: 'ci job 42"' } },
  ];
}

async function plan(s: AuditBenchSession, query: CompiledQuery): Promise<string[]> {
  if (s.db === 'sqlite') {
    const r = await s.handle.db.executeQuery<{ detail: string }>(
      CompiledQuery.raw(`explain query plan ${query.sql}`, [...query.parameters]),
    );
    return r.rows.map((row) => row.detail);
  }
  const r = await s.handle.db.executeQuery<{ 'QUERY PLAN': string }>(
    CompiledQuery.raw(`explain ${query.sql}`, [...query.parameters]),
  );
  return r.rows.map((row) => row['QUERY PLAN']);
}

/**
 * Times each page query (page of 50, newest first) `runs` times after one warm-up run, and reports
 * the plan the database chose. The full-text query runs fewer times: it scans the table.
 */
export async function benchAuditQueries(s: AuditBenchSession, runs = 25): Promise<AuditQueryResult[]> {
  if (s.db === 'postgres') await s.handle.db.executeQuery(CompiledQuery.raw('analyze audit_log'));
  const out: AuditQueryResult[] = [];
  for (const { label, filter } of benchQueries(s.rows)) {
    const n = filter.q === undefined ? runs : Math.min(runs, 5);
    const query = s.store.audit.searchQuery(filter, PAGE).compile();
    const result: AuditQueryResult = { label, filter, runs: 0, medianMs: 0, p95Ms: 0, returned: 0, plan: [] };
    try {
      result.plan = await plan(s, query);
      result.returned = (await s.store.audit.search(filter, PAGE)).length;
      const times: number[] = [];
      for (let i = 0; i < n; i++) {
        const t = process.hrtime.bigint();
        await s.store.audit.search(filter, PAGE);
        times.push(seconds(t) * 1000);
      }
      times.sort((a, b) => a - b);
      result.runs = n;
      result.medianMs = times[Math.floor(n / 2)] ?? 0;
      result.p95Ms = times[Math.min(n - 1, Math.ceil(n * 0.95) - 1)] ?? 0;
    } catch (err) {
      // E.g. PostgreSQL's statement timeout on the full scan of a large log: a figure, not a crash.
      result.error = err instanceof Error ? err.message : String(err);
    }
    out.push(result);
  }
  return out;
}

/**
 * Purges the oldest `purgeRows` records through AuditRetention.run (its batches, transactions,
 * checkpoints and pauses), by age or by audit.maxRows, and times it.
 */
export async function benchAuditPurge(
  s: AuditBenchSession,
  purgeRows: number,
  mode: 'age' | 'maxRows' = 'age',
  opts: AuditBenchOptions = {},
): Promise<AuditPurgeResult> {
  const rowsBefore = await s.store.audit.count();
  const oldest = (await s.store.audit.chainStart()).seq; // records 0 … oldest-1 are already gone
  const target = Math.min(purgeRows, rowsBefore);
  const settings = { ...defaultSettings(), 'audit.retentionDays': 1, 'audit.maxRows': 1_000_000_000 };
  // 'age': everything older than record (oldest + target) expires. 'maxRows': nothing expires.
  let now = T0 + (oldest + target) * SPACING_MS + DAY_MS;
  if (mode === 'maxRows') {
    settings['audit.maxRows'] = Math.max(1000, rowsBefore - target);
    // After the newest record (nothing in the future, which the purge never takes), and a retention
    // far longer than the records span: only maxRows expires anything.
    settings['audit.retentionDays'] = 36_500;
    now = T0 + (oldest + rowsBefore + 1) * SPACING_MS + DAY_MS;
  }
  const errors: string[] = [];
  // No floor: the bench purges records it dated itself. Each batch also appends its purge record.
  const retention = new AuditRetention(s.writer, { current: settings }, failingLogger(errors), () => now, {
    floorDays: 0,
    nodeId: 'bench',
  });
  const started = process.hrtime.bigint();
  let purged = 0;
  // A run stops after 1,000 batches; bounded by how many runs the target needs.
  for (let run = 0; run <= Math.ceil(target / (PURGE_BATCH * 1000)); run++) {
    const n = await retention.run();
    if (errors.length > 0) throw new Error(`the retention purge failed: ${errors.join('; ')}`);
    purged += n;
    opts.onProgress?.(`${s.db}: purged ${purged.toLocaleString('en-US')} records`);
    if (n === 0 || purged >= target) break;
  }
  const took = seconds(started);
  return {
    db: s.db,
    mode,
    rowsBefore,
    purged,
    seconds: took,
    recordsPerSecond: Math.round(purged / took),
    batch: PURGE_BATCH,
  };
}

/** Opens a database, ingests `rows`, times the queries, purges `purgeRows` by age then by maxRows. */
export async function runAuditBench(
  db: AuditBenchDb,
  rows: number,
  purgeRows: number,
  opts: AuditBenchOptions = {},
): Promise<AuditBenchResult> {
  const s = await openAuditBench(db, opts);
  try {
    const ingest = await benchAuditIngest(s, rows, opts);
    const queries = await benchAuditQueries(s);
    const purge = [
      await benchAuditPurge(s, purgeRows, 'age', opts),
      await benchAuditPurge(s, purgeRows, 'maxRows', opts),
    ];
    return { ingest, queries, purge };
  } finally {
    await s.close();
  }
}

export function printResult(name: string, r: AuditBenchResult): void {
  const n = (x: number): string => x.toLocaleString('en-US');
  console.log(
    `\n${name}: ${n(r.ingest.rows)} rows ingested in ${r.ingest.writeSeconds.toFixed(1)} s of writing = ${n(r.ingest.eventsPerSecond)} events/s (audit queue, batches of ${r.ingest.batchSize}, hash chain included; ${r.ingest.wallSeconds.toFixed(1)} s wall with event building)`,
  );
  console.log(`| query (page of ${PAGE}, newest first) | median ms | p95 ms | rows | plan |`);
  console.log('| --- | ---: | ---: | ---: | --- |');
  for (const q of r.queries) {
    const figures = q.error
      ? `failed: ${q.error} | | `
      : `${q.medianMs.toFixed(2)} | ${q.p95Ms.toFixed(2)} | ${q.returned}`;
    console.log(`| ${q.label} | ${figures} | ${q.plan.map((l) => l.trim()).join('; ')} |`);
  }
  for (const p of r.purge) {
    console.log(
      `retention purge by ${p.mode}: ${n(p.purged)} of ${n(p.rowsBefore)} records in ${p.seconds.toFixed(1)} s = ${n(p.recordsPerSecond)} records/s (batches of ${p.batch})`,
    );
  }
}
