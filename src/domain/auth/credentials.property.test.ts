import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  isLooseSpace,
  MAX_AUTHORIZATION_LENGTH,
  parseAuthorization,
  type Credentials,
} from './credentials.js';

/** Property runs per check: enough to find edge cases, few enough to keep the suite fast. */
const RUNS = 300;

const KINDS = new Set(['none', 'bearer', 'basic', 'other', 'malformed']);

/** Any string: the full Unicode range, ASCII-heavy text, and strings full of control characters. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.string({ unit: 'binary-ascii', maxLength: 200 }),
  fc.string({
    unit: fc.constantFrom('\0', '\r', '\n', '\t', ' ', ':', '=', 'a', '\u00ff', '\ufffd'),
    maxLength: 50,
  }),
);

/** A scheme name spelled in random case, as RFC 9110 allows. */
const scheme = (name: string): fc.Arbitrary<string> =>
  fc.array(fc.boolean(), { minLength: name.length, maxLength: name.length }).map((upper) =>
    name
      .split('')
      .map((c, i) => (upper[i] ? c.toUpperCase() : c))
      .join(''),
  );

/**
 * Characters that are neither whitespace nor control characters (C0, C1, DEL, Unicode spaces, as
 * any upstream parser may see them): what a Bearer value is made of.
 */
const secretChar = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 1 })
  .filter((c) => !isLooseSpace(c.charCodeAt(0)));
const bearerSecret = fc.string({ unit: secretChar, minLength: 1, maxLength: 100 });

/** A Basic user name: printable (no C0 or C1 control, no line separator), no colon, no replacement character. */
const userChar = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 1 })
  // eslint-disable-next-line no-control-regex
  .filter((c) => !/[:\u0000-\u001f\u007f-\u009f\u2028\u2029\ufffd]/.test(c));
const username = fc.string({ unit: userChar, minLength: 1, maxLength: 40 });
const password = fc.string({ unit: 'binary', maxLength: 80 });

const spaces = fc.string({ unit: fc.constant(' '), maxLength: 3 });

const b64 = (s: string | Uint8Array): string => Buffer.from(s).toString('base64');

function parse(header: string): Credentials {
  const c = parseAuthorization(header);
  assert.ok(KINDS.has(c.kind), `unknown kind for ${JSON.stringify(header.slice(0, 40))}`);
  if (c.kind === 'malformed') assert.ok(c.reason.length > 0);
  return c;
}

describe('parseAuthorization (properties)', () => {
  it('never throws and always answers one of the five kinds, whatever the header', () => {
    const header = fc.oneof(
      anyString,
      fc.tuple(fc.constantFrom('Bearer ', 'Basic ', 'bearer ', 'BASIC '), anyString).map(([s, v]) => s + v),
    );
    fc.assert(
      fc.property(header, (h) => {
        const c = parse(h);
        // A secret is always taken from the header, never invented.
        if (c.kind === 'bearer') assert.ok(h.includes(c.secret));
      }),
      { numRuns: RUNS },
    );
  });

  it('reads Bearer values in any scheme case, with spaces around them', () => {
    fc.assert(
      fc.property(scheme('bearer'), spaces, bearerSecret, spaces, (s, before, secret, after) => {
        assert.deepEqual(parse(`${s} ${before}${secret}${after}`), { kind: 'bearer', secret });
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses a Bearer value with inner whitespace or a control character', () => {
    const bad = fc.constantFrom(' ', '\t', '\u00a0', '\u2028', '\0', '\u0001', '\u007f', '\u001b');
    fc.assert(
      fc.property(bearerSecret, bad, bearerSecret, (a, c, b) => {
        assert.equal(parse(`Bearer ${a}${c}${b}`).kind, 'malformed');
      }),
      { numRuns: RUNS },
    );
  });

  it('round-trips Basic user:password, padded or not, for any Unicode password', () => {
    fc.assert(
      fc.property(scheme('basic'), username, password, fc.boolean(), (s, user, secret, unpadded) => {
        let value = b64(`${user}:${secret}`);
        if (unpadded) value = value.replace(/=+$/, '');
        assert.deepEqual(parse(`${s} ${value}`), { kind: 'basic', username: user, secret });
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses Basic values that are not base64', () => {
    const notBase64 = fc
      .tuple(fc.base64String({ maxLength: 40 }), fc.string({ unit: 'binary', minLength: 1, maxLength: 3 }))
      .map(([valid, junk]) => valid + junk)
      .filter((v) => !/^[A-Za-z0-9+/]+={0,2}$/.test(v.trim()));
    fc.assert(
      fc.property(notBase64, (v) => {
        const c = parse(`Basic ${v}`);
        assert.equal(c.kind, 'malformed');
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses Basic credentials without a colon', () => {
    fc.assert(
      fc.property(username, (text) => {
        const c = parse(`Basic ${b64(text)}`);
        assert.ok(c.kind === 'malformed' && /colon/.test(c.reason), JSON.stringify(c));
      }),
      { numRuns: RUNS },
    );
  });

  it('never lets a control character, NUL or invalid UTF-8 into a Basic user name', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 60 }), (bytes) => {
        const c = parse(`Basic ${b64(bytes)}`);
        if (c.kind === 'basic') {
          // eslint-disable-next-line no-control-regex
          assert.doesNotMatch(c.username, /[\u0000-\u001f\u007f\ufffd]/);
          assert.equal(`${c.username}:${c.secret}`, Buffer.from(bytes).toString('utf8'));
        }
      }),
      { numRuns: RUNS },
    );
  });

  it('refuses over-long Bearer and Basic values, and leaves long foreign schemes alone', () => {
    const long = fc.integer({ min: MAX_AUTHORIZATION_LENGTH + 1, max: MAX_AUTHORIZATION_LENGTH * 4 });
    fc.assert(
      fc.property(long, fc.constantFrom('Bearer', 'Basic', 'bEARER'), (n, s) => {
        const header = `${s} ${'A'.repeat(n)}`;
        const c = parse(header);
        assert.ok(c.kind === 'malformed' && /too long/.test(c.reason));
        assert.equal(parse(`Negotiate ${'A'.repeat(n)}`).kind, 'other');
      }),
      { numRuns: 50 },
    );
  });

  it('reads every other scheme as `other`, for the upstream to judge', () => {
    const token = fc
      .stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/)
      .filter((s) => !/^(bearer|basic)/i.test(s));
    fc.assert(
      fc.property(token, anyString, (s, rest) => {
        assert.deepEqual(parse(`${s} ${rest}`), { kind: 'other', scheme: s });
      }),
      { numRuns: RUNS },
    );
  });

  // Issue 14, finding 3: Spring reads "Basic" + any character + base64; Python splits on any Unicode
  // space. Whatever follows the letters of the scheme, short of the clean form, is malformed.
  it('refuses every spelling of Basic or Bearer that is not the clean form, whatever follows', () => {
    const lead = fc.string({
      unit: fc.constantFrom('', ' ', '\t', '\u00a0', '\u0085', '\u3000'),
      maxLength: 2,
    });
    const sep = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== ' ');
    fc.assert(
      fc.property(lead, fc.oneof(scheme('basic'), scheme('bearer')), sep, anyString, (l, s, c, rest) => {
        assert.equal(parse(`${l}${s}${c}${rest}`).kind, 'malformed');
        if (l === '') assert.equal(parse(s).kind, 'malformed');
      }),
      { numRuns: RUNS },
    );
  });
});
