import { ChainVerifier, type AnchorPoint, type ChainProblem, type PurgeNote } from '../domain/audit/chain.js';
import type { Store } from '../store/store.js';
import type { Anchor } from './anchors.js';
import { checkHeld, purgedAnchors, PurgeEvidence } from './purge-evidence.js';
import { PURGE_BATCH } from './retention.js';

export interface VerifyResult {
  ok: boolean;
  /** Records whose hash and link were checked. */
  checked: number;
  /** Where the walk started: 0 (genesis) or a retention checkpoint's seq. */
  fromSeq: number;
  /** The chain head the database records, null for an empty log (or a deleted head row). */
  headSeq: number | null;
  problem: ChainProblem | null;
  /** The purge records the walk passed, oldest first. */
  purges: PurgeNote[];
  /** Anchors given, and how many of them named a record the walk found with the anchored hash. */
  anchors: number;
  anchorsChecked: number;
  /** Anchors naming records that retention removed since, each with the purge record that covers it (null: that purge record was purged too). */
  anchorsPurged: { anchor: AnchorPoint; purgeSeq: number | null }[];
}

export interface VerifyOptions {
  onProgress?: (checked: number) => void;
  /** Chain heads written outside the database (the anchor file); checked against the records. */
  anchors?: readonly Anchor[];
}

/** Records read per query while verifying. */
const PAGE = 2_000;

/** Anchors by seq; two anchors that disagree on one seq are a problem of their own. */
function anchorMap(anchors: readonly Anchor[]): {
  map: Map<number, AnchorPoint>;
  problem: ChainProblem | null;
} {
  const map = new Map<number, AnchorPoint>();
  for (const a of anchors) {
    const seen = map.get(a.seq);
    if (seen && seen.hash !== a.hash) {
      return {
        map,
        problem: {
          kind: 'modified',
          seq: a.seq,
          message: `the anchors of ${seen.time} and ${a.time} name different hashes for record ${a.seq}: the chain was rewritten between them`,
        },
      };
    }
    if (!seen) map.set(a.seq, { seq: a.seq, hash: a.hash, time: a.time });
  }
  return { map, problem: null };
}

/**
 * Walks the whole audit chain from its start (genesis or the last retention checkpoint) to its
 * head, a page at a time, and reports the first record that was modified, deleted or reordered, a
 * missing head row, and any anchor the records no longer match. Purge records are collected.
 */
export async function verifyAuditChain(store: Store, options: VerifyOptions = {}): Promise<VerifyResult> {
  const start = await store.audit.chainStart();
  const head = await store.audit.head();
  const { map, problem: anchorProblem } = anchorMap(options.anchors ?? []);
  const evidence = new PurgeEvidence({ anchors: map, batchLimit: PURGE_BATCH });
  const verifier = new ChainVerifier(start, map, evidence.check);
  let after = start.seq;
  if (!anchorProblem) {
    for (;;) {
      const rows = await store.audit.chainRows(after, PAGE);
      if (rows.length === 0) break;
      if (!verifier.feed(rows)) break;
      after = rows[rows.length - 1]?.seq ?? after;
      options.onProgress?.(verifier.checked);
      if (rows.length < PAGE) break;
    }
  }
  let problem = anchorProblem ?? verifier.finish(head);
  // Purges that left more than maxRows: true only if the floor stopped them at the next record.
  for (const h of problem ? [] : evidence.held) {
    const next = (await store.audit.chainRows(h.note.details.toSeq, 1))[0];
    problem = checkHeld(h, next?.seq === h.note.details.toSeq + 1 ? next.ts : null);
    if (problem) break;
  }
  return {
    ok: problem === null,
    checked: verifier.checked,
    fromSeq: start.seq,
    headSeq: head?.seq ?? null,
    problem,
    purges: verifier.purges,
    anchors: map.size,
    anchorsChecked: verifier.anchorsChecked,
    anchorsPurged: purgedAnchors(map, verifier.purges, start.seq),
  };
}

/** `purge at #N: 1,234 records #a..#b removed under audit.maxRows=1000 set by alice` */
export function describePurge(p: PurgeNote): string {
  const d = p.details;
  const under: string[] = [];
  if (d.reason !== 'maxRows')
    under.push(`audit.retentionDays=${d.retentionDays} set by ${d.retentionDaysSetBy}`);
  if (d.reason !== 'retentionDays') under.push(`audit.maxRows=${d.maxRows} set by ${d.maxRowsSetBy}`);
  const n = d.purged.toLocaleString('en-US');
  return `purge at #${p.seq}: ${n} record${d.purged === 1 ? '' : 's'} #${d.fromSeq}..#${d.toSeq} removed under ${under.join(' and ')} (floor ${d.floorDays} days)`;
}

/**
 * `the anchor of <time> (#4) was purged by the purge at #1114`, or for several anchors of one purge
 * `3 anchors (#2..#4, <first time> to <last time>) were purged by the purge at #1114`.
 */
export function describePurgedAnchors(purged: VerifyResult['anchorsPurged']): string[] {
  const byPurge = new Map<number | null, AnchorPoint[]>();
  for (const { anchor, purgeSeq } of purged)
    byPurge.set(purgeSeq, [...(byPurge.get(purgeSeq) ?? []), anchor]);
  const out: string[] = [];
  for (const [purgeSeq, anchors] of byPurge) {
    const by =
      purgeSeq === null ? 'by purges whose own records were purged since' : `by the purge at #${purgeSeq}`;
    const first = anchors[0];
    const last = anchors[anchors.length - 1];
    if (!first || !last) continue;
    out.push(
      anchors.length === 1
        ? `the anchor of ${first.time} (#${first.seq}) was purged ${by}`
        : `${anchors.length} anchors (#${first.seq}..#${last.seq}, ${first.time} to ${last.time}) were purged ${by}`,
    );
  }
  return out;
}
