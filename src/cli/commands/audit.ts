import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import {
  AUDIT_EXPORT_FORMATS,
  auditExportChunks,
  isAuditExportFormat,
  iterateAudit,
} from '../../audit/export.js';
import { AUDIT_CATEGORIES, isAuditCategory, type AuditRecord } from '../../domain/audit/audit.js';
import { invalidField } from '../../domain/errors.js';
import { parseIp } from '../../domain/auth/ip-rules.js';
import { normalizeSocketIp } from '../../domain/auth/client-ip.js';
import type { AuditFilter } from '../../store/audit-repo.js';
import { localOnly, withApp, withBackend, type GlobalOptions } from '../context.js';
import { CliError } from '../exit-codes.js';
import { progressFor } from '../progress.js';
import { verifyCommand } from './audit-verify.js';
import { deprecatedJsonOption, outputFormat, printJson, printTable, processIo, type Io } from '../output.js';

/** The filter flags `audit list` and `audit export` share. */
interface FilterOptions {
  from?: string;
  to?: string;
  author?: string;
  category?: string;
  action?: string;
  user?: string;
  token?: string;
  ip?: string;
  node?: string;
  q?: string;
}

function addFilterOptions(cmd: Command): Command {
  return cmd
    .option(
      '--from <time>',
      'only records at or after this ISO 8601 date or date-time (UTC unless a zone is given)',
    )
    .option('--to <time>', 'only records at or before this time; a bare date includes that whole day')
    .option('--author <user>', 'only records by this author (a user name, @cli or anonymous)')
    .option('-c, --category <name>', `only this category: ${AUDIT_CATEGORIES.join(', ')}`)
    .option('--action <action>', 'only this action, e.g. token.revoked')
    .option('-u, --user <user>', 'only records about this user (the affected user)')
    .option('--token <id>', 'only records about this token')
    .option('--ip <address>', 'only records whose source or proxy IP is this address')
    .option('--node <id>', 'only records written by this node')
    .option('--q <text>', 'free text in the summary, token description, users or details (case-insensitive)');
}

const DAY_MS = 86_400_000;
const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2})?$/;

/** True when the fields name a real calendar date and clock time (Date.parse rolls 02-30 over). */
function realDate(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): boolean {
  const t = new Date(Date.UTC(y, mo - 1, d));
  return t.getUTCMonth() === mo - 1 && t.getUTCDate() === d && h <= 23 && mi <= 59 && s <= 59;
}

/**
 * `--from`/`--to`: an ISO 8601 date (`2025-01-31`) or date-time (`2025-01-31T12:00`, `…Z`, `…+02:00`).
 * Without a zone the time is UTC, as the audit log shows it. A bare date for `--to` means the end of
 * that day, so `--from 2025-01-31 --to 2025-01-31` is the whole day.
 */
export function parseTimeFlag(flag: string, value: string, endOfDay: boolean): number {
  const bad = () =>
    invalidField(flag, 'must be an ISO 8601 date or date-time, e.g. 2025-01-31 or 2025-01-31T12:00:00Z');
  const d = DATE.exec(value);
  if (d) {
    if (!realDate(Number(d[1]), Number(d[2]), Number(d[3]))) throw bad();
    const t = Date.parse(`${value}T00:00:00.000Z`);
    return endOfDay ? t + DAY_MS - 1 : t;
  }
  const m = DATE_TIME.exec(value);
  if (
    !m ||
    !realDate(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6] ?? 0))
  )
    throw bad();
  const t = Date.parse(m[7] === undefined ? `${value}Z` : value);
  if (Number.isNaN(t)) throw bad();
  return t;
}

export function toAuditFilter(o: FilterOptions): AuditFilter {
  const f: AuditFilter = {};
  if (o.from !== undefined) f.from = parseTimeFlag('--from', o.from, false);
  if (o.to !== undefined) f.to = parseTimeFlag('--to', o.to, true);
  if (f.from !== undefined && f.to !== undefined && f.from > f.to)
    throw invalidField('--to', 'is before --from');
  if (o.category !== undefined) {
    if (!isAuditCategory(o.category))
      throw invalidField('--category', `must be one of ${AUDIT_CATEGORIES.join(', ')}`);
    f.category = o.category;
  }
  if (o.ip !== undefined) {
    const ip = normalizeSocketIp(o.ip.trim());
    if (!parseIp(ip)) throw invalidField('--ip', `"${o.ip}" is not an IP address`);
    f.ip = ip;
  }
  const text: Array<
    [keyof FilterOptions, 'author' | 'action' | 'affectedUser' | 'tokenId' | 'nodeId' | 'q']
  > = [
    ['author', 'author'],
    ['action', 'action'],
    ['user', 'affectedUser'],
    ['token', 'tokenId'],
    ['node', 'nodeId'],
    ['q', 'q'],
  ];
  for (const [flag, key] of text) {
    const v = o[flag];
    if (v === undefined) continue;
    if (v.length === 0) throw invalidField(`--${flag}`, 'must not be empty');
    f[key] = v;
  }
  return f;
}

function parseLimit(value: string): number {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || !Number.isInteger(limit) || limit < 1 || limit > 10_000)
    throw invalidField('--limit', 'must be an integer from 1 to 10000');
  return limit;
}

