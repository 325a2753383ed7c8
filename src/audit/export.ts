import { isAuditCategory, type AuditRecord } from '../domain/audit/audit.js';
import { canonicalJson } from '../domain/audit/chain.js';
import { AUDIT_RECORD_FIELDS, type AuditField, type AuditRecordViewFields } from '../domain/audit/record.js';
import type { AuditFilter, AuditPosition } from '../store/audit-repo.js';
import type { Store } from '../store/store.js';

/**
 * Audit export: one record at a time, in CSV (RFC 4180) or JSON lines. Nothing here holds more than
 * a page of records, so an export of any size runs in constant memory.
 *
 * CSV: a header row, then one row per record, each ending in CRLF. A field is quoted when it holds a
 * comma, a double quote, CR or LF, and quotes inside are doubled. A null is an empty field; an empty
 * string is `""`, so the two stay distinct and the file parses back to exactly the same records
 * (`parseAuditCsv`). `time` is ISO 8601 UTC with milliseconds; `details` is the canonical JSON text
 * the hash chain covers (object keys sorted), or empty.
 *
 * JSON lines: one object per line, the same fields and names as the CSV columns, `details` as an
 * object or null.
 */

export const AUDIT_EXPORT_FORMATS = ['csv', 'jsonl'] as const;
export type AuditExportFormat = (typeof AUDIT_EXPORT_FORMATS)[number];

export function isAuditExportFormat(s: string): s is AuditExportFormat {
  return (AUDIT_EXPORT_FORMATS as readonly string[]).includes(s);
}

/** Column order of the CSV export; the JSON view uses the same names (src/domain/audit/record.ts). */
export const AUDIT_CSV_COLUMNS = AUDIT_RECORD_FIELDS.map((f) => f.view) as ReadonlyArray<AuditField['view']>;

/** An audit record as the API, the JSON lines export and `audit list --json` show it. */
export type AuditRecordView = AuditRecordViewFields;

/** The field's value in the view: `time` as ISO 8601 UTC with milliseconds. */
function viewValue(f: AuditField, r: AuditRecord): unknown {
  const v = r[f.name];
  return f.kind === 'time' ? new Date(v as number).toISOString() : v;
}

export function auditRecordView(r: AuditRecord): AuditRecordView {
  const view: Record<string, unknown> = {};
  for (const f of AUDIT_RECORD_FIELDS) view[f.view] = viewValue(f, r);
  return view as AuditRecordView;
}

/** One JSON lines record, with its newline. */
export function auditJsonLine(r: AuditRecord): string {
  return `${JSON.stringify(auditRecordView(r))}\n`;
}

