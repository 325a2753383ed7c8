import { BASE62_ALPHABET, encodeBase62, randomBase62 } from './base62.js';

/**
 * A tokengate token is `<prefix>_<30 random base62><6 base62 of the CRC32 of the random part>`.
 *
 * The prefix makes a leaked token findable by secret scanners; the checksum lets anyone tell a token
 * from a password or a typo offline, without a database lookup.
 */
export const DEFAULT_TOKEN_PREFIX = 'tgp';
export const RANDOM_LENGTH = 30;
export const CHECKSUM_LENGTH = 6;
export const BODY_LENGTH = RANDOM_LENGTH + CHECKSUM_LENGTH;

/** Prefixes are 2 to 16 characters: a lower-case letter, then lower-case letters and digits. */
export const PREFIX_PATTERN = /^[a-z][a-z0-9]{1,15}$/;

/** The longest prefix PREFIX_PATTERN allows. */
export const MAX_PREFIX_LENGTH = 16;

/** Longest string that can be a token: a 16-character prefix, the separator and the body. */
export const MAX_TOKEN_LENGTH = MAX_PREFIX_LENGTH + 1 + BODY_LENGTH;

/** The value of each base62 character by char code, -1 for anything else. */
const BASE62_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE62_ALPHABET.length; i++) BASE62_VALUE[BASE62_ALPHABET.charCodeAt(i)] = i;

/** The CRC-32 (IEEE 802.3, as zlib computes it) lookup table. */
const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c;
}

/**
 * CRC-32 of `s.slice(from, to)`, whose characters are all ASCII (base62). Table-driven in JavaScript:
 * for 30 characters it is several times faster than zlib's, whose cost is the call and the encoding.
 */
export function crc32Ascii(s: string, from = 0, to = s.length): number {
  let c = -1;
  for (let i = from; i < to; i++) c = (CRC_TABLE[(c ^ s.charCodeAt(i)) & 0xff] ?? 0) ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** The checksum of a token's random part: CRC32, base62, six characters. */
export function checksum(randomPart: string): string {
  return encodeBase62(crc32Ascii(randomPart), CHECKSUM_LENGTH);
}

/**
 * True when `candidate.slice(start)` is a token body: 36 base62 characters whose last six encode
 * the CRC32 of the first 30. One pass, no allocation; this runs on every authenticated request.
 */
function validBody(candidate: string, start: number): boolean {
  let crc = -1;
  const randomEnd = start + RANDOM_LENGTH;
  for (let i = start; i < randomEnd; i++) {
    const code = candidate.charCodeAt(i);
    if (code > 127 || (BASE62_VALUE[code] ?? -1) < 0) return false;
    crc = (CRC_TABLE[(crc ^ code) & 0xff] ?? 0) ^ (crc >>> 8);
  }
  let sum = 0;
  for (let i = randomEnd; i < randomEnd + CHECKSUM_LENGTH; i++) {
    const code = candidate.charCodeAt(i);
    const v = code > 127 ? -1 : (BASE62_VALUE[code] ?? -1);
    if (v < 0) return false;
    sum = sum * 62 + v;
  }
  return sum === (crc ^ -1) >>> 0;
}

/**
 * The prefix of a well-formed token (valid prefix, exact length, matching checksum), else null.
 * The request path's check: it allocates only the prefix string.
 */
export function tokenPrefix(candidate: string): string | null {
  const n = candidate.length;
  if (n > MAX_TOKEN_LENGTH) return null;
  const sep = n - BODY_LENGTH - 1;
  if (sep < 2 || candidate.charCodeAt(sep) !== 95 /* _ */) return null;
  if (!validBody(candidate, sep + 1)) return null;
  const prefix = candidate.slice(0, sep);
  return PREFIX_PATTERN.test(prefix) ? prefix : null;
}

/**
 * The token prefix a secret claims: `<prefix>_` at its start, the prefix in any case, after leading
 * whitespace or control characters (Tomcat and Java's `trim()` drop them). Null when it claims none.
 *
 * A secret that claims one of this installation's prefixes but is not a well-formed token (a wrong
 * checksum, a missing or extra character: a typo or a truncated copy) is a near-token: the client meant
 * a token, so it is refused as a malformed token, never passed on as a password (issue 14). Only the
 * slow path runs this: a warm token is found by its hash first.
 */
export function claimedPrefix(secret: string): string | null {
  let start = 0;
  while (start < secret.length && secret.charCodeAt(start) <= 0x20) start++;
  const limit = Math.min(secret.length, start + MAX_PREFIX_LENGTH + 1);
  for (let i = start + 2; i < limit; i++) {
    if (secret.charCodeAt(i) === 95 /* _ */) {
      const prefix = secret.slice(start, i).toLowerCase();
      return PREFIX_PATTERN.test(prefix) ? prefix : null;
    }
  }
  return null;
}

/** Creates a new token with the given prefix. The random part comes from the CSPRNG (about 178 bits). */
export function generateToken(prefix: string = DEFAULT_TOKEN_PREFIX): string {
  if (!PREFIX_PATTERN.test(prefix)) throw new TypeError(`invalid token prefix: ${prefix}`);
  const random = randomBase62(RANDOM_LENGTH);
  return `${prefix}_${random}${checksum(random)}`;
}

export interface ParsedToken {
  prefix: string;
  random: string;
  checksum: string;
}

/**
 * Parses a string that may be a tokengate token. Returns null unless it has a valid prefix, the exact
 * length and a matching checksum. When `prefix` is given, only that prefix is accepted.
 *
 * Pure and cheap: no storage, no allocation beyond the result. The chance that a random password passes
 * is about 1 in 62^6 (5.7e10).
 */
export function parseToken(candidate: string, prefix?: string): ParsedToken | null {
  const found = tokenPrefix(candidate);
  if (found === null || (prefix !== undefined && found !== prefix)) return null;
  const body = candidate.slice(found.length + 1);
  return { prefix: found, random: body.slice(0, RANDOM_LENGTH), checksum: body.slice(RANDOM_LENGTH) };
}

/** True when the string is a well-formed tokengate token (prefix, length and checksum). */
export function isWellFormedToken(candidate: string, prefix?: string): boolean {
  return parseToken(candidate, prefix) !== null;
}

/**
 * The regular expression secret scanners use to find this installation's tokens in text. The checksum
 * cannot be expressed in a regex: scanners that support it should confirm a hit with the CRC32.
 */
export function scannerRegex(prefix: string = DEFAULT_TOKEN_PREFIX): RegExp {
  if (!PREFIX_PATTERN.test(prefix)) throw new TypeError(`invalid token prefix: ${prefix}`);
  return new RegExp(`\\b${prefix}_[0-9A-Za-z]{${BODY_LENGTH}}\\b`, 'g');
}
