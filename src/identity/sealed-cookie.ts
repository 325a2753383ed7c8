import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';

/**
 * Small JSON payloads sealed for a cookie: AES-256-GCM (encrypted and authenticated), a key derived per
 * purpose with HKDF, the purpose bound again as additional data, an expiry inside the sealed payload.
 * The admin UI's session, the gateway's session and a pending sign-in each use their own purpose, so a
 * value made for one is refused by the others even though one configured secret feeds them all.
 *
 * Layout, base64url: version (1 byte) | IV (12 bytes) | ciphertext | GCM tag (16 bytes).
 */

export interface SealerOptions {
  /**
   * Secrets, newest first: values are sealed with the first and opened with any, so a secret can be
   * rotated by putting the new one in front and dropping the old one once its cookies have expired.
   * Each at least 32 characters.
   */
  secrets: readonly string[];
  /** What the values are for (`ui-session`, `gateway-session`, `oidc-pending`): binds key and value. */
  purpose: string;
}

/** Seals and opens values of one shape `T` (JSON-serialisable) for one purpose. */
export interface Sealer<T> {
  /** The sealed, cookie-safe form of `data`, valid for `ttlMs` from `now`. */
  seal(data: T, ttlMs: number, now?: number): string;
  /**
   * The data, or null if the value is malformed, tampered with, for another purpose or expired. Only
   * we can seal, so a value that opens has the shape we sealed (from this code version: change the
   * purpose string when the shape changes incompatibly).
   */
  open(value: unknown, now?: number): T | null;
}

const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
export const MIN_SECRET_LENGTH = 32;
/** Browsers keep about 4 KB per cookie; anything longer did not come from us. */
const MAX_SEALED_LENGTH = 4096;
const BASE64URL = /^[A-Za-z0-9_-]+$/;
/** Fixed salt: the secrets are already high-entropy; the purpose goes into HKDF's info. */
const HKDF_SALT = 'tokengate sealed-cookie';

interface Envelope {
  /** Expiry, epoch milliseconds. */
  e: number;
  d: unknown;
}

/** Derives the keys once; sealing and opening are then one cipher call each. */
export function createSealer<T>(options: SealerOptions): Sealer<T> {
  if (options.secrets.length === 0) throw new Error('sealed cookies need at least one secret');
  if (options.purpose === '') throw new Error('sealed cookies need a purpose');
  for (const s of options.secrets) {
    if (s.length < MIN_SECRET_LENGTH) {
      throw new Error(`each cookie secret must be at least ${MIN_SECRET_LENGTH} characters`);
    }
  }
  const info = `v${VERSION} ${options.purpose}`;
  const keys = options.secrets.map((s) => Buffer.from(hkdfSync('sha256', s, HKDF_SALT, info, KEY_BYTES)));
  const aad = Buffer.from(`tokengate:${info}`);
  const [sealKey] = keys;
  if (sealKey === undefined) throw new Error('sealed cookies need at least one secret');

  return {
    seal(data, ttlMs, now = Date.now()) {
      const envelope: Envelope = { e: now + ttlMs, d: data };
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', sealKey, iv);
      cipher.setAAD(aad);
      const body = Buffer.concat([cipher.update(JSON.stringify(envelope), 'utf8'), cipher.final()]);
      return Buffer.concat([Buffer.of(VERSION), iv, body, cipher.getAuthTag()]).toString('base64url');
    },
    open(value: unknown, now = Date.now()): T | null {
      const raw = decode(value);
      if (raw === null) return null;
      for (const key of keys) {
        const envelope = decrypt(raw, key, aad);
        if (envelope !== null) return envelope.e > now ? (envelope.d as T) : null;
      }
      return null;
    },
  };
}

function decode(value: unknown): Buffer | null {
  if (typeof value !== 'string' || value.length > MAX_SEALED_LENGTH || !BASE64URL.test(value)) return null;
  const raw = Buffer.from(value, 'base64url');
  if (raw.length < 1 + IV_BYTES + TAG_BYTES + 1 || raw[0] !== VERSION) return null;
  return raw;
}

function decrypt(raw: Buffer, key: Buffer, aad: Buffer): Envelope | null {
  const iv = raw.subarray(1, 1 + IV_BYTES);
  const tag = raw.subarray(raw.length - TAG_BYTES);
  const body = raw.subarray(1 + IV_BYTES, raw.length - TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv, { authTagLength: TAG_BYTES });
    decipher.setAAD(aad);
    decipher.setAuthTag(tag);
    const text = Buffer.concat([decipher.update(body), decipher.final()]).toString('utf8');
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed !== 'object' || parsed === null || typeof (parsed as Envelope).e !== 'number')
      return null;
    return parsed as Envelope;
  } catch {
    // A wrong key or a changed byte fails the GCM tag check: an expected "no", not a fault.
    return null;
  }
}

export interface CookieOptions {
  /** True when the browser reaches us over TLS: adds `Secure` and the `__Host-` prefix. */
  secure: boolean;
  /** Lifetime in seconds; omitted for a browser-session cookie. */
  maxAgeSec?: number;
}

/**
 * The cookie's name as the browser must see it. Under TLS the `__Host-` prefix makes the browser refuse
 * the cookie unless it is Secure, Path=/ and has no Domain, so a sibling subdomain cannot plant or
 * overwrite it. Without TLS the prefix would make browsers drop the cookie, so the plain name is used.
 */
export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base;
}

/**
 * A `Set-Cookie` value: Path=/, HttpOnly, no Domain, and SameSite=Lax because the identity provider's
 * redirect back to us is a cross-site top-level GET that must carry the pending sign-in cookie.
 */
export function setCookieHeader(base: string, value: string, options: CookieOptions): string {
  const parts = [`${cookieName(base, options.secure)}=${value}`, 'Path=/', 'HttpOnly', 'SameSite=Lax'];
  if (options.secure) parts.push('Secure');
  if (options.maxAgeSec !== undefined) parts.push(`Max-Age=${Math.max(0, Math.floor(options.maxAgeSec))}`);
  return parts.join('; ');
}

/** A `Set-Cookie` value that removes the cookie (same name and attributes, expired). */
export function clearCookieHeader(base: string, secure: boolean): string {
  return `${setCookieHeader(base, '', { secure, maxAgeSec: 0 })}; Expires=Thu, 01 Jan 1970 00:00:00 GMT`;
}