async function* counted(
  records: AsyncIterable<AuditRecord>,
  onCount: (n: number) => void,
): AsyncGenerator<AuditRecord, void, undefined> {
  let n = 0;
  for await (const r of records) {
    yield r;
    onCount(++n);
  }
}

/** Streams chunks into a file: a temporary file beside it, renamed into place once complete. */
async function writeFile(path: string, chunks: AsyncIterable<string>): Promise<void> {
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}.tmp`);
  try {
    // The audit log names users and addresses: the export is for the operator only.
    await pipeline(
      Readable.from(chunks, { objectMode: false }),
      createWriteStream(tmp, { flags: 'wx', mode: 0o600 }),
    );
    await rename(tmp, path);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

/** Streams chunks to standard output with backpressure; returns false if the reader went away. */
async function writeStdout(io: Io, chunks: AsyncIterable<string>): Promise<boolean> {
  if (io !== processIo) {
    // Io writes lines: hand it each chunk without its final newline, which it adds back.
    for await (const c of chunks) io.out(c.endsWith('\n') ? c.slice(0, -1) : c);
    return true;
  }
  try {
    await pipeline(Readable.from(chunks, { objectMode: false }), process.stdout, { end: false });
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EPIPE') return false;
    throw err;
  }
}

/** `audit list`: the newest matching records, newest first. */
function listCommand(audit: Command, io: Io, globals: () => GlobalOptions): void {
  addFilterOptions(
    audit
      .command('list')
      .description('the newest audit records, newest first')
      .option('-n, --limit <n>', 'how many records (1-10000)', '50')
      .addOption(deprecatedJsonOption()),
  ).action(async (o: FilterOptions & { limit: string; json?: boolean }) => {
    // The deprecated --json keeps its JSON lines, which scripts read line by line; -o json is an
    // array, as every other list.
    if (o.json === true)
      io.err('tokengate: --json is deprecated; use -o json (an array) or audit export --format jsonl');
    const format = outputFormat(io, globals().output);
    const limit = parseLimit(o.limit);
    const filter = toAuditFilter(o);
    await withBackend(io, globals(), async (backend) => {
      const records = await backend.auditSearch(filter, limit);
      if (o.json === true) {
        for (const r of records) io.out(JSON.stringify(r));
        return;
      }
      if (format === 'json') {
        printJson(io, records);
        return;
      }
      if (records.length === 0) {
        io.err('no audit records');
        return;
      }
      printTable(
        io,
        ['SEQ', 'DATE (UTC)', 'AUTHOR', 'CATEGORY', 'ACTION', 'TOKEN', 'SOURCE IP', 'SUMMARY'],
        records.map((r) => [
          String(r.seq),
          r.time,
          r.author,
          r.category,
          r.action,
          r.tokenId ?? '-',
          r.sourceIp ?? '-',
          r.summary,
        ]),
      );
    });
  });
}

/** `audit export`: every matching record as CSV or JSON lines, to a file or standard output. */
function exportCommand(audit: Command, io: Io, globals: () => GlobalOptions): void {
  addFilterOptions(
    audit
      .command('export')
      .description('export matching records, newest first, as CSV or JSON lines; streamed, any size')
      .option('-f, --format <format>', `${AUDIT_EXPORT_FORMATS.join(' or ')} (required)`)
      .option('--out <file>', 'write to this file instead of standard output'),
  ).action(async (o: FilterOptions & { format?: string; out?: string }) => {
    const format = o.format;
    if (format === undefined)
      // A missing option is a usage mistake (64), as commander's required options are; a bad value is 65.
      throw new CliError('usage', 'usage', `--format: is required: ${AUDIT_EXPORT_FORMATS.join(' or ')}`);
    if (!isAuditExportFormat(format))
      throw invalidField('--format', `must be ${AUDIT_EXPORT_FORMATS.join(' or ')}`);
    const filter = toAuditFilter(o);
    const out = o.out === '-' ? undefined : o.out;
    if (out === '') throw invalidField('--out', 'must name a file');
    await localOnly(io, globals(), 'audit export');
    await withApp(io, globals(), async (ctx) => {
      let n = 0;
      const progress = progressFor(io, (k) => `exporting: ${k} records written`);
      const records = counted(iterateAudit(ctx.store, filter), (k) => {
        n = k;
        progress.update(k);
      });
      const chunks = auditExportChunks(records, format);
      let complete = true;
      try {
        if (out !== undefined) await writeFile(out, chunks);
        else complete = await writeStdout(io, chunks);
      } finally {
        progress.clear();
      }
      if (complete) io.err(`exported ${n} records to ${out ?? 'standard output'}`);
      else io.err(`tokengate: standard output was closed; the export stopped after ${n} records`);
    });
  });
}

export function auditCommands(program: Command, io: Io, globals: () => GlobalOptions): void {
  const audit = program.command('audit').description('search, export and verify the audit log');
  listCommand(audit, io, globals);
  exportCommand(audit, io, globals);
  verifyCommand(audit, io, globals);
}

/** Progress moved to src/cli/progress.ts; exported here still for the tests that import it from here. */
export { Progress } from '../progress.js';
