import { hash } from 'node:crypto';
import { parsePurgeDetails, type AuditEvent, type PurgeDetails } from './audit.js';
import { AUDIT_CHAIN_FIELDS, chainKey, type AuditChainFields } from './record.js';

/**
 * Tamper evidence for the audit log: one hash chain over every record. Each record stores
 * `hash = SHA-256(prevHash, canonical content)`, where prevHash is the previous record's hash (or
 * the genesis value, or a retention checkpoint). Records carry a contiguous sequence number `seq`.
 * Editing a record breaks its hash; deleting one leaves a gap or a broken link; moving one breaks
 * the links around it. The sequence is not hashed, so a reordering shows as a link mismatch rather
 * than as an edit.
 *
 * Several nodes append to one chain: the chain head is a database row that each appending
 * transaction locks (PostgreSQL `SELECT … FOR UPDATE`; SQLite serializes writers anyway), so the
 * order of seq is the commit order.
 */
export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted at every depth, so the same details always hash the same. */
export function canonicalJson(value: unknown): string {
  if (value === undefined) return 'null';
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

/**
 * The hashed content of a record, exactly as stored (details as its stored canonical text): the
 * `inChain` fields of src/domain/audit/record.ts, `details` as `detailsText`.
 */
export type ChainContent = AuditChainFields;

/** The hashed fields, in their order, each with its key in ChainContent and in the event. */
const CHAIN = AUDIT_CHAIN_FIELDS.map((f) => ({ name: f.name, key: chainKey(f), json: f.kind === 'json' }));
const CHAIN_KEYS = CHAIN.map((f) => f.key);

/** The position of the details' text among the hashed values. */
const DETAILS_INDEX = CHAIN_KEYS.indexOf('detailsText');

export function chainContent(e: AuditEvent): ChainContent {
  const c: Record<string, unknown> = {};
  for (const f of CHAIN) {
    const v = e[f.name];
    c[f.key] = f.json && v !== null ? canonicalJson(v) : v;
  }
  return c as ChainContent;
}

type ChainValue = ChainContent[keyof ChainContent];

/** The hashed values of a record, in their fixed order. */
export function chainValues(c: ChainContent): ChainValue[] {
  const values = new Array<ChainValue>(CHAIN.length);
  for (let i = 0; i < CHAIN.length; i++) values[i] = c[CHAIN_KEYS[i] as keyof ChainContent];
  return values;
}

/**
 * An event's hashed values, in their fixed order, and its details' canonical text: chainValues of
 * chainContent, without building the content object (appends run it once per event).
 */
export function eventChainValues(e: AuditEvent): { values: ChainValue[]; detailsText: string | null } {
  const values = new Array<ChainValue>(CHAIN.length);
  for (let i = 0; i < CHAIN.length; i++) {
    const f = CHAIN[i] as (typeof CHAIN)[number];
    const v = e[f.name];
    values[i] = f.json && v !== null ? canonicalJson(v) : (v as ChainValue);
  }
  return { values, detailsText: values[DETAILS_INDEX] as string | null };
}

/**
 * The hashed fields of a record as one JSON array, in a fixed order. Writers that also need the
 * fields serialized (the PostgreSQL insert) reuse this text instead of serializing twice.
 */
export function chainFieldsJson(c: ChainContent): string {
  return JSON.stringify(chainValues(c));
}

/** SHA-256 over the previous hash, a newline and the fields' JSON (see chainFieldsJson). */
export function chainHash(prevHash: string, fieldsJson: string): string {
  // One-shot hash of the concatenation: the same bytes as three update() calls, without a Hash object.
  return hash('sha256', `${prevHash}\n${fieldsJson}`, 'hex');
}

export function recordHash(prevHash: string, c: ChainContent): string {
  return chainHash(prevHash, chainFieldsJson(c));
}

export interface ChainRow extends ChainContent {
  seq: number;
  prevHash: string;
  hash: string;
}

export type ChainProblem =
  | { kind: 'modified'; seq: number; message: string }
  | { kind: 'deleted'; seq: number; message: string }
  | { kind: 'reordered'; seq: number; message: string };

/** Where verification starts: the genesis, or the checkpoint the last retention purge left. */
export interface ChainStart {
  seq: number;
  hash: string;
}

/** A chain head written outside the database at some moment (src/audit/anchors.ts). */
export interface AnchorPoint {
  seq: number;
  hash: string;
  /** When it was written, for the report. */
  time: string;
}

/** A purge record the walk passed: where it sits in the chain and what it says was removed. */
export interface PurgeNote {
  seq: number;
  /** The purge record's own ts: when the purge pass ran. */
  ts: number;
  details: PurgeDetails;
  /**
   * Records between the purged range and the purge record that look appended while the purge ran
   * (ts within CONCURRENT_MS of the purge, counted back from it); null when the walk cannot tell
   * (part of that range was purged later, or it reaches back beyond the recent records remembered).
   */
  concurrent: number | null;
}

/** Judges a purge record as the walk reaches it (src/audit/purge-evidence.ts); null when it holds. */
export type PurgeCheck = (note: PurgeNote) => ChainProblem | null;

/** How many recent hashes (and timestamps) the verifier remembers. */
const RECENT = 4096;
/**
 * On PostgreSQL other nodes append while a purge batch runs, between the purge's look at the newest
 * record and its own record; their events are dated about when the purge ran. One minute covers a
 * batch and the writer's queue.
 */
export const CONCURRENT_MS = 60_000;

/**
 * Walks the chain in seq order, a page at a time, and stops at the first problem. Pure: the caller
 * feeds rows (each page sorted by seq) and finally the chain head the database records.
 */
export class ChainVerifier {
  private expectedSeq: number;
  private prevHash: string;
  private readonly recent = new Map<string, number>();
  private readonly recentTs = new Float64Array(RECENT);
  private pending: ChainRow | null = null;
  private readonly startSeq: number;
  problem: ChainProblem | null = null;
  checked = 0;
  /** Anchored records found in the walk with their anchored hash. */
  anchorsChecked = 0;
  readonly purges: PurgeNote[] = [];

  /**
   * `anchors` by seq: each anchored record must be walked over with the anchored hash, or lie at or
   * below the seq that a purge record in the chain says it removed.
   */
  constructor(
    start: ChainStart,
    private readonly anchors: ReadonlyMap<number, AnchorPoint> = new Map(),
    private readonly checkPurge: PurgeCheck = () => null,
  ) {
    this.startSeq = start.seq;
    this.expectedSeq = start.seq + 1;
    this.prevHash = start.hash;
  }

  /** Feeds the next rows; returns false once a problem is found. */
  feed(rows: readonly ChainRow[]): boolean {
    for (const row of rows) {
      if (this.problem) return false;
      if (this.pending) this.check(this.pending, row);
      this.pending = row;
    }
    return this.problem === null;
  }

  /**
   * Ends the walk: checks the last row, that nothing after it was removed, that the head row exists
   * while records or a checkpoint do, and every anchor the walk did not meet.
   */
  finish(head: ChainStart | null): ChainProblem | null {
    if (this.problem) return this.problem;
    if (this.pending) this.check(this.pending, null);
    // check() may have found a problem in the last row.
    const found = this.problem as ChainProblem | null;
    if (found) return found;
    const last = this.expectedSeq - 1;
    if (!head && (this.checked > 0 || this.startSeq > 0)) {
      // Every append moves the head row: records without it mean it was deleted.
      this.problem = {
        kind: 'deleted',
        seq: last + 1,
        message: `the chain head row is missing while the records reach seq ${last}: the head (and maybe the newest records) was deleted`,
      };
    } else if (head && head.seq !== last) {
      this.problem = {
        kind: 'deleted',
        seq: last + 1,
        message: `the chain head is at seq ${head.seq}, but the records end at seq ${last}: the newest records were deleted`,
      };
    } else if (head && head.seq > 0 && head.hash !== this.prevHash) {
      this.problem = {
        kind: 'modified',
        seq: last,
        message: `the chain head's hash does not match record ${last}`,
      };
    }
    return this.problem ?? this.unmetAnchors(last);
  }

  /** Anchors outside the walked range: past the end (truncated), or purged without a purge record. */
  private unmetAnchors(last: number): ChainProblem | null {
    const purgedTo = this.purges.reduce((m, p) => Math.max(m, p.details.toSeq), 0);
    let beyond: AnchorPoint | null = null;
    let uncovered: AnchorPoint | null = null;
    for (const a of this.anchors.values()) {
      if (a.seq > last && (!beyond || a.seq > beyond.seq)) beyond = a;
      if (a.seq <= this.startSeq && a.seq > purgedTo && (!uncovered || a.seq < uncovered.seq)) uncovered = a;
    }
    if (beyond) {
      this.problem = {
        kind: 'deleted',
        seq: last + 1,
        message: `the anchor of ${beyond.time} names record ${beyond.seq}, but the records end at seq ${last}: the newest records were deleted and the head moved back`,
      };
    } else if (uncovered) {
      this.problem = {
        kind: 'deleted',
        seq: uncovered.seq,
        message: `the anchor of ${uncovered.time} names record ${uncovered.seq}, which is gone and no purge record covers it: records were deleted outside retention`,
      };
    }
    return this.problem;
  }

  /** Records in (toSeq, purge) dated within CONCURRENT_MS of the purge, newest first; see PurgeNote. */
  private concurrent(purge: ChainRow, toSeq: number): number | null {
    if (toSeq < this.startSeq) return null;
    let n = 0;
    for (let s = purge.seq - 1; s > toSeq; s--) {
      if (purge.seq - s > RECENT) return null;
      if ((this.recentTs[s % RECENT] ?? 0) < purge.ts - CONCURRENT_MS) break;
      n++;
    }
    return n;
  }

  private check(row: ChainRow, next: ChainRow | null): void {
    if (row.seq !== this.expectedSeq) {
      this.problem = {
        kind: 'deleted',
        seq: this.expectedSeq,
        message:
          row.seq > this.expectedSeq
            ? row.seq - 1 > this.expectedSeq
              ? `records ${this.expectedSeq}–${row.seq - 1} are missing`
              : `record ${this.expectedSeq} is missing`
            : `seq ${row.seq} appears where ${this.expectedSeq} was expected`,
      };
      return;
    }
    if (recordHash(row.prevHash, row) !== row.hash) {
      this.problem = {
        kind: 'modified',
        seq: row.seq,
        message: `record ${row.seq} was modified: its content does not match its hash`,
      };
      return;
    }
    if (row.prevHash !== this.prevHash) {
      const moved = (next !== null && next.hash === row.prevHash) || this.recent.has(row.prevHash);
      this.problem = moved
        ? {
            kind: 'reordered',
            seq: row.seq,
            message: `record ${row.seq} is out of order: it follows a different record than the one before it`,
          }
        : {
            kind: 'deleted',
            seq: row.seq,
            message: `the record before ${row.seq} is missing or was moved: its link points to a record that is not where it should be`,
          };
      return;
    }
    const anchor = this.anchors.get(row.seq);
    if (anchor) {
      if (anchor.hash !== row.hash) {
        this.problem = {
          kind: 'modified',
          seq: row.seq,
          message: `record ${row.seq} does not match the anchor of ${anchor.time}: the chain was rewritten after it was anchored`,
        };
        return;
      }
      this.anchorsChecked++;
    }
    const purge = parsePurgeDetails(row.action, row.detailsText);
    if (purge) {
      const note = {
        seq: row.seq,
        ts: row.ts,
        details: purge,
        concurrent: this.concurrent(row, purge.toSeq),
      };
      this.purges.push(note);
      const problem = this.checkPurge(note);
      if (problem) {
        this.problem = problem;
        return;
      }
    }
    this.recentTs[row.seq % RECENT] = row.ts;
    this.recent.set(row.hash, row.seq);
    if (this.recent.size > RECENT) {
      const oldest = this.recent.keys().next();
      if (!oldest.done) this.recent.delete(oldest.value);
    }
    this.prevHash = row.hash;
    this.expectedSeq = row.seq + 1;
    this.checked++;
  }
}
