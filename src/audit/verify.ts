import { ChainVerifier, type AnchorPoint, type ChainProblem, type PurgeNote } from '../domain/audit-chain.js';
import type { Store } from '../store/store.js';
import type { Anchor } from './anchors.js';

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
  const verifier = new ChainVerifier(start, map);
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
  const problem = anchorProblem ?? verifier.finish(head);
  return {
    ok: problem === null,
    checked: verifier.checked,
    fromSeq: start.seq,
    headSeq: head?.seq ?? null,
    problem,
    purges: verifier.purges,
    anchors: map.size,
    anchorsChecked: verifier.anchorsChecked,
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
