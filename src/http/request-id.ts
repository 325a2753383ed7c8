import { randomBytes } from 'node:crypto';

/** A request id the caller sent is kept when it is short and plain; anything else is replaced. */
const GIVEN = /^[A-Za-z0-9._:-]{1,64}$/;

/**
 * Request ids for log lines and audit records: a per-process random prefix and a counter, so making
 * one costs a string concatenation rather than a CSPRNG call per request.
 */
export function requestIds(): (given: string | string[] | undefined) => string {
  const prefix = randomBytes(4).toString('hex');
  let n = 0;
  return (given) => {
    if (typeof given === 'string' && GIVEN.test(given)) return given;
    n = (n + 1) % Number.MAX_SAFE_INTEGER;
    return `${prefix}-${n.toString(36)}`;
  };
}
