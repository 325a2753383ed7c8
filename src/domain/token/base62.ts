import { randomBytes } from 'node:crypto';

/** Digits, then upper case, then lower case: the order GitHub's token checksums use. */
export const BASE62_ALPHABET = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

/** The largest multiple of 62 below 256: bytes at or above it are rejected so every character is equally likely. */
const UNBIASED_LIMIT = 248;

/** Returns `length` base62 characters drawn from the CSPRNG, without modulo bias. */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    const bytes = randomBytes(length * 2);
    for (let i = 0; i < bytes.length && out.length < length; i++) {
      const b = bytes[i] ?? UNBIASED_LIMIT;
      if (b < UNBIASED_LIMIT) out += BASE62_ALPHABET.charAt(b % 62);
    }
  }
  return out;
}

/** Encodes a non-negative integer in base62, left-padded with '0' to `width` characters. */
export function encodeBase62(value: number, width: number): string {
  let n = value;
  let out = '';
  do {
    out = BASE62_ALPHABET.charAt(n % 62) + out;
    n = Math.floor(n / 62);
  } while (n > 0);
  return out.padStart(width, '0');
}