const NEEDS_QUOTES = /[",\r\n]/;

/**
 * Text a spreadsheet would run as a formula (=, +, -, @, tab, CR) gets a leading apostrophe, as
 * OWASP advises; so does text that starts with an apostrophe, so the parser can always remove
 * exactly one and the export still round-trips.
 */
const FORMULA_START = /^[=+\-@\t\r']/;

function csvField(v: string | number | null): string {
  if (v === null) return '';
  if (typeof v === 'number') return String(v);
  if (v.length === 0) return '""';
  const safe = FORMULA_START.test(v) ? `'${v}` : v;
  return NEEDS_QUOTES.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The CSV header row, with its CRLF. */
export function auditCsvHeader(): string {
  return `${AUDIT_CSV_COLUMNS.join(',')}\r\n`;
}

/** One CSV row, with its CRLF. */
export function auditCsvRow(r: AuditRecord): string {
  const cells = AUDIT_RECORD_FIELDS.map((f): string | number | null => {
    if (f.kind === 'json') return r[f.name] === null ? null : canonicalJson(r[f.name]);
    return viewValue(f, r) as string | number | null;
  });
  return `${cells.map(csvField).join(',')}\r\n`;
}

/**
 * Every record that matches the filter, newest first (the search's order: time, then seq), read a
 * page at a time by keyset on the last record's (ts, seq). Records appended while it runs are left
 * out, unless they are dated older than the page being read (a queued event written late).
 */
export async function* iterateAudit(
  store: Store,
  filter: AuditFilter,
  pageSize = 1000,
): AsyncGenerator<AuditRecord, void, undefined> {
  if (!Number.isSafeInteger(pageSize) || pageSize < 1) throw new RangeError('pageSize must be at least 1');
  let after: AuditPosition | undefined;
  for (;;) {
    const page = await store.audit.search(filter, pageSize, after);
    yield* page;
    const last = page[page.length - 1];
    if (page.length < pageSize || last === undefined) return;
    after = { ts: last.ts, seq: last.seq };
  }
}

/** Text chunks of an export of about `chunkSize` characters each: the CSV header comes first. */
export async function* auditExportChunks(
  records: AsyncIterable<AuditRecord>,
  format: AuditExportFormat,
  chunkSize = 64 * 1024,
): AsyncGenerator<string, void, undefined> {
  const line = format === 'csv' ? auditCsvRow : auditJsonLine;
  let buf = format === 'csv' ? auditCsvHeader() : '';
  for await (const r of records) {
    buf += line(r);
    if (buf.length >= chunkSize) {
      yield buf;
      buf = '';
    }
  }
  if (buf.length > 0) yield buf;
}

export class AuditCsvError extends Error {
  constructor(line: number, message: string) {
    super(`CSV line ${line}: ${message}`);
    this.name = 'AuditCsvError';
  }
}

/** A parsed CSV field: its text, and whether it was quoted (a quoted empty field is "", not null). */
interface Cell {
  text: string;
  quoted: boolean;
}

/** Splits RFC 4180 text into rows of cells. Strict: CRLF row ends, a final CRLF, no stray quotes. */
function splitCsv(text: string): Array<{ line: number; cells: Cell[] }> {
  const rows: Array<{ line: number; cells: Cell[] }> = [];
  let i = 0;
  let line = 1;
  while (i < text.length) {
    const startLine = line;
    const cells: Cell[] = [];
    for (;;) {
      let cell: Cell;
      if (text[i] === '"') {
        let value = '';
        i++;
        for (;;) {
          const q = text.indexOf('"', i);
          if (q < 0) throw new AuditCsvError(startLine, 'a quoted field is not closed');
          const part = text.slice(i, q);
          value += part;
          line += part.split('\n').length - 1;
          if (text[q + 1] === '"') {
            value += '"';
            i = q + 2;
          } else {
            i = q + 1;
            break;
          }
        }
        cell = { text: value, quoted: true };
        if (i < text.length && text[i] !== ',' && text[i] !== '\r') {
          throw new AuditCsvError(line, 'text after the closing quote of a field');
        }
      } else {
        let j = i;
        while (j < text.length && text[j] !== ',' && text[j] !== '\r' && text[j] !== '\n') {
          if (text[j] === '"') throw new AuditCsvError(line, 'a quote inside an unquoted field');
          j++;
        }
        cell = { text: text.slice(i, j), quoted: false };
        i = j;
      }
      cells.push(cell);
      if (text[i] === ',') {
        i++;
        continue;
      }
      if (text.startsWith('\r\n', i)) {
        i += 2;
        line++;
        break;
      }
      throw new AuditCsvError(
        line,
        i >= text.length ? 'the last row does not end with CRLF' : 'a row must end with CRLF',
      );
    }
    rows.push({ line: startLine, cells });
  }
  return rows;
}

const ISO_UTC_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;
/** Records written before the chain existed have empty hashes; every other hash is 64 hex digits. */
const HASH = /^([0-9a-f]{64})?$/;

/** A cell's text without the apostrophe csvField put before formula-like text; null for an empty field. */
function cellText(c: Cell): string | null {
  if (c.text === '' && !c.quoted) return null;
  return c.text.startsWith("'") ? c.text.slice(1) : c.text;
}

/** One field of a CSV row as the record's value, checked strictly. */
function parseField(f: AuditField, c: Cell, line: number): unknown {
  const name = f.view;
  if (f.kind === 'integer') {
    const n = Number(c.text);
    if (c.quoted || !/^(0|[1-9]\d*)$/.test(c.text) || !Number.isSafeInteger(n)) {
      throw new AuditCsvError(line, `${name} is not an integer: ${JSON.stringify(c.text)}`);
    }
    return n;
  }
  const text = cellText(c);
  if (text === null) {
    if (f.nullable) return null;
    throw new AuditCsvError(line, `${name} is empty`);
  }
  switch (f.kind) {
    case 'time': {
      const ts = Date.parse(text);
      if (!ISO_UTC_MS.test(text) || Number.isNaN(ts)) {
        throw new AuditCsvError(line, `${name} is not an ISO 8601 UTC time with milliseconds: ${text}`);
      }
      return ts;
    }
    case 'category':
      if (!isAuditCategory(text)) throw new AuditCsvError(line, `unknown category ${text}`);
      return text;
    case 'json': {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new AuditCsvError(line, `${name} is not JSON`);
      }
      if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
        throw new AuditCsvError(line, `${name} is not a JSON object`);
      }
      if (canonicalJson(parsed) !== text) throw new AuditCsvError(line, `${name} is not canonical JSON`);
      return parsed;
    }
    case 'hash':
      if (!HASH.test(text)) throw new AuditCsvError(line, `${name} must be 64 hex digits or empty`);
      return text;
    case 'string':
      return text;
  }
}

/**
 * Reads an audit CSV export back into records, strictly: the exact header, 20 fields per row,
 * integers where integers belong, ISO time, a known category, hashes, and details that are canonical
 * JSON objects. Throws AuditCsvError naming the line of the first problem (the first field, in
 * column order, that is wrong).
 */
export function parseAuditCsv(text: string): AuditRecord[] {
  const rows = splitCsv(text);
  const header = rows.shift();
  if (!header || header.cells.map((c) => c.text).join(',') !== AUDIT_CSV_COLUMNS.join(',')) {
    throw new AuditCsvError(1, `the header must be ${AUDIT_CSV_COLUMNS.join(',')}`);
  }
  return rows.map(({ line, cells }) => {
    if (cells.length !== AUDIT_RECORD_FIELDS.length) {
      throw new AuditCsvError(line, `${cells.length} fields where ${AUDIT_RECORD_FIELDS.length} belong`);
    }
    const record: Record<string, unknown> = {};
    AUDIT_RECORD_FIELDS.forEach((f, k) => {
      record[f.name] = parseField(f, cells[k] as Cell, line);
    });
    return record as AuditRecord;
  });
}
