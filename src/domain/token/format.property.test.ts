import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { BASE62_ALPHABET } from './base62.js';
import {
  BODY_LENGTH,
  checksum,
  generateToken,
  isWellFormedToken,
  MAX_TOKEN_LENGTH,
  parseToken,
  PREFIX_PATTERN,
  RANDOM_LENGTH,
  tokenPrefix,
} from './format.js';

const RUNS = 300;

const BASE62 = BASE62_ALPHABET.split('');

const prefix = fc.stringMatching(PREFIX_PATTERN);
const base62 = (n: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...BASE62), minLength: n, maxLength: n });
/** A token built from an arbitrary random part: every token the format allows, not just CSPRNG output. */
const token = fc.tuple(prefix, base62(RANDOM_LENGTH)).map(([p, r]) => ({
  prefix: p,
  random: r,
  token: `${p}_${r}${checksum(r)}`,
}));

/** Strings that look like tokens more often than chance: base62, underscores and a few strangers. */
const tokenish = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ unit: fc.constantFrom(...BASE62, '_', '\0', '\u00e9', '\uff10'), maxLength: 60 }),
  token.map((t) => t.token),
);

describe('token format (properties)', () => {
  it('round-trips every generated token through parseToken, tokenPrefix and isWellFormedToken', () => {
    fc.assert(
      fc.property(prefix, (p) => {
        const t = generateToken(p);
        const parsed = parseToken(t);
        assert.ok(parsed);
        assert.equal(parsed.prefix, p);
        assert.equal(`${parsed.prefix}_${parsed.random}${parsed.checksum}`, t);
        assert.equal(parsed.checksum, checksum(parsed.random));
        assert.equal(tokenPrefix(t), p);
        assert.ok(isWellFormedToken(t, p));
      }),
      { numRuns: 100 },
    );
  });

  it('accepts every random part with its checksum, and only under its own prefix', () => {
    fc.assert(
      fc.property(token, prefix, (t, other) => {
        assert.deepEqual(parseToken(t.token), {
          prefix: t.prefix,
          random: t.random,
          checksum: checksum(t.random),
        });
        assert.equal(isWellFormedToken(t.token, other), other === t.prefix);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses a token with any one character changed, under its prefix', () => {
    const mutation = token.chain((t) =>
      fc.record({
        t: fc.constant(t),
        at: fc.nat({ max: t.token.length - 1 }),
        to: fc.oneof(
          fc.constantFrom(...BASE62, '_', '-'),
          fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }),
        ),
      }),
    );
    fc.assert(
      fc.property(mutation, ({ t, at, to }) => {
        fc.pre(t.token[at] !== to);
        const changed = t.token.slice(0, at) + to + t.token.slice(at + 1);
        assert.equal(parseToken(changed, t.prefix), null, changed);
        assert.equal(isWellFormedToken(changed, t.prefix), false);
        // Without a prefix to insist on, a change inside the prefix may spell another valid prefix;
        // a change anywhere in the body never passes.
        const found = tokenPrefix(changed);
        assert.ok(found === null || (at < t.prefix.length && found !== t.prefix), changed);
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses a token with a character dropped or added in its body', () => {
    const edit = token.chain((t) =>
      fc.record({
        t: fc.constant(t),
        at: fc.integer({ min: t.prefix.length + 1, max: t.token.length - 1 }),
        insert: fc.option(fc.constantFrom(...BASE62), { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(edit, ({ t, at, insert }) => {
        const changed =
          insert === undefined
            ? t.token.slice(0, at) + t.token.slice(at + 1)
            : t.token.slice(0, at) + insert + t.token.slice(at);
        assert.equal(parseToken(changed, t.prefix), null, changed);
      }),
      { numRuns: RUNS },
    );
  });

  it('never throws on arbitrary strings, and what it accepts is a consistent token', () => {
    fc.assert(
      fc.property(tokenish, fc.option(prefix, { nil: undefined }), (s, p) => {
        const parsed = parseToken(s, p);
        const found = tokenPrefix(s);
        assert.equal(isWellFormedToken(s, p), parsed !== null);
        if (parsed === null) return;
        assert.equal(found, parsed.prefix);
        assert.ok(s.length <= MAX_TOKEN_LENGTH);
        assert.equal(s.length, parsed.prefix.length + 1 + BODY_LENGTH);
        assert.equal(`${parsed.prefix}_${parsed.random}${parsed.checksum}`, s);
        assert.equal(parsed.checksum, checksum(parsed.random));
        assert.match(parsed.prefix, PREFIX_PATTERN);
      }),
      { numRuns: RUNS },
    );
  });
});
