import type { AuditEventFields, AuditRecordFields } from './record.js';

export { AUDIT_CATEGORIES, isAuditCategory, type AuditCategory } from './record.js';

/**
 * Always-on security events that no change caused. `security.blocked`: a client IP or a user name was
 * blocked for failing to authenticate too often (see src/auth/brute-force.ts).
 */
export const SECURITY_BLOCKED = 'security.blocked';

/**
 * One audit record, before storage assigns its id: the fields of src/domain/audit/record.ts that are
 * `inChain`. Never holds a secret or a token hash. `author` is the real authenticated user, `@cli` for
 * the command line, or `anonymous`.
 */
export type AuditEvent = AuditEventFields;

/**
 * A stored record: the event, its place in the hash chain (`seq`: 1, 2, 3… with no gaps, which
 * newest-first paging uses; `prevHash`, `hash`) and its row id.
 */
export type AuditRecord = AuditRecordFields;

/** Where a change came from: who, and the request it arrived in, if any. */
export interface RequestContext {
  author: string;
  sourceIp: string | null;
  proxyIp: string | null;
  requestId: string | null;
  method: string | null;
  endpoint: string | null;
}

// `(?<![0-9A-Za-z])` rather than `\b`: `_` is a word character (as in the log's redaction).
const TOKEN_LIKE = /(?<![0-9A-Za-z])([a-z][a-z0-9]{1,15})_[0-9A-Za-z]{36}(?![0-9A-Za-z])/g;

/**
 * A client-supplied field (a request id, a path) with anything shaped like a token masked, as the log
 * masks it: a client that put its token in X-Request-Id or in the URL must not have it kept for
 * years in the tamper-evident audit log.
 */
export function maskTokens<T extends string | null>(text: T): T {
  return (text === null ? null : text.replace(TOKEN_LIKE, '$1_***')) as T;
}

/** Builds an event from the request context; the caller supplies what happened. */
export function auditEvent(
  ctx: RequestContext,
  nodeId: string,
  ts: number,
  e: Pick<AuditEvent, 'category' | 'action' | 'summary'> & Partial<AuditEvent>,
): AuditEvent {
  return {
    affectedUser: null,
    tokenId: null,
    tokenDescription: null,
    outcome: 'success',
    details: null,
    ...e,
    ts,
    author: ctx.author,
    sourceIp: ctx.sourceIp,
    proxyIp: ctx.proxyIp,
    nodeId,
    requestId: maskTokens(ctx.requestId),
    method: ctx.method,
    endpoint: maskTokens(ctx.endpoint),
  };
}

/** The action of the record a retention purge leaves behind, in the purge's own transaction. */
export const AUDIT_PURGED = 'audit.purged';
/** The author of purge records: the retention job, acting under settings someone else set. */
export const RETENTION_AUTHOR = '@retention';

/** Why records were purged: older than `audit.retentionDays`, beyond `audit.maxRows`, or some of each. */
export type PurgeReason = 'retentionDays' | 'maxRows' | 'retentionDays+maxRows';

/** Who last set a retention setting (from the settings table), or `default` when no one did. */
export interface SettingAuthor {
  by: string;
  at: number | null;
}

/** What one purge batch removed and under which settings: the details of its `audit.purged` record. */
export interface PurgeDetails {
  reason: PurgeReason;
  purged: number;
  fromSeq: number;
  toSeq: number;
  firstHash: string;
  lastHash: string;
  retentionDays: number;
  maxRows: number;
  floorDays: number;
  retentionDaysSetBy: string;
  maxRowsSetBy: string;
  /**
   * The latest `ts` among the purged records (epoch ms). Purge records written before this field
   * existed lack it. `audit verify` checks it against the purge's own floor and against the anchors.
   */
  newestTs?: number;
}

/** One retention purge batch: the limits it applies, and what its purge record says about them. */
export interface PurgeRequest {
  /** Records older than this (epoch ms) are past `audit.retentionDays`. */
  before: number;
  /** Records at or after this (epoch ms) are younger than the retention floor: never purged. */
  floor: number;
  maxRows: number;
  /** Records looked at, at most. */
  limit: number;
  now: number;
  nodeId: string;
  retentionDays: number;
  floorDays: number;
}

export interface PurgeResult {
  purged: number;
  /** Records beyond `audit.maxRows` that the floor kept (0 when the log is within maxRows). */
  heldByFloor: number;
}

/** The purge record, chained like any other record; it outlives the records it names. */
export function purgeEvent(d: PurgeDetails, nodeId: string, ts: number): AuditEvent {
  const setting =
    d.reason === 'maxRows'
      ? `audit.maxRows=${d.maxRows} set by ${d.maxRowsSetBy}`
      : d.reason === 'retentionDays'
        ? `audit.retentionDays=${d.retentionDays} set by ${d.retentionDaysSetBy}`
        : `audit.retentionDays=${d.retentionDays} set by ${d.retentionDaysSetBy} and audit.maxRows=${d.maxRows} set by ${d.maxRowsSetBy}`;
  return {
    ts,
    category: 'logging',
    action: AUDIT_PURGED,
    summary: `Retention purged ${d.purged} audit record(s), seq ${d.fromSeq} to ${d.toSeq}, under ${setting}`,
    author: RETENTION_AUTHOR,
    affectedUser: null,
    tokenId: null,
    tokenDescription: null,
    sourceIp: null,
    proxyIp: null,
    nodeId,
    requestId: null,
    method: null,
    endpoint: null,
    outcome: 'success',
    details: { ...d },
  };
}

/** Reads a purge record's details back (verify walks the chain as stored text); null if it is not one. */
export function parsePurgeDetails(action: string, detailsText: string | null): PurgeDetails | null {
  if (action !== AUDIT_PURGED || detailsText === null) return null;
  try {
    const d = JSON.parse(detailsText) as Partial<PurgeDetails>;
    const nums = [d.purged, d.fromSeq, d.toSeq, d.retentionDays, d.maxRows, d.floorDays];
    if (!nums.every((n) => typeof n === 'number' && Number.isSafeInteger(n))) return null;
    if (d.newestTs !== undefined && !Number.isSafeInteger(d.newestTs)) return null;
    return d as PurgeDetails;
  } catch {
    return null;
  }
}
