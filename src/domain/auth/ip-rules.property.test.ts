import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileIpMatcher, normalizeCidr, normalizeCidrList, parseIp } from './ip-rules.js';

const RUNS = 300;

// ---- Addresses as numbers, so the test computes networks without the code under test. ----

const v4Text = (n: number): string => [24, 16, 8, 0].map((s) => (n >>> s) & 0xff).join('.');
const v4Mask = (bits: number): number => (bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0);

/** An IPv6 address as eight 16-bit words; zeros and 0xffff are common, so mapped forms turn up. */
const v6Words = fc.array(fc.oneof(fc.constant(0), fc.constant(0xffff), fc.integer({ min: 0, max: 0xffff })), {
  minLength: 8,
  maxLength: 8,
});
/** Addresses with an IPv4 address in their last 32 bits: compatible (::a.b.c.d), mapped, NAT64. */
const v6Embedding = fc
  .tuple(
    fc.constantFrom(
      [0, 0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0, 0xffff],
      [0x64, 0xff9b, 0, 0, 0, 0],
      [0, 0, 0, 0, 0xffff, 0],
    ),
    fc.integer({ min: 0, max: 0xffff }),
    fc.integer({ min: 0, max: 0xffff }),
  )
  .map(([head, a, b]) => [...head, a, b]);
const v6Big = (w: readonly number[]): bigint => w.reduce((acc, x) => (acc << 16n) | BigInt(x), 0n);
const v6FromBig = (n: bigint): number[] =>
  Array.from({ length: 8 }, (_, i) => Number((n >> BigInt(16 * (7 - i))) & 0xffffn));
const v6Full = (w: readonly number[]): string => w.map((x) => x.toString(16)).join(':');
const v6Mask = (bits: number): bigint =>
  bits === 0 ? 0n : ((1n << BigInt(bits)) - 1n) << BigInt(128 - bits);
const ALL_128 = (1n << 128n) - 1n;
const isMapped = (a: bigint): boolean => a >> 32n === 0xffffn;

/** Writes the first run of two or more zero words as `::`. */
function compressZeros(text: string): string {
  const m = /(^|:)0(:0)+(:|$)/.exec(text);
  return m ? `${text.slice(0, m.index)}::${text.slice(m.index + m[0].length)}` : text;
}

/** The same IPv6 address in the ways people write it: full, zero-padded, compressed, upper case, dotted tail. */
function v6Spellings(w: readonly number[]): string[] {
  const full = v6Full(w);
  const padded = w.map((x) => x.toString(16).padStart(4, '0')).join(':');
  const dotted = `${w
    .slice(0, 6)
    .map((x) => x.toString(16))
    .join(':')}:${v4Text(((w[6] ?? 0) << 16) | (w[7] ?? 0))}`;
  const compressed = compressZeros(full);
  return [full, padded, compressed, compressed.toUpperCase(), dotted, compressZeros(dotted)];
}

/** Arbitrary text, text made of address characters, and near-miss addresses. */
const junk = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 70 }),
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF:./%x -'.split('')), maxLength: 50 }),
  fc.tuple(fc.nat(), fc.integer({ min: -1, max: 200 })).map(([n, b]) => `${v4Text(n)}/${b}`),
  v6Words.map((w) => `::${v6Full(w)}`),
);

