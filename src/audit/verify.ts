import { ChainVerifier, type ChainProblem } from '../domain/audit-chain.js';
import type { Store } from '../store/store.js';

export interface VerifyResult {
  ok: boolean;
  /** Records whose hash and link were checked. */
  checked: number;
  /** Where the walk started: 0 (genesis) or a retention checkpoint's seq. */
  fromSeq: number;
  /** The chain head the database records, null for an empty log. */
  headSeq: number | null;
  problem: ChainProblem | null;
}

/** Records read per query while verifying. */
const PAGE = 2_000;

/**
 * Walks the whole audit chain from its start (genesis or the last retention checkpoint) to its
 * head, a page at a time, and reports the first record that was modified, deleted or reordered.
 */
export async function verifyAuditChain(
  store: Store,
  onProgress?: (checked: number) => void,
): Promise<VerifyResult> {
  const start = await store.audit.chainStart();
  const head = await store.audit.head();
  const verifier = new ChainVerifier(start);
  let after = start.seq;
  for (;;) {
    const rows = await store.audit.chainRows(after, PAGE);
    if (rows.length === 0) break;
    if (!verifier.feed(rows)) break;
    after = rows[rows.length - 1]?.seq ?? after;
    onProgress?.(verifier.checked);
    if (rows.length < PAGE) break;
  }
  const problem = verifier.finish(head);
  return {
    ok: problem === null,
    checked: verifier.checked,
    fromSeq: start.seq,
    headSeq: head?.seq ?? null,
    problem,
  };
}
