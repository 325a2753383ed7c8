/**
 * The audit benchmark's data: its result shapes, the synthetic events it appends, and the session
 * (a fresh database: a temporary SQLite file, or a PostgreSQL schema of its own).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openAuditWriter, storeAuditWriter, type AuditWriter } from '../../src/audit/writer.js';
import type { AuditEvent } from '../../src/domain/audit/audit.js';
import type { Logger } from '../../src/log/logger.js';
import type { AuditFilter } from '../../src/store/audit-repo.js';
import { openDatabase, type DatabaseHandle } from '../../src/store/database.js';
import { Store } from '../../src/store/store.js';

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

export const T0 = Date.UTC(2026, 0, 1);
export const SPACING_MS = 30; // one event every 30 ms: 1M rows span about 8 hours, 10M about 3.5 days
const USERS = 1000;
export const DAY_MS = 86_400_000;
/** Events handed to the queue per flush; the queue writes them in its own batches. */
export const CHUNK = 50_000;
export const PAGE = 50;
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

export function seconds(since: bigint): number {
  return Number(process.hrtime.bigint() - since) / 1e9;
}

/** Errors an audit component logs (it never throws) fail the benchmark instead of passing silently. */
export function failingLogger(errors: string[]): Logger {
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
