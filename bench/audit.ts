/**
 * Audit log benchmark: event ingest per second through the audit queue (hash chain included, the
 * queue's own batches and transactions), the time of filtered page queries with the plan the
 * database chose, and the retention purge rate, on SQLite and, when reachable, PostgreSQL.
 *
 *   npm run bench:audit                      # 1M rows, SQLite and PostgreSQL
 *   npm run bench:audit -- --rows 10000000   # 10M rows
 *   npm run bench:audit -- --db sqlite --rows 200000 --purge 20000
 *
 * As a module (bench/run.ts): openAuditBench, then benchAuditIngest, benchAuditQueries and
 * benchAuditPurge on the session, in that order; or runAuditBench for all three. Each returns
 * plain numbers. Loopback only; every loop is bounded by the row count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { CompiledQuery } from '../src/store/kysely.js';
import pg from 'pg';
import { AuditQueue } from '../src/audit/queue.js';
import { openAuditWriter, storeAuditWriter, type AuditWriter } from '../src/audit/writer.js';
import { AuditRetention, PURGE_BATCH } from '../src/audit/retention.js';
import type { AuditEvent } from '../src/domain/audit/audit.js';
import { defaultSettings } from '../src/domain/settings.js';
import type { Logger } from '../src/log/logger.js';
import { Metrics } from '../src/metrics/registry.js';
import type { AuditFilter } from '../src/store/audit-repo.js';
import { openDatabase, type DatabaseHandle } from '../src/store/database.js';
import { Store } from '../src/store/store.js';

export type AuditBenchDb = 'sqlite' | 'postgres';

export const DEFAULT_PG_URL = process.env.TOKENGATE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A fresh, migrated database holding the benchmark's records (ingest appends to it). */
export interface AuditBenchSession {
  db: AuditBenchDb;
  handle: DatabaseHandle;
  store: Store;
  /** Where the queue and the purge write: on SQLite the writer thread, as in a node. */
  writer: AuditWriter;
  /** Records appended so far; record i has ts = T0 + i * 30 ms. */
  rows: number;
  close(): Promise<void>;
}

export interface AuditBenchOptions {
  /** PostgreSQL URL (a schema of its own is created and dropped). */
  pgUrl?: string;
  /** Progress lines (every ~5 s during ingest and purge); silent when absent. */
  onProgress?: (line: string) => void;
}

export interface AuditIngestResult {
  db: AuditBenchDb;
  rows: number;
  /** Time spent in AuditQueue.flush (writing), seconds. */
  writeSeconds: number;
  /** rows / writeSeconds. */
  eventsPerSecond: number;
  /** Wall time including building the synthetic events, seconds. */
  wallSeconds: number;
  /** Events per transaction (the queue's batch size). */
  batchSize: number;
}

export interface AuditQueryResult {
  label: string;
  filter: AuditFilter;
  runs: number;
  medianMs: number;
  p95Ms: number;
  /** Records the page returned (at most 50). */
  returned: number;
  /** EXPLAIN QUERY PLAN (SQLite) or EXPLAIN (PostgreSQL), one line per step. */
  plan: string[];
  /** Why the query failed (the figures are then 0). */
  error?: string;
}

export interface AuditPurgeResult {
  db: AuditBenchDb;
  /** 'age': audit.retentionDays expires the oldest records; 'maxRows': audit.maxRows does. */
  mode: 'age' | 'maxRows';
  rowsBefore: number;
  purged: number;
  seconds: number;
  recordsPerSecond: number;
  /** Records per purge transaction (PURGE_BATCH). */
  batch: number;
}

export interface AuditBenchResult {
  ingest: AuditIngestResult;
  queries: AuditQueryResult[];
  purge: AuditPurgeResult[];
}

const T0 = Date.UTC(2026, 0, 1);
const SPACING_MS = 30; // one event every 30 ms: 1M rows span about 8 hours, 10M about 3.5 days
const USERS = 1000;
const DAY_MS = 86_400_000;
/** Events handed to the queue per flush; the queue writes them in its own batches. */
const CHUNK = 50_000;
const PAGE = 50;
const ACTIONS = [
  'auth.success',
  'auth.success',
  'auth.success',
  'auth.failed',
  'auth.permission-denied',
  'auth.rate-limited',
];

