import assert from 'node:assert/strict';
import { test } from 'node:test';

import { clearCookieHeader, cookieName, createSealer, setCookieHeader } from './sealed-cookie.js';

const SECRET = 'a'.repeat(32);
const OLD_SECRET = 'b'.repeat(40);
const NOW = 1_800_000_000_000;

test('a sealed value opens to the same data before it expires', () => {
  const s = createSealer({ secrets: [SECRET], purpose: 'ui-session' });
  const v = s.seal({ user: 'alice', groups: ['x'] }, 60_000, NOW);
  assert.match(v, /^[A-Za-z0-9_-]+$/);
  assert.deepEqual(s.open(v, NOW + 59_999), { user: 'alice', groups: ['x'] });
});

test('the data is not readable in the sealed value, and two seals differ', () => {
  const s = createSealer({ secrets: [SECRET], purpose: 'ui-session' });
  const a = s.seal({ user: 'alice' }, 60_000, NOW);
  const b = s.seal({ user: 'alice' }, 60_000, NOW);
  assert.notEqual(a, b);
  assert.ok(!Buffer.from(a, 'base64url').toString('latin1').includes('alice'));
});

test('an expired value is refused', () => {
  const s = createSealer({ secrets: [SECRET], purpose: 'p' });
  const v = s.seal('x', 1000, NOW);
  assert.equal(s.open(v, NOW + 1000), null);
  assert.equal(s.open(v, NOW + 999), 'x');
});

test('a value sealed for another purpose is refused', () => {
  const ui = createSealer({ secrets: [SECRET], purpose: 'ui-session' });
  const gw = createSealer({ secrets: [SECRET], purpose: 'gateway-session' });
  assert.equal(gw.open(ui.seal({ user: 'alice' }, 60_000, NOW), NOW), null);
  assert.equal(ui.open(gw.seal({ user: 'alice' }, 60_000, NOW), NOW), null);
});

test('rotation: seal with the first secret, open with any', () => {
  const before = createSealer({ secrets: [OLD_SECRET], purpose: 'p' });
  const after = createSealer({ secrets: [SECRET, OLD_SECRET], purpose: 'p' });
  const onlyNew = createSealer({ secrets: [SECRET], purpose: 'p' });
  const old = before.seal({ n: 1 }, 60_000, NOW);
  assert.deepEqual(after.open(old, NOW), { n: 1 });
  assert.equal(onlyNew.open(old, NOW), null);
  assert.deepEqual(onlyNew.open(after.seal({ n: 2 }, 60_000, NOW), NOW), { n: 2 });
});

test('every flipped byte, every truncation and garbage input give null, never a throw', () => {
  const s = createSealer({ secrets: [SECRET], purpose: 'p' });
  const raw = Buffer.from(s.seal({ user: 'alice' }, 60_000, NOW), 'base64url');
  for (let i = 0; i < raw.length; i++) {
    const t = Buffer.from(raw);
    t[i] = (t[i] ?? 0) ^ 0x01;
    assert.equal(s.open(t.toString('base64url'), NOW), null, `byte ${i}`);
  }
  for (let n = 0; n < raw.length; n++) {
    assert.equal(s.open(raw.subarray(0, n).toString('base64url'), NOW), null, `length ${n}`);
  }
  for (const g of [undefined, null, 1, {}, '', '!!!', 'a b', 'x'.repeat(5000), '%41', 'AAAA']) {
    assert.equal(s.open(g, NOW), null, JSON.stringify(g));
  }
});

test('short or missing secrets and an empty purpose are configuration faults', () => {
  assert.throws(() => createSealer({ secrets: [], purpose: 'p' }));
  assert.throws(() => createSealer({ secrets: ['short'], purpose: 'p' }));
  assert.throws(() => createSealer({ secrets: [SECRET, 'short'], purpose: 'p' }));
  assert.throws(() => createSealer({ secrets: [SECRET], purpose: '' }));
});

test('cookie attributes: __Host- prefix and Secure under TLS, always Path=/, HttpOnly, Lax, no Domain', () => {
  assert.equal(cookieName('tg_session', true), '__Host-tg_session');
  assert.equal(cookieName('tg_session', false), 'tg_session');
  assert.equal(
    setCookieHeader('tg_session', 'v', { secure: true, maxAgeSec: 3600 }),
    '__Host-tg_session=v; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=3600',
  );
  assert.equal(setCookieHeader('tg', 'v', { secure: false }), 'tg=v; Path=/; HttpOnly; SameSite=Lax');
  assert.ok(!/domain=/i.test(setCookieHeader('tg', 'v', { secure: true })));
  assert.equal(
    clearCookieHeader('tg', true),
    '__Host-tg=; Path=/; HttpOnly; SameSite=Lax; Secure; Max-Age=0; Expires=Thu, 01 Jan 1970 00:00:00 GMT',
  );
});
