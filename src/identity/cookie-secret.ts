import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.js';

/**
 * The key of the stored secret in the settings table. Not a setting (settingsFromStored ignores keys
 * it does not define, and the settings API never shows it): the table is simply the one place every
 * node of a cluster reads.
 */
export const COOKIE_SECRET_KEY = 'identity.cookieSecret';

/**
 * The secret that seals the pending sign-in cookie: made on first start and kept in the database, so
 * every node sharing the database opens what another sealed. Two nodes starting for the very first
 * time at the same instant each offer one; only the first is stored (insert if absent), and both read
 * that one back.
 */
export async function loadCookieSecret(store: Store, now: number): Promise<string> {
  const stored = (await store.settings.all())[COOKIE_SECRET_KEY];
  if (typeof stored === 'string' && stored.length >= 43) return stored;
  const fresh = randomBytes(32).toString('base64url');
  // A stored value too short to be one of ours is replaced; otherwise only a missing one is written.
  if (stored === undefined) await store.settings.putIfAbsent(COOKIE_SECRET_KEY, fresh, now, '@tokengate');
  else await store.settings.put(COOKIE_SECRET_KEY, fresh, now, '@tokengate');
  // Read back what is stored: a concurrent first start may have stored its own first.
  const saved = (await store.settings.all())[COOKIE_SECRET_KEY];
  if (typeof saved !== 'string') throw new Error('the cookie secret could not be stored');
  return saved;
}
