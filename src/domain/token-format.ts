import { crc32 } from 'node:zlib';
import { encodeBase62, randomBase62 } from './base62.js';

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

/** Longest string that can be a token: a 16-character prefix, the separator and the body. */
export const MAX_TOKEN_LENGTH = 16 + 1 + BODY_LENGTH;

const BODY_CHAR = /^[0-9A-Za-z]+$/;

/** The checksum of a token's random part: CRC32, base62, six characters. */
export function checksum(randomPart: string): string {
  return encodeBase62(crc32(randomPart), CHECKSUM_LENGTH);
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
  if (candidate.length > MAX_TOKEN_LENGTH) return null;
  const sep = candidate.lastIndexOf('_');
  if (sep < 2 || candidate.length - sep - 1 !== BODY_LENGTH) return null;
  const tokenPrefix = candidate.slice(0, sep);
  if (prefix !== undefined ? tokenPrefix !== prefix : !PREFIX_PATTERN.test(tokenPrefix)) return null;
  const body = candidate.slice(sep + 1);
  if (!BODY_CHAR.test(body)) return null;
  const random = body.slice(0, RANDOM_LENGTH);
  const sum = body.slice(RANDOM_LENGTH);
  if (checksum(random) !== sum) return null;
  return { prefix: tokenPrefix, random, checksum: sum };
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