describe('IP and CIDR parsing (properties)', () => {
  it('never throws on arbitrary text: parse, normalize, compile and match', () => {
    fc.assert(
      fc.property(fc.array(junk, { maxLength: 5 }), junk, (entries, client) => {
        parseIp(client);
        for (const e of entries) normalizeCidr(e);
        const list = normalizeCidrList(entries);
        // Whatever normalization accepts must compile and match without throwing.
        if (list.ok) compileIpMatcher(list.value).matches(client);
      }),
      { numRuns: RUNS },
    );
  });

  it('normalizes idempotently: a canonical entry is its own canonical form', () => {
    fc.assert(
      fc.property(junk, (e) => {
        const once = normalizeCidr(e);
        if (!once.ok) return;
        assert.deepEqual(normalizeCidr(once.value), once);
      }),
      { numRuns: RUNS },
    );
  });

  it('matches an IPv4 range to its own network address and every address in it, and nothing outside', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 0xffffffff }),
        fc.integer({ min: 0, max: 32 }),
        fc.nat(),
        (n, bits, other) => {
          const mask = v4Mask(bits);
          const network = (n & mask) >>> 0;
          const cidr = `${v4Text(network)}/${bits}`;
          const r = normalizeCidr(cidr);
          assert.ok(r.ok, cidr);
          assert.equal(r.value, cidr);
          const m = compileIpMatcher([r.value]);
          assert.ok(m.matches(v4Text(network)));
          assert.ok(m.matches(v4Text(n)));
          const probe = other >>> 0;
          assert.equal(m.matches(v4Text(probe)), (probe & mask) >>> 0 === network, v4Text(probe));
          // The host bits set on an address are refused, with the network as the suggestion.
          if (n !== network) {
            const bad = normalizeCidr(`${v4Text(n)}/${bits}`);
            assert.ok(!bad.ok && bad.error.includes(cidr), JSON.stringify(bad));
          }
        },
      ),
      { numRuns: RUNS },
    );
  });

  it('matches an IPv6 range to its own network address and every address in it, and nothing outside', () => {
    fc.assert(
      fc.property(v6Words, fc.integer({ min: 0, max: 128 }), v6Words, (w, bits, otherWords) => {
        const mask = v6Mask(bits);
        const network = v6Big(w) & mask;
        const netWords = v6FromBig(network);
        const r = normalizeCidr(`${v6Full(netWords)}/${bits}`);
        assert.ok(r.ok, `${v6Full(netWords)}/${bits}`);
        // An IPv4-mapped address is an IPv4 client: only IPv4 ranges (written either way) match it,
        // never an IPv6 range wider than the mapped block, such as ::/0. nginx's allow/deny does the same.
        const mappedRange = bits >= 96 && isMapped(network);
        const expected = (a: bigint): boolean => (a & mask) === network && (!isMapped(a) || mappedRange);
        const m = compileIpMatcher([r.value]);
        assert.equal(m.matches(v6Full(netWords)), expected(network), `${r.value} ? ${v6Full(netWords)}`);
        assert.equal(m.matches(v6Full(w)), expected(v6Big(w)), `${r.value} ? ${v6Full(w)}`);
        const other = v6Big(otherWords);
        assert.equal(m.matches(v6Full(otherWords)), expected(other), `${r.value} ? ${v6Full(otherWords)}`);
        if ((v6Big(w) & (ALL_128 ^ mask)) !== 0n) assert.ok(!normalizeCidr(`${v6Full(w)}/${bits}`).ok);
      }),
      { numRuns: RUNS },
    );
  });

  it('reads every spelling of an IPv6 address as the same address', () => {
    fc.assert(
      fc.property(fc.oneof(v6Words, v6Embedding), (w) => {
        const spellings = v6Spellings(w);
        const parsed = spellings.map((s) => parseIp(s)?.toString() ?? null);
        assert.ok(parsed[0] !== null, spellings[0]);
        for (let i = 1; i < parsed.length; i++) {
          assert.equal(parsed[i], parsed[0], `${spellings[i]} vs ${spellings[0]}`);
        }
        const entries = spellings.map((s) => normalizeCidr(s));
        for (const e of entries) assert.deepEqual(e, entries[0], spellings.join(' | '));
      }),
      { numRuns: RUNS },
    );
  });

  it('treats an IPv4-mapped IPv6 address exactly like the IPv4 address, in lists and as a client', () => {
    fc.assert(
      fc.property(fc.nat({ max: 0xffffffff }), fc.integer({ min: 0, max: 32 }), fc.nat(), (n, bits, c) => {
        const network = (n & v4Mask(bits)) >>> 0;
        const v4 = normalizeCidr(`${v4Text(network)}/${bits}`);
        const mapped = normalizeCidr(`::ffff:${v4Text(network)}/${96 + bits}`);
        assert.deepEqual(mapped, v4);
        assert.ok(v4.ok);
        const m = compileIpMatcher([v4.value]);
        const client = v4Text(c >>> 0);
        const hex = `::ffff:${((c >>> 16) & 0xffff).toString(16)}:${(c & 0xffff).toString(16)}`;
        const expected = m.matches(client);
        assert.equal(m.matches(`::ffff:${client}`), expected, `::ffff:${client}`);
        assert.equal(m.matches(hex), expected, hex);
        assert.equal(m.matches(`::FFFF:${client}`), expected);
        assert.equal(parseIp(hex)?.toString(), client);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses zone indexes and loose dotted tails that ipaddr.js alone would take', () => {
    for (const entry of [
      'fe80::1%eth0',
      'fe80::%eth0/64',
      '::ffff:0x0a.0.0.1',
      '::ffff:010.0.0.1',
      '::1.2.3',
    ]) {
      assert.ok(!normalizeCidr(entry).ok, entry);
    }
    assert.equal(parseIp('::ffff:010.0.0.1'), null);
    // The IPv4-compatible ::a.b.c.d is an IPv6 address, as its long spelling is.
    assert.deepEqual(normalizeCidr('::1.2.3.4'), normalizeCidr('0:0:0:0:0:0:102:304'));
    assert.deepEqual(normalizeCidr('::0.0.0.0/0'), { ok: true, value: '::/0' });
  });
});
