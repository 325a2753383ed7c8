import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { crc32 } from 'node:zlib';
import {
  BODY_LENGTH,
  DEFAULT_TOKEN_PREFIX,
  MAX_TOKEN_LENGTH,
  RANDOM_LENGTH,
  checksum,
  crc32Ascii,
  generateToken,
  isWellFormedToken,
  parseToken,
  scannerRegex,
} from './format.js';
import { randomBase62 } from './base62.js';

/** Written independently of base62.ts: digits, upper case, lower case; exactly six digits, most significant first. */
const REF_ALPHABET = '0123456789' + 'ABCDEFGHIJKLMNOPQRSTUVWXYZ' + 'abcdefghijklmnopqrstuvwxyz';
function refBase62Six(value: number): string {
  const digits: string[] = [];
  let n = value;
  for (let i = 0; i < 6; i++) {
    digits.unshift(REF_ALPHABET.charAt(n % 62));
    n = Math.floor(n / 62);
  }
  assert.equal(n, 0, 'value does not fit in six base62 digits');
  return digits.join('');
}

/** A token with a correct checksum for any prefix text, valid or not, so that only the prefix is wrong. */
function withPrefix(prefix: string, random = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123'): string {
  return `${prefix}_${random}${refBase62Six(crc32(random))}`;
}

/** Replaces the character at `index` with a different base62 character. */
function changeCharAt(s: string, index: number): string {
  const c = s.charAt(index);
  const replacement = c === 'A' ? 'B' : 'A';
  return s.slice(0, index) + replacement + s.slice(index + 1);
}

const TOKEN_SHAPE = /^tgp_[0-9A-Za-z]{36}$/;

describe('generateToken', () => {
  it('uses the default prefix, an underscore and 36 base62 characters', () => {
    const t = generateToken();
    assert.equal(DEFAULT_TOKEN_PREFIX, 'tgp');
    assert.match(t, TOKEN_SHAPE);
    assert.equal(t.length, 'tgp_'.length + 36);
    assert.equal(BODY_LENGTH, 36);
  });

  it('uses a custom prefix', () => {
    const t = generateToken('acme2');
    assert.match(t, /^acme2_[0-9A-Za-z]{36}$/);
  });

  it('ends with the checksum of its random part', () => {
    const t = generateToken();
    const random = t.slice(4, 4 + RANDOM_LENGTH);
    assert.equal(t.slice(4 + RANDOM_LENGTH), refBase62Six(crc32(random)));
  });

  it('refuses invalid prefixes', () => {
    for (const bad of ['', 'a', 'Tgp', '1ab', 'tg_p', 'tg-p', 'a'.repeat(17), 'tgp ']) {
      assert.throws(() => generateToken(bad), TypeError, `prefix ${JSON.stringify(bad)}`);
    }
  });

  it('produces 1000 distinct tokens in which every base62 character appears', () => {
    const tokens = new Set<string>();
    const seen = new Set<string>();
    for (let i = 0; i < 1000; i++) {
      const t = generateToken();
      assert.match(t, TOKEN_SHAPE);
      tokens.add(t);
      for (const c of t.slice(4, 4 + RANDOM_LENGTH)) seen.add(c);
    }
    assert.equal(tokens.size, 1000);
    // 30 000 random characters: each of the 62 is expected about 484 times.
    const missing = REF_ALPHABET.split('').filter((c) => !seen.has(c));
    assert.deepEqual(missing, []);
    assert.equal(seen.size, 62);
  });
});

describe('checksum', () => {
  it('node:zlib crc32 gives the standard CRC-32 check value', () => {
    assert.equal(crc32('123456789'), 0xcbf43926);
  });

  it("the table-driven crc32Ascii agrees with node:zlib's CRC-32", () => {
    assert.equal(crc32Ascii('123456789'), 0xcbf43926);
    assert.equal(crc32Ascii(''), 0);
    for (let i = 0; i < 2_000; i++) {
      const s = randomBase62(1 + (i % 64));
      assert.equal(crc32Ascii(s), crc32(s), s);
    }
    assert.equal(crc32Ascii('xx123456789yy', 2, 11), 0xcbf43926);
  });

  it('is the CRC32 of the random part in six base62 characters (known vector)', () => {
    const random = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123';
    assert.equal(random.length, RANDOM_LENGTH);
    assert.equal(crc32(random), 2596391214);
    assert.equal(refBase62Six(crc32(random)), '2piBxe');
    assert.equal(checksum(random), '2piBxe');
    assert.deepEqual(parseToken(`tgp_${random}2piBxe`), {
      prefix: 'tgp',
      random,
      checksum: '2piBxe',
    });
  });

  it('left-pads small CRC values with "0" (known vector)', () => {
    const random = 'tokengateChecksumVector0000009';
    assert.equal(random.length, RANDOM_LENGTH);
    assert.equal(crc32(random), 867827811);
    assert.equal(refBase62Six(867827811), '0wjJel');
    assert.equal(checksum(random), '0wjJel');
    assert.equal(isWellFormedToken(`tgp_${random}0wjJel`), true);
    assert.equal(isWellFormedToken(`tgp_${random}wjJel`), false);
  });
});

