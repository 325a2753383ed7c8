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
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_PG_URL, type AuditBenchResult } from './lib/audit-data.js';
import { printResult, runAuditBench } from './lib/audit-measure.js';

// The module's API (see above) lives in bench/lib; these names stay importable from here.
export {
  benchEvent,
  DEFAULT_PG_URL,
  openAuditBench,
  type AuditBenchDb,
  type AuditBenchOptions,
  type AuditBenchResult,
  type AuditBenchSession,
  type AuditIngestResult,
  type AuditPurgeResult,
  type AuditQueryResult,
} from './lib/audit-data.js';
export {
  benchAuditIngest,
  benchAuditPurge,
  benchAuditQueries,
  benchQueries,
  printResult,
  runAuditBench,
} from './lib/audit-measure.js';

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
