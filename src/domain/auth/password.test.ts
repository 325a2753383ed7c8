import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { scryptSync } from 'node:crypto';
import { generatePassword, hashPassword, verifyPassword } from './password.js';

/** A stored string with cheap parameters, built here with node's scrypt, to test parsing without the cost. */
function cheapStored(password: string, n = 16, r = 1, p = 1): string {
  const salt = Buffer.from('0123456789abcdef');
  const key = scryptSync(password.normalize('NFKC'), salt, 32, { N: n, r, p });
  return `scrypt$${n}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

describe('hashPassword / verifyPassword', () => {
  // The one real (N = 2^15) hash in this file; the ligature and "①" are there for the NFKC test.
  const password = 'ﬁne Straße ①';
  let stored = '';
  before(async () => {
    stored = await hashPassword(password);
  });

  it('writes scrypt$N$r$p$salt$hash with the OWASP parameters, a 16-byte salt and a 32-byte key', () => {
    const parts = stored.split('$');
    assert.equal(parts.length, 6);
    assert.deepEqual(parts.slice(0, 4), ['scrypt', '32768', '8', '1']);
    assert.equal(Buffer.from(parts[4] ?? '', 'base64').length, 16);
    assert.equal(Buffer.from(parts[5] ?? '', 'base64').length, 32);
    assert.ok(!stored.includes(password));
  });

  it('verifies the right password', async () => {
    assert.equal(await verifyPassword(password, stored), true);
  });

  it('refuses a wrong password', async () => {
    assert.equal(await verifyPassword('ﬁne Straße ②', stored), false);
  });

  it('normalizes with NFKC, so the ligature and its letters are the same password', async () => {
    // 'ﬁ' (U+FB01) → 'fi', '①' → '1'; 'ß' has no compatibility decomposition and stays.
    assert.equal(await verifyPassword('fine Straße 1', stored), true);
  });

  it('does not fold case or ß', async () => {
    // Cheap parameters: this is about normalization, not about the cost.
    const s = cheapStored('ﬁne Straße');
    assert.equal(await verifyPassword('fine Straße', s), true);
    assert.equal(await verifyPassword('fine Strasse', s), false);
    assert.equal(await verifyPassword('FINE STRASSE', s), false);
  });

  it('salts: the same password hashes differently each time', async () => {
    const again = await hashPassword(password);
    assert.notEqual(again, stored);
    assert.notEqual(again.split('$')[4], stored.split('$')[4]);
  });

  it('reads N, r and p from the stored string', async () => {
    const s = cheapStored('pw', 32, 2, 1);
    assert.equal(await verifyPassword('pw', s), true);
    assert.equal(await verifyPassword('pw', s.replace('scrypt$32$2$', 'scrypt$16$2$')), false);
  });

  it('refuses a stored hash that was tampered with', async () => {
    const parts = cheapStored('pw').split('$');
    const key = Buffer.from(parts[5] ?? '', 'base64');
    key[0] = (key[0] ?? 0) ^ 1;
    parts[5] = key.toString('base64');
    assert.equal(await verifyPassword('pw', parts.join('$')), false);
  });

  it('returns false, without throwing, for malformed stored strings', async () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const salt = Buffer.from('salt').toString('base64');
    for (const bad of [
      '',
      'plain-text-password',
      `bcrypt$16$1$1$${salt}$${key}`,
      `scrypt$16$1$1$${salt}`,
      `scrypt$16$1$1$${salt}$${key}$extra`,
      `scrypt$x$1$1$${salt}$${key}`,
      `scrypt$0$1$1$${salt}$${key}`,
      `scrypt$-16$1$1$${salt}$${key}`,
      `scrypt$16.5$1$1$${salt}$${key}`,
      `scrypt$16$1$1$${salt}$${Buffer.alloc(16).toString('base64')}`,
      `scrypt$16$1$1$${salt}$`,
    ]) {
      assert.equal(await verifyPassword('pw', bad), false, bad);
    }
  });

  it('returns false, without throwing, when scrypt refuses the stored parameters', async () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const salt = Buffer.from('salt').toString('base64');
    // N must be a power of two; N = 2^20 with r = 8 needs 1 GiB, over the memory limit.
    for (const bad of [`scrypt$3$1$1$${salt}$${key}`, `scrypt$1048576$8$1$${salt}$${key}`]) {
      let result: boolean | Error;
      try {
        result = await verifyPassword('pw', bad);
      } catch (e) {
        result = e instanceof Error ? e : new Error(String(e));
      }
      assert.equal(result, false, `${bad}: ${result instanceof Error ? `threw ${result.message}` : ''}`);
    }
  });
});

describe('generatePassword', () => {
  it('gives 24 base62 characters, different each time', () => {
    const a = generatePassword();
    const b = generatePassword();
    assert.match(a, /^[0-9A-Za-z]{24}$/);
    assert.match(b, /^[0-9A-Za-z]{24}$/);
    assert.notEqual(a, b);
  });
});