describe('parseToken / isWellFormedToken', () => {
  it('accepts generated tokens and returns their parts', () => {
    for (let i = 0; i < 50; i++) {
      const t = generateToken();
      assert.equal(isWellFormedToken(t), true, t);
      const parsed = parseToken(t);
      assert.ok(parsed, t);
      assert.equal(parsed.prefix, 'tgp');
      assert.equal(`${parsed.prefix}_${parsed.random}${parsed.checksum}`, t);
      assert.equal(parsed.random.length, RANDOM_LENGTH);
    }
  });

  it('accepts a generated token with a custom prefix, with and without naming the prefix', () => {
    const t = generateToken('zz9');
    assert.equal(isWellFormedToken(t), true);
    assert.equal(isWellFormedToken(t, 'zz9'), true);
  });

  it('rejects a token with any single character changed (checksum)', () => {
    const t = generateToken();
    for (let i = 4; i < t.length; i++) {
      const changed = changeCharAt(t, i);
      assert.notEqual(changed, t);
      assert.equal(parseToken(changed), null, `changed at ${i}: ${changed}`);
    }
  });

  it('rejects a body character outside base62 even with the right length', () => {
    const t = generateToken();
    assert.equal(parseToken(`${t.slice(0, 10)}-${t.slice(11)}`), null);
    assert.equal(parseToken(`${t.slice(0, -1)} `), null);
  });

  it('rejects wrong lengths', () => {
    const t = generateToken();
    assert.equal(parseToken(t.slice(0, -1)), null);
    assert.equal(parseToken(`${t}A`), null);
    assert.equal(parseToken(`${t.slice(0, 4)}A${t.slice(4)}`), null);
    assert.equal(parseToken(''), null);
    assert.equal(parseToken('tgp_'), null);
  });

  it('rejects another prefix when a prefix is given', () => {
    const t = generateToken('tgp');
    assert.equal(parseToken(t, 'abc'), null);
    assert.equal(parseToken(t, 'tg'), null);
    assert.equal(parseToken(t, 'tgpx'), null);
    assert.ok(parseToken(t, 'tgp'));
    const other = generateToken('abc');
    assert.equal(isWellFormedToken(other, 'tgp'), false);
    assert.equal(isWellFormedToken(other), true);
  });

  it('rejects prefixes with bad characters even when the checksum is right', () => {
    assert.equal(isWellFormedToken(withPrefix('tgp')), true);
    for (const bad of ['Tgp', 'TGP', '1gp', 'tg-p', 'tg.p', 't', '', 'tgp ', ' tgp', 'tg_p', 'tgé']) {
      assert.equal(parseToken(withPrefix(bad)), null, `prefix ${JSON.stringify(bad)}`);
    }
  });

  it('accepts a 16-character prefix and rejects a 17-character one', () => {
    const sixteen = withPrefix('a'.repeat(16));
    assert.equal(sixteen.length, MAX_TOKEN_LENGTH);
    assert.equal(isWellFormedToken(sixteen), true);
    assert.equal(isWellFormedToken(withPrefix('a'.repeat(17))), false);
  });

  it('rejects over-long input without looking further', () => {
    const t = generateToken();
    assert.equal(parseToken(`${'x'.repeat(100_000)}${t}`), null);
    assert.equal(parseToken('tgp_' + 'A'.repeat(100_000)), null);
    assert.equal(parseToken(`${t} ${t}`), null);
  });
});

describe('scannerRegex', () => {
  it('finds a token inside text', () => {
    const t = generateToken();
    const text = `export API_TOKEN=${t}\n# curl -H "Authorization: Bearer ${t}"`;
    assert.deepEqual(text.match(scannerRegex()), [t, t]);
  });

  it('finds nothing for a truncated, extended or differently prefixed token', () => {
    const t = generateToken();
    assert.equal(`x ${t.slice(0, -1)} y`.match(scannerRegex()), null);
    assert.equal(`x ${t}Q y`.match(scannerRegex()), null);
    assert.equal(`x ${generateToken('abc')} y`.match(scannerRegex()), null);
    assert.equal('x tgp_short y'.match(scannerRegex()), null);
  });

  it('uses the given prefix', () => {
    const t = generateToken('acme');
    assert.deepEqual(`token: ${t}.`.match(scannerRegex('acme')), [t]);
    assert.equal(`token: ${t}.`.match(scannerRegex('tgp')), null);
  });

  it('refuses an invalid prefix (no regex injection)', () => {
    assert.throws(() => scannerRegex('.*'), TypeError);
    assert.throws(() => scannerRegex('A'), TypeError);
  });
});
