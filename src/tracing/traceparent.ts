/**
 * W3C Trace Context's `traceparent` header (https://www.w3.org/TR/trace-context/):
 * `version-traceid-parentid-flags`, lower-case hex, `00-<32>-<16>-<2>`.
 */

export interface TraceParent {
  /** 32 lower-case hex digits, not all zero. */
  traceId: string;
  /** The caller's span: 16 lower-case hex digits, not all zero. */
  parentId: string;
  /** The trace flags; bit 0 is `sampled`. */
  flags: number;
}

/** Version 00's exact shape; a later version may append `-…` fields, which are ignored. */
const SHAPE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-|$)/;
const ZERO_TRACE = '00000000000000000000000000000000';
const ZERO_SPAN = '0000000000000000';
/** Version 00 is exactly this long: anything after it makes the header invalid. */
const V00_LENGTH = 55;

/**
 * The header's trace id, parent id and flags; null when it is absent or invalid (a new trace is
 * started then): two headers (node joins them with a comma), upper-case hex, version ff, an all-zero
 * id, or a version 00 header with more after it.
 */
export function parseTraceparent(header: string | string[] | undefined): TraceParent | null {
  if (typeof header !== 'string') return null;
  const m = SHAPE.exec(header);
  if (m === null) return null;
  const [, version = '', traceId = '', parentId = '', flags = ''] = m;
  if (version === 'ff') return null;
  if (version === '00' && header.length !== V00_LENGTH) return null;
  if (traceId === ZERO_TRACE || parentId === ZERO_SPAN) return null;
  return { traceId, parentId, flags: parseInt(flags, 16) };
}

/** The header tokengate sends onwards: version 00, its own span as the parent, only the sampled flag. */
export function formatTraceparent(traceId: string, spanId: string, sampled: boolean): string {
  return `00-${traceId}-${spanId}-${sampled ? '01' : '00'}`;
}
