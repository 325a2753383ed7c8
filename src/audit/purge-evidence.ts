import type { AnchorPoint, ChainProblem, PurgeNote } from '../domain/audit/chain.js';

/**
 * Is a purge record telling the truth? Whoever can write the database can delete records, leave a
 * checkpoint and append a correctly hashed `audit.purged` record saying retention removed them: the
 * chain links. What gives such a forgery away is time and counts:
 *
 * - an anchor (written outside the database) at time T naming seq s: records after s were written
 *   after T. A purge at time P that removed any of them, with P - T less than its floor, removed
 *   records younger than the floor: retention never does that, whatever the record claims;
 * - the purge record's own `newestTs` (the latest purged record's ts, in records this version
 *   writes) must be older than its floor at P, and not older than such an anchor;
 * - a purge leaves at most maxRows - 1 of the records it saw (plus its own record), unless the
 *   floor stopped it (the next record is younger than the floor) or it hit its batch limit.
 */

const DAY_MS = 86_400_000;
/**
 * An event's ts is when it happened on its node; it reaches the chain after the writer's queue, and
 * node clocks differ. An hour covers both, and is far below any floor worth setting.
 */
export const ANCHOR_SLACK_MS = 3_600_000;

export interface PurgeEvidenceOptions {
  /** Anchors by seq, as the verifier gets them. */
  anchors: ReadonlyMap<number, AnchorPoint>;
  /** Records a purge batch looks at, at most (retention's PURGE_BATCH): a full batch may stop early. */
  batchLimit: number;
}

/** A maxRows purge that left more records than maxRows allows: verify reads the next record's ts. */
export interface HeldCheck {
  note: PurgeNote;
  /** Records older than the purge that it left (concurrent appends not counted). */
  left: number;
}

const iso = (ms: number): string => (Number.isFinite(ms) ? new Date(ms).toISOString() : String(ms));

/** The minimum age (ms) of every record the purge removed, by its own account. */
function minAgeMs(note: PurgeNote): { ms: number; days: number } {
  const d = note.details;
  const days = d.reason === 'retentionDays' ? Math.max(d.floorDays, d.retentionDays) : d.floorDays;
  return { ms: days * DAY_MS, days };
}

function forged(note: PurgeNote, why: string): ChainProblem {
  return {
    kind: 'modified',
    seq: note.seq,
    message: `the purge at #${note.seq} (${iso(note.ts)}) cannot be true: ${why}; the purge record was forged or the records were deleted outside retention`,
  };
}

/** Checks each purge record as the walk reaches it; collects maxRows purges that need the next record. */
export class PurgeEvidence {
  private readonly anchors: { seq: number; time: number; label: string }[];
  readonly held: HeldCheck[] = [];

  constructor(private readonly o: PurgeEvidenceOptions) {
    this.anchors = [...o.anchors.values()]
      .map((a) => ({ seq: a.seq, time: Date.parse(a.time), label: a.time }))
      .filter((a) => Number.isFinite(a.time));
  }

  /** For ChainVerifier: a problem, or null (and maybe a HeldCheck for later). */
  readonly check = (note: PurgeNote): ChainProblem | null => {
    const d = note.details;
    const age = minAgeMs(note);
    // The latest anchor before the newest purged record: that record was written after it.
    let before: { seq: number; time: number; label: string } | null = null;
    for (const a of this.anchors) if (a.seq < d.toSeq && (!before || a.time > before.time)) before = a;
    if (before && age.days > 0 && before.time - ANCHOR_SLACK_MS >= note.ts - age.ms) {
      return forged(
        note,
        `it removed records up to #${d.toSeq}, but the anchor of ${before.label} names record ${before.seq}, so records #${before.seq + 1}..#${d.toSeq} were written after it, less than ${age.days} days before the purge: younger than its floor of ${age.days} days`,
      );
    }
    if (d.newestTs !== undefined) {
      // A purge without a floor (0 days) claims no minimum age.
      if (age.days > 0 && d.newestTs >= note.ts - age.ms) {
        return forged(
          note,
          `its record says the newest record it removed was written at ${iso(d.newestTs)}, younger than its floor of ${age.days} days`,
        );
      }
      if (before && d.newestTs < before.time - ANCHOR_SLACK_MS) {
        return forged(
          note,
          `its record says the newest record it removed was written at ${iso(d.newestTs)}, but the anchor of ${before.label} names record ${before.seq}, so record #${d.toSeq} was written after it`,
        );
      }
    }
    if (note.concurrent !== null && d.purged < this.o.batchLimit) {
      const left = note.seq - 1 - d.toSeq - note.concurrent;
      if (left > d.maxRows - 1) this.held.push({ note, left });
    }
    return null;
  };
}

/**
 * A purge that left `left` records under maxRows: true only if the floor stopped it, that is the
 * record right after the purged ones (ts `nextTs`) was younger than the floor at the purge.
 */
export function checkHeld(h: HeldCheck, nextTs: number | null): ChainProblem | null {
  const d = h.note.details;
  if (nextTs === null || nextTs >= h.note.ts - d.floorDays * DAY_MS) return null;
  return forged(
    h.note,
    `it left ${h.left} records older than itself under audit.maxRows=${d.maxRows}, and the next one, #${d.toSeq + 1} of ${iso(nextTs)}, was older than its floor of ${d.floorDays} days: a real purge removes down to maxRows`,
  );
}

/** Where each anchor the walk did not meet went: the purge whose range holds it, if one is left. */
export function purgedAnchors(
  anchors: ReadonlyMap<number, AnchorPoint>,
  purges: readonly PurgeNote[],
  startSeq: number,
): { anchor: AnchorPoint; purgeSeq: number | null }[] {
  const out: { anchor: AnchorPoint; purgeSeq: number | null }[] = [];
  for (const a of [...anchors.values()].sort((x, y) => x.seq - y.seq)) {
    if (a.seq > startSeq) continue;
    const p = purges.find((n) => n.details.fromSeq <= a.seq && a.seq <= n.details.toSeq);
    out.push({ anchor: a, purgeSeq: p?.seq ?? null });
  }
  return out;
}
