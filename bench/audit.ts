/**
 * Audit log benchmark: event ingest per second (hash chain included, batches of 500 per
 * transaction, as the audit queue writes them) and the time of filtered page queries, at 1M rows
 * (or `--rows N`, e.g. 10000000), on SQLite and, when reachable, PostgreSQL.
 *
 *   npm run bench:audit                      # 1M rows, SQLite and PostgreSQL
 *   npm run bench:audit -- --rows 10000000   # 10M rows
 *   npm run bench:audit -- --db sqlite --rows 200000
 *
 * Loopback only; every loop is bounded by the row count.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import type { AuditEvent } from '../src/domain/audit.js';
import { openDatabase, type DatabaseHandle } from '../src/store/database.js';
import type { AuditFilter } from '../src/store/audit-repo.js';
import { Store } from '../src/store/store.js';

const { values } = parseArgs({
  options: {
    rows: { type: 'string', default: '1000000' },
    db: { type: 'string', default: 'sqlite,postgres' },
    pg: {
      type: 'string',
      default: process.env.TOKENGATE_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test',
    },
  },
});
const ROWS = Number(values.rows);
const BATCH = 500;
const USERS = 1000;
const T0 = Date.UTC(2026, 0, 1);
const ACTIONS = [
  'auth.success',
  'auth.success',
  'auth.success',
  'auth.failed',
  'auth.permission-denied',
  'auth.rate-limited',
];

function event(i: number): AuditEvent {
  const user = `user-${i % USERS}`;
  const action = ACTIONS[i % ACTIONS.length] ?? 'auth.success';
  return {
    ts: T0 + i * 30, // one event every 30 ms: 1M rows span about 8 hours
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

async function timeIt(fn: () => Promise<unknown>, runs: number): Promise<{ median: number; p95: number }> {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = process.hrtime.bigint();
    await fn();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return { median: times[Math.floor(runs / 2)] ?? 0, p95: times[Math.floor(runs * 0.95)] ?? 0 };
}

async function bench(name: string, handle: DatabaseHandle): Promise<void> {
  const store = Store.from(handle);
  const started = process.hrtime.bigint();
  let lastReport = started;
  for (let i = 0; i < ROWS; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, ROWS - i) }, (_, k) => event(i + k));
    await store.transaction((tx) => tx.audit.append(batch));
    const now = process.hrtime.bigint();
    if (now - lastReport > 5_000_000_000n) {
      process.stderr.write(`  ${name}: ${i + batch.length} rows…\n`);
      lastReport = now;
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const rate = Math.round(ROWS / seconds);

  const mid = T0 + Math.floor(ROWS / 2) * 30;
  const queries: Array<[string, AuditFilter]> = [
    ['newest page, no filter', {}],
    ['author', { author: 'user-42' }],
    ['category + action', { category: 'authentication', action: 'auth.rate-limited' }],
    ['affected user + time range', { affectedUser: 'user-7', from: mid - 3_600_000, to: mid }],
    ['token id', { tokenId: `tok_${(123).toString(36).padStart(16, '0')}` }],
    ['source IP', { ip: '10.0.1.2' }],
    ['free text (full scan)', { q: 'ci job 42"' }],
  ];
  console.log(
    `\n${name}: ${ROWS.toLocaleString('en-US')} rows ingested in ${seconds.toFixed(1)} s = ${rate.toLocaleString('en-US')} events/s (batches of ${BATCH}, hash chain included)`,
  );
  console.log('| query (page of 50, newest first) | median ms | p95 ms |');
  console.log('| --- | ---: | ---: |');
  for (const [label, filter] of queries) {
    const runs = label.includes('full scan') ? 3 : 20;
    const t = await timeIt(() => store.audit.search(filter, 50), runs);
    console.log(`| ${label} | ${t.median.toFixed(2)} | ${t.p95.toFixed(2)} |`);
  }
}

const wanted = values.db.split(',');
console.log(`audit benchmark, Node ${process.version}, ${ROWS.toLocaleString('en-US')} rows`);
if (wanted.includes('sqlite')) {
  const dir = mkdtempSync(join(tmpdir(), 'tg-bench-'));
  const handle = await openDatabase({ url: join(dir, 'bench.db') });
  try {
    await bench('SQLite (file, WAL)', handle);
  } finally {
    await handle.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
if (wanted.includes('postgres')) {
  const schema = `tg_bench_${Date.now()}`;
  const admin = new pg.Client({ connectionString: values.pg });
  try {
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    const handle = await openDatabase({ url: values.pg, schema });
    try {
      await bench('PostgreSQL', handle);
    } finally {
      await handle.close();
      await admin.query(`drop schema ${schema} cascade`);
    }
  } catch (err) {
    console.log(`\nPostgreSQL skipped: ${(err as Error).message}`);
  } finally {
    await admin.end().catch(() => undefined);
  }
}
