import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '../src/domain/errors.js';
import { decodeAuditCursor, encodeAuditCursor } from '../src/http/api/routes/admin-audit.js';

const b64 = (s: string): string => Buffer.from(s).toString('base64url');

/**
 * Red team, issue 15: the audit list's (ts, seq) cursor. A client crafts it (it is base64url of
 * "<ts>.<seq>"): whatever it sends, the decoder either returns two safe non-negative integers, exactly
 * a cursor the API could have handed out, or refuses with 400 naming query.cursor. Nothing else
 * reaches the query (no NaN, no negative, no float, no text for the SQL, no precision lost).
 */
describe('red team 15: crafted audit cursors', () => {
  const refused = (text: string): void => {
    assert.throws(
      () => decodeAuditCursor(text),
      (err: unknown) =>
        err instanceof AppError &&
        err.status === 400 &&
        JSON.stringify(err.details ?? null).includes('query.cursor'),
      `accepted ${JSON.stringify(Buffer.from(text, 'base64url').toString('utf8'))} (${text})`,
    );
  };

  it('refuses crafted (ts, seq) texts', () => {
    for (const raw of [
      '5.0',
      '-1.5',
      '1.-5',
      '01.5',
      '1.05',
      '1e3.5',
      '1.5e3',
      'NaN.5',
      '5.NaN',
      'Infinity.5',
      '1.5.6',
      '1..5',
      '.5',
      '5.',
      ' 1.5',
      '1.5 ',
      '1.5\n',
      '1.5\u0000',
      '0x10.5',
      '1.5;drop table audit_log',
      "1.5' or '1'='1",
      '１.5',
      '9007199254740993.5',
      '5.9007199254740993',
      '99999999999999999.1',
      '1.99999999999999999',
      '1_000.5',
      '+1.5',
    ])
      refused(b64(raw));
  });

  it('refuses other encodings of a valid cursor (padding, standard base64, junk the decoder skips)', () => {
    const good = encodeAuditCursor({ ts: 1_700_000_000_000, seq: 42 });
    for (const text of [
      `${good}=`,
      `${good}==`,
      Buffer.from('1700000000000.42').toString('base64'),
      `${good}!`,
      ` ${good}`,
      `${good.slice(0, 4)}.${good.slice(4)}`,
      good.toUpperCase(),
      '',
    ]) {
      if (text === good) continue;
      refused(text);
    }
  });

  it('round-trips what it hands out, up to the largest safe integers', () => {
    for (const at of [
      { ts: 0, seq: 1 },
      { ts: 1_700_000_000_000, seq: 42 },
      { ts: Number.MAX_SAFE_INTEGER, seq: Number.MAX_SAFE_INTEGER },
    ]) {
      const text = encodeAuditCursor(at);
      const back = decodeAuditCursor(text);
      assert.deepEqual(back, at);
      assert.ok(Number.isSafeInteger(back.ts) && back.ts >= 0);
      assert.ok(Number.isSafeInteger(back.seq) && back.seq >= 1);
    }
  });
});
