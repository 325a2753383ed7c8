import { hash, timingSafeEqual } from 'node:crypto';

/**
 * Tokens are stored and looked up by their SHA-256 digest, in hex.
 *
 * A tokengate token carries about 178 bits from the CSPRNG, so a fast hash is enough: nobody can
 * enumerate the input space, and a slow password hash would cost milliseconds on every request.
 * The one-shot `crypto.hash` is about three times faster than `createHash` for short inputs.
 */
export function hashToken(token: string): string {
  return hash('sha256', token, 'hex');
}

/** Compares two strings in time that does not depend on where they differ. */
export function constantTimeEqual(a: string, b: string): boolean {
  const ab = Buffer.from(a, 'utf8');
  const bb = Buffer.from(b, 'utf8');
  if (ab.length !== bb.length) {
    // Still spend the time of one comparison, so the length is the only thing that leaks.
    timingSafeEqual(ab, ab);
    return false;
  }
  return timingSafeEqual(ab, bb);
}
