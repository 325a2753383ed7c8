import type { Selectable } from 'kysely';
import type { AuditEvent, AuditRecord } from '../domain/audit/audit.js';
import type { ChainRow } from '../domain/audit/chain.js';
import {
  AUDIT_CHAIN_FIELDS,
  AUDIT_RECORD_FIELDS,
  chainKey,
  type AuditField,
} from '../domain/audit/record.js';
import type { AuditTable } from './schema.js';

/**
 * The audit_log table's rows and the records, derived from the fields' declaration
 * (src/domain/audit/record.ts): reading a row back as a record or as the verifier's chain row, and
 * the columns and statements an append writes (AuditRepo.append).
 */

type AuditRow = Selectable<AuditTable>;

/** Every audit_log column is a declared field (and every field's column is one: toAuditRecord). */
const _everyColumnDeclared: Exclude<keyof AuditTable, AuditField['column']> extends never ? true : false =
  true;

/** A column's value as the record's (or the hashed content's, `asText`) value of the field. */
function fromColumn(f: AuditField, v: AuditRow[keyof AuditRow], asText: boolean): unknown {
  switch (f.kind) {
    case 'integer':
    case 'time':
      return Number(v);
    case 'json':
      return v === null || asText ? v : (JSON.parse(v as string) as unknown);
    case 'hash':
      return v ?? '';
    default:
      return v;
  }
}

/** A stored row as an AuditRecord (details parsed). */
export function toAuditRecord(r: AuditRow): AuditRecord {
  const record: Record<string, unknown> = {};
  for (const f of AUDIT_RECORD_FIELDS) record[f.name] = fromColumn(f, r[f.column], false);
  return record as AuditRecord;
}

type LinkField = Extract<AuditField, { inChain: false; generated: false }>;

/** The fields that place a record in the chain (seq, prevHash, hash): an append writes them last. */
export const LINK_FIELDS = AUDIT_RECORD_FIELDS.filter((f): f is LinkField => !f.inChain && !f.generated);

/** The fields of a ChainRow: the links, and the hashed fields under their ChainContent keys. */
const CHAIN_ROW_FIELDS: ReadonlyArray<{ field: AuditField; key: string }> = [
  ...LINK_FIELDS.map((f) => ({ field: f, key: f.name })),
  ...AUDIT_CHAIN_FIELDS.map((f) => ({ field: f, key: chainKey(f) })),
];

/** A stored row as the verifier reads it: the hashed content as stored (details as text). */
export function toChainRow(r: AuditRow): ChainRow {
  const row: Record<string, unknown> = {};
  for (const { field, key } of CHAIN_ROW_FIELDS) row[key] = fromColumn(field, r[field.column], true);
  return row as unknown as ChainRow;
}

/** An event placed in the chain, ready to be written. */
export interface ChainedEvent {
  event: AuditEvent;
  detailsText: string | null;
  /** The hashed values, in the order of the chain's fields (eventChainValues). */
  values: unknown[];
  /** The hashed fields as JSON (chainFieldsJson). */
  fieldsJson: string;
  seq: number;
  prevHash: string;
  hash: string;
}

/**
 * The record an append stored: the same fields toAuditRecord reads back, in the declaration's order.
 * Written out rather than looped over the declaration: appends build one per event, and an object
 * filled key by key from a list is several times slower. The compiler holds the literal to
 * AuditRecord, which derives from the declaration, so a field added there is an error here until
 * it is written.
 */
export function storedRecord(r: ChainedEvent, id: number): AuditRecord {
  const e = r.event;
  const record: AuditRecord = {
    seq: r.seq,
    id,
    ts: e.ts,
    category: e.category,
    action: e.action,
    summary: e.summary,
    author: e.author,
    affectedUser: e.affectedUser,
    tokenId: e.tokenId,
    tokenDescription: e.tokenDescription,
    sourceIp: e.sourceIp,
    proxyIp: e.proxyIp,
    nodeId: e.nodeId,
    requestId: e.requestId,
    method: e.method,
    endpoint: e.endpoint,
    outcome: e.outcome,
    details: r.detailsText === null ? null : (JSON.parse(r.detailsText) as AuditRecord['details']),
    prevHash: r.prevHash,
    hash: r.hash,
  };
  return record;
}

/** The columns an append writes, in the order of its values: the hashed fields, then the links. */
const APPEND_FIELDS: readonly AuditField[] = [...AUDIT_CHAIN_FIELDS, ...LINK_FIELDS];
const APPEND_COLUMNS = APPEND_FIELDS.map((f) => f.column);

/**
 * Rows per SQLite INSERT: SQLite binds at most 32766 parameters, 19 (APPEND_COLUMNS) per row here.
 * Kysely's SQLite driver prepares every statement anew, and preparing costs about the same per row at any size.
 */
export const SQLITE_ROWS_PER_INSERT = 500;

const SQLITE_ROW_PLACEHOLDER = `(${APPEND_COLUMNS.map(() => '?').join(',')})`;
const sqliteInsertText = new Map<number, string>();

/** `insert into audit_log (…) values (?,…),(?,…)…` for n rows; the texts are built once. */
export function sqliteInsert(n: number): string {
  let text = sqliteInsertText.get(n);
  if (text === undefined) {
    text = `insert into audit_log (${APPEND_COLUMNS.join(', ')}) values ${new Array<string>(n).fill(SQLITE_ROW_PLACEHOLDER).join(',')}`;
    // Batches are mostly full; remember the other sizes only while they are few.
    if (n === SQLITE_ROWS_PER_INSERT || sqliteInsertText.size < 16) sqliteInsertText.set(n, text);
  }
  return text;
}

/** The batch as `[[ts, category, …, seq, prev_hash, hash], …]` in one jsonb parameter. */
export const PG_APPEND_SQL = `insert into audit_log (${APPEND_COLUMNS.join(', ')}) select ${APPEND_FIELDS.map(
  (f, k) => (f.kind === 'integer' || f.kind === 'time' ? `(r->>${k})::bigint` : `r->>${k}`),
).join(', ')} from jsonb_array_elements($1::jsonb) as t(r) returning id, seq`;

/**
 * JSON.stringify writes a lone UTF-16 surrogate as a `\udXXX` escape, which PostgreSQL's jsonb
 * refuses; sent as a plain parameter it became U+FFFD. Rewrites such escapes to `\ufffd`, so a
 * record stores what it stored before. Escaped backslashes (`\\`) are consumed as pairs.
 */
export function wellFormedJson(json: string): string {
  if (!/\\ud[89a-f]/.test(json)) return json;
  return json.replace(/\\(ud[89a-f][0-9a-f]{2}|[^])/g, (m, esc: string) =>
    esc.length === 5 ? '\\ufffd' : m,
  );
}
