/**
 * Lets a repeated log line through at most once per interval, so that an outage seen by every
 * request writes one line every few seconds rather than one per request.
 */
export class LogThrottle {
  private last = Number.NEGATIVE_INFINITY;
  private held = 0;

  constructor(
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** null: hold this line back. Otherwise log it: the number is how many were held back before it. */
  pass(): number | null {
    const t = this.now();
    if (t - this.last < this.intervalMs) {
      this.held++;
      return null;
    }
    this.last = t;
    const held = this.held;
    this.held = 0;
    return held;
  }
}

/** " (and N more like it since the last line)" or "". */
export function heldBack(n: number): string {
  return n > 0 ? ` (and ${n} more like it since the last line)` : '';
}
