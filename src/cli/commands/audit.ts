import { createWriteStream } from 'node:fs';
import { readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Command } from 'commander';
import {
  AUDIT_EXPORT_FORMATS,
  auditExportChunks,
  auditRecordView,
  isAuditExportFormat,
  iterateAudit,
} from '../../audit/export.js';
import { parseAnchors, type Anchor } from '../../audit/anchors.js';
import { describePurge, describePurgedAnchors, verifyAuditChain } from '../../audit/verify.js';
import { AUDIT_CATEGORIES, isAuditCategory, type AuditRecord } from '../../domain/audit/audit.js';
import { invalidField } from '../../domain/errors.js';
import { parseIp } from '../../domain/auth/ip-rules.js';
import { normalizeSocketIp } from '../../domain/auth/client-ip.js';
import type { AuditFilter } from '../../store/audit-repo.js';
import { withApp, type GlobalOptions } from '../context.js';
import { CliError } from '../exit-codes.js';
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

/** Where progress goes: a terminal's stderr. */
export interface ProgressStream {
  isTTY?: boolean;
  write(text: string): unknown;
}

/**
 * A one-line progress display on a terminal: redrawn at most every `intervalMs`, first after
 * `intervalMs` (quick runs show nothing), and erased by `clear()`. Silent when the stream is not a TTY.
 */
export class Progress {
  private last: number;
  private shown = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly label: (n: number) => string,
    private readonly now: () => number = Date.now,
    private readonly intervalMs = 200,
  ) {
    this.last = now();
  }

  update(n: number): void {
    if (this.stream.isTTY !== true) return;
    const t = this.now();
    if (t - this.last < this.intervalMs) return;
    this.last = t;
    this.shown = true;
    this.stream.write(`\r\x1b[K${this.label(n)}`);
  }

  clear(): void {
    if (!this.shown) return;
    this.shown = false;
    this.stream.write('\r\x1b[K');
  }
}

/** Progress on the real stderr, only when output goes to the process streams and stderr is a terminal. */
function progressFor(io: Io, label: (n: number) => string): Progress {
  const silent: ProgressStream = { isTTY: false, write: () => true };
  return new Progress(io === processIo ? process.stderr : silent, label);
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
    await withApp(io, globals(), async (ctx) => {
      const records = await ctx.store.audit.search(filter, limit);
      if (o.json === true) {
        for (const r of records) io.out(JSON.stringify(auditRecordView(r)));
        return;
      }
      if (format === 'json') {
        printJson(io, records.map(auditRecordView));
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
          new Date(r.ts).toISOString(),
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
      throw invalidField('--format', `is required: ${AUDIT_EXPORT_FORMATS.join(' or ')}`);
    if (!isAuditExportFormat(format))
      throw invalidField('--format', `must be ${AUDIT_EXPORT_FORMATS.join(' or ')}`);
    const filter = toAuditFilter(o);
    const out = o.out === '-' ? undefined : o.out;
    if (out === '') throw invalidField('--out', 'must name a file');
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

/** `audit verify`: walks the hash chain and reports the first problem. */
function verifyCommand(audit: Command, io: Io, globals: () => GlobalOptions): void {
  audit
    .command('verify')
    .description(
      'walk the hash chain, list the retention purges it passes, check it against the chain-head anchors, and report the first record that was modified, deleted or reordered (exit 1 if so)',
    )
    .option(
      '--anchors <file>',
      "an anchor file to check against (default: this node's audit.anchorFile, when it exists)",
    )
    .action(async (o: { anchors?: string }) => {
      const format = outputFormat(io, globals().output);
      if (o.anchors === '') throw invalidField('--anchors', 'must name a file');
      const broken = await withApp(io, globals(), async (ctx) => {
        const file = o.anchors ?? ctx.config.audit.anchorFile;
        const anchors = await readAnchorFile(file, o.anchors !== undefined);
        if (anchors && anchors.unreadable > 0)
          io.err(`tokengate: ${anchors.unreadable} line(s) of ${file} are not anchors and were skipped`);
        const progress = progressFor(io, (k) => `verifying: ${k} records checked`);
        const r = await verifyAuditChain(ctx.store, {
          onProgress: (k) => progress.update(k),
          ...(anchors ? { anchors: anchors.anchors } : {}),
        });
        progress.clear();
        if (format === 'json') {
          printJson(io, { ...r, anchorFile: anchors ? file : null });
          return r.problem !== null;
        }
        for (const p of r.purges) io.out(describePurge(p));
        const anchorNote = anchors
          ? [
              `; ${r.anchorsChecked} of ${r.anchors} anchor(s) in ${file} matched`,
              ...describePurgedAnchors(r.anchorsPurged),
            ].join('; ')
          : '';
        if (r.problem) {
          io.out(`audit chain broken at seq ${r.problem.seq}: ${r.problem.kind}: ${r.problem.message}`);
          return true;
        }
        if (r.checked === 0) {
          io.out(`audit chain verified: 0 records (the audit log is empty)${anchorNote}`);
          return false;
        }
        const first = r.fromSeq + 1;
        const last = r.headSeq ?? r.fromSeq + r.checked;
        const checkpoint =
          r.fromSeq > 0 ? ` (continuing from the retention checkpoint at seq ${r.fromSeq})` : '';
        io.out(
          `audit chain verified: ${r.checked} record${r.checked === 1 ? '' : 's'} from seq ${first} to ${last}${checkpoint}${anchorNote}`,
        );
        return false;
      });
      // Exit 1 without a second message: the verdict is already printed.
      if (broken)
        throw new CliError('failed', 'audit_chain_broken', 'the audit chain is broken', { quiet: true });
    });
}

export function auditCommands(program: Command, io: Io, globals: () => GlobalOptions): void {
  const audit = program.command('audit').description('search, export and verify the audit log');
  listCommand(audit, io, globals);
  exportCommand(audit, io, globals);
  verifyCommand(audit, io, globals);
}

/** The anchor file's anchors; null when the default file does not exist (a node that never ran). */
async function readAnchorFile(
  file: string,
  named: boolean,
): Promise<{ anchors: Anchor[]; unreadable: number } | null> {
  try {
    return parseAnchors(await readFile(file, 'utf8'));
  } catch (err) {
    if (!named && (err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw invalidField('--anchors', `cannot read ${file}: ${(err as Error).message}`);
  }
}