/** The i-th synthetic authentication event (deterministic). */
export function benchEvent(i: number): AuditEvent {
  const user = `user-${i % USERS}`;
  const action = ACTIONS[i % ACTIONS.length] ?? 'auth.success';
  return {
    ts: T0 + i * SPACING_MS,
    category: 'authentication',
    action,
    summary: `User ${user} ${action === 'auth.success' ? 'authenticated with token' : 'was refused'} "ci job ${i % 97}"`,
    author: action === 'auth.failed' ? 'anonymous' : user,
    affectedUser: user,
    tokenId: `tok_${(i % (USERS * 3)).toString(36).padStart(16, '0')}`,
    tokenDescription: `ci job ${i % 97}`,
    sourceIp: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
    proxyIp: '10.255.0.1',
    nodeId: `node-${i % 3}`,
    requestId: `r${i.toString(36)}`,
    method: i % 5 === 0 ? 'POST' : 'GET',
    endpoint: `/rest/api/2/issue/${i % 5000}`,
    outcome: action === 'auth.success' ? 'success' : 'denied',
    details: { scope: i % 2 ? 'read' : 'write' },
  };
}

function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/** Errors an audit component logs (it never throws) fail the benchmark instead of passing silently. */
function failingLogger(errors: string[]): Logger {
  return {
    info: () => undefined,
    warn: () => undefined,
    error: (m, err) => errors.push(err instanceof Error ? `${m}: ${err.message}` : m),
  };
}

/** Opens an empty database: a temporary SQLite file (WAL), or a new schema in PostgreSQL. */
export async function openAuditBench(
  db: AuditBenchDb,
  opts: AuditBenchOptions = {},
): Promise<AuditBenchSession> {
  if (db === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), 'tg-bench-audit-'));
    try {
      const handle = await openDatabase({ url: join(dir, 'bench.db') });
      const store = Store.from(handle);
      const writer = await openAuditWriter(handle, store, (err) => {
        throw err;
      });
      return {
        db,
        handle,
        store,
        writer,
        rows: 0,
        close: async () => {
          await writer.close();
          await handle.close();
          rmSync(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }
  const url = opts.pgUrl ?? DEFAULT_PG_URL;
  const schema = `tg_bench_${Date.now()}_${process.pid}`;
  const admin = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  await admin.connect();
  const drop = async (): Promise<void> => {
    await admin.query(`drop schema if exists ${schema} cascade`);
    await admin.end();
  };
  try {
    await admin.query(`create schema ${schema}`);
    const handle = await openDatabase({ url, schema });
    const store = Store.from(handle);
    return {
      db,
      handle,
      store,
      writer: storeAuditWriter(store),
      rows: 0,
      close: async () => {
        await handle.close();
        await drop();
      },
    };
  } catch (err) {
    await drop().catch(() => undefined);
    throw err;
  }
}

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

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      rows: { type: 'string', default: '1000000' },
      purge: { type: 'string' },
      db: { type: 'string', default: 'sqlite,postgres' },
      pg: { type: 'string', default: DEFAULT_PG_URL },
    },
  });
  const rows = Number(values.rows);
  const purgeRows = Number(values.purge ?? Math.min(Math.floor(rows / 10), 1_000_000));
  for (const [flag, v] of [
    ['--rows', rows],
    ['--purge', purgeRows],
  ] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 100_000_000)
      throw new Error(`${flag} must be an integer from 1 to 100000000`);
  }
  const onProgress = (line: string): void => void process.stderr.write(`  ${line}\n`);
  const wanted = values.db.split(',');
  console.log(`audit benchmark, Node ${process.version}, ${rows.toLocaleString('en-US')} rows`);
  if (wanted.includes('sqlite')) {
    printResult('SQLite (file, WAL)', await runAuditBench('sqlite', rows, purgeRows, { onProgress }));
  }
  if (wanted.includes('postgres')) {
    let result: AuditBenchResult | undefined;
    try {
      result = await runAuditBench('postgres', rows, purgeRows, { pgUrl: values.pg, onProgress });
    } catch (err) {
      console.log(`\nPostgreSQL skipped: ${(err as Error).message}`);
    }
    if (result) printResult('PostgreSQL', result);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
