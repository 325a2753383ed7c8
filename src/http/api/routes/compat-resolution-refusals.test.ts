import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addMonths, requestedExpiry, toFilters } from './compat-resolution/mapping.js';
import { basicAuth } from '../../../../test/support/node.js';
import {
  ADMIN,
  ALICE,
  BOB,
  DAY,
  MIA,
  request,
  useCompatNode,
  type CompatPageBody,
  type CreatedBody,
  type ErrorBody,
} from '../../../../test/support/compat-resolution.js';

/**
 * The seed app's REST API, compatible subset: what it refuses. Validation answers 400 naming the
 * field, never 500; permissions follow tokengate's rules.
 */

describe('seed app REST API: refusals', () => {
  const node = useCompatNode();
  const { compat, ownTokens } = node;

  describe('validation: 400 naming the field, never 500', () => {
    const cases: Array<[string, unknown, string]> = [
      ['months 0', { tokenDescription: 'x', tokenValidityTimeInMonths: 0 }, 'tokenValidityTimeInMonths'],
      ['months -3', { tokenDescription: 'x', tokenValidityTimeInMonths: -3 }, 'tokenValidityTimeInMonths'],
      ['months 1.5', { tokenDescription: 'x', tokenValidityTimeInMonths: 1.5 }, 'tokenValidityTimeInMonths'],
      ['months "3"', { tokenDescription: 'x', tokenValidityTimeInMonths: '3' }, 'tokenValidityTimeInMonths'],
      [
        'bad date',
        { tokenDescription: 'x', tokenExpirationDateTime: 'next tuesday' },
        'tokenExpirationDateTime',
      ],
      [
        'date 30 Feb',
        { tokenDescription: 'x', tokenExpirationDateTime: '2030-02-30' },
        'tokenExpirationDateTime',
      ],
      [
        'date without zone',
        { tokenDescription: 'x', tokenExpirationDateTime: '2030-01-01T10:00:00' },
        'tokenExpirationDateTime',
      ],
      [
        'date past',
        { tokenDescription: 'x', tokenExpirationDateTime: '2001-01-01' },
        'tokenExpirationDateTime',
      ],
      ['date a number', { tokenDescription: 'x', tokenExpirationDateTime: 1 }, 'tokenExpirationDateTime'],
      [
        'millis past',
        { tokenDescription: 'x', tokenExpirationDateTimeMillis: 1000 },
        'tokenExpirationDateTimeMillis',
      ],
      [
        'millis huge',
        { tokenDescription: 'x', tokenExpirationDateTimeMillis: 1e300 },
        'tokenExpirationDateTimeMillis',
      ],
      [
        'months and date',
        { tokenDescription: 'x', tokenValidityTimeInMonths: 1, tokenExpirationDateTime: '2030-01-01' },
        'tokenExpirationDateTime',
      ],
      [
        'date and millis',
        { tokenDescription: 'x', tokenExpirationDateTime: '2030-01-01', tokenExpirationDateTimeMillis: 1 },
        'tokenExpirationDateTimeMillis',
      ],
      ['description too long', { tokenDescription: 'd'.repeat(256) }, 'tokenDescription'],
      ['description blank', { tokenDescription: '   ' }, 'tokenDescription'],
      ['description control chars', { tokenDescription: 'a\u202eb' }, 'tokenDescription'],
      ['description missing', { tokenValidityTimeInMonths: 1 }, 'tokenDescription'],
      ['description a number', { tokenDescription: 5 }, 'tokenDescription'],
      ['unknown field', { tokenDescription: 'x', scope: 'write' }, 'scope'],
      ['scope 3', { tokenDescription: 'x', tokenScope: 3 }, 'tokenScope'],
      ['not an object', [1, 2], 'body'],
      ['bad JSON', '{"tokenDescription": ', 'body'],
    ];
    for (const [name, body, field] of cases) {
      it(`POST /user/token: ${name}`, async () => {
        const r = await request(compat('/user/token'), 'POST', ALICE, body);
        assert.equal(r.status, 400, r.body);
        const e = r.data as ErrorBody;
        assert.equal(e.error.code, 'invalid_request');
        assert.ok(
          e.errorMessage.startsWith(`${field}:`) || e.errorMessage.startsWith(`${field} `),
          e.errorMessage,
        );
        assert.equal(e.errorMessage, e.error.message);
      });
    }

    it('PATCH: a description too long or blank names tokenDescription', async () => {
      const c = (await request(compat('/user/token'), 'POST', ALICE, { tokenDescription: 'patch me' }))
        .data as CreatedBody;
      for (const tokenDescription of ['d'.repeat(256), ' ', undefined]) {
        const r = await request(compat(`/user/token/${c.id}`), 'PATCH', ALICE, { tokenDescription });
        assert.equal(r.status, 400, r.body);
        assert.match((r.data as ErrorBody).errorMessage, /^tokenDescription/);
      }
      const unknown = await request(compat(`/user/token/${c.id}`), 'PATCH', ALICE, {
        tokenDescription: 'y',
        description: 'y',
      });
      assert.equal(unknown.status, 400);
      assert.match((unknown.data as ErrorBody).errorMessage, /^description: is not a known field/);
    });

    it('tokensByFilter: bad paging and times name the query parameter', async () => {
      for (const [query, field] of [
        ['page=-1', 'query.page'],
        ['limit=0', 'query.limit'],
        ['limit=100000', 'query.limit'],
        ['fromCreated=yesterday', 'query.fromCreated'],
        ['notValidAfter=1.5', 'query.notValidAfter'],
        ['tokenScope=7', 'query.tokenScope'],
        ['start=0', 'query.start'],
      ] as const) {
        const r = await request(compat(`/user/tokensByFilter?${query}`), 'GET', ADMIN);
        assert.equal(r.status, 400, `${query}: ${r.body}`);
        assert.match((r.data as ErrorBody).errorMessage, new RegExp(`^${field.replace('.', '\\.')}`), query);
      }
    });

    it('an expiry beyond tokens.maxValidityDays is a policy_violation with errorMessage', async () => {
      for (const body of [
        { tokenDescription: 'x', tokenValidityTimeInMonths: 13 },
        { tokenDescription: 'x', tokenExpirationDateTimeMillis: Date.now() + 400 * DAY },
      ]) {
        const r = await request(compat('/user/token'), 'POST', ALICE, body);
        assert.equal(r.status, 400, r.body);
        const e = r.data as ErrorBody;
        assert.equal(e.error.code, 'policy_violation');
        assert.match(e.errorMessage, /beyond the maximum validity of 365 days/);
      }
    });

    it('months are calendar months; 12 months over a 29 February still fit a 365-day maximum', () => {
      const at = (iso: string) => Date.parse(iso);
      assert.equal(addMonths(at('2027-01-31T10:00:00Z'), 1), at('2027-02-28T10:00:00Z'));
      assert.equal(addMonths(at('2027-12-15T00:00:00.123Z'), 3), at('2028-03-15T00:00:00.123Z'));
      const now = at('2027-03-15T12:00:00Z');
      // 2027-03-15 + 12 months = 2028-03-15: 366 days. Cut to the maximum instead of refused.
      assert.equal(
        requestedExpiry({ tokenDescription: 'x', tokenValidityTimeInMonths: 12 }, now, 365),
        new Date(now + 365 * DAY).toISOString(),
      );
      // 13 months is past the maximum by far: left to the policy, which refuses it.
      assert.equal(
        requestedExpiry({ tokenDescription: 'x', tokenValidityTimeInMonths: 13 }, now, 365),
        new Date(at('2028-04-15T12:00:00Z')).toISOString(),
      );
      assert.equal(requestedExpiry({ tokenDescription: 'x' }, now, 365), undefined);
      assert.deepEqual(toFilters({ notValidAfter: 5, untilExpiresDuring: 9 }), [{ expiresTo: 5 }]);
      assert.equal(toFilters({ tokenScope: 0 }), null);
    });
  });

  describe('permissions', () => {
    it("a user cannot PATCH or DELETE another user's token (404), and it stays intact", async () => {
      const c = (await request(compat('/user/token'), 'POST', ALICE, { tokenDescription: 'alice only' }))
        .data as CreatedBody;
      const patch = await request(compat(`/user/token/${c.id}`), 'PATCH', BOB, {
        tokenDescription: 'bob was here',
      });
      assert.equal(patch.status, 404, patch.body);
      assert.equal((patch.data as ErrorBody).error.code, 'not_found');
      const del = await request(compat(`/user/token/${c.id}`), 'DELETE', BOB);
      assert.equal(del.status, 404, del.body);
      const mine = (await ownTokens(ALICE)).find((x) => x.id === c.id);
      assert.equal(mine?.description, 'alice only');
      assert.equal(mine?.status, 'active');
      assert.equal((await request(`${node.t.url}/data`, 'GET', `Bearer ${c.plainTextToken}`)).status, 200);
    });

    it('tokensByFilter needs manageAllTokens (403 otherwise); a token manager may delete any token', async () => {
      const denied = await request(compat('/user/tokensByFilter'), 'GET', BOB);
      assert.equal(denied.status, 403, denied.body);
      assert.match((denied.data as ErrorBody).errorMessage, /manageAllTokens/);

      const c = (await request(compat('/user/token'), 'POST', BOB, { tokenDescription: 'managed' }))
        .data as CreatedBody;
      const seen = await request(
        compat('/user/tokensByFilter?userFilter=bob&descriptionFilter=managed'),
        'GET',
        MIA,
      );
      assert.equal(seen.status, 200, seen.body);
      assert.deepEqual(
        (seen.data as CompatPageBody).content.map((x) => [x.id, x.userKey]),
        [[c.id, 'bob']],
      );
      const del = await request(compat(`/user/token/${c.id}`), 'DELETE', MIA);
      assert.equal(del.status, 200, del.body);
      assert.equal((await ownTokens(BOB)).find((x) => x.id === c.id)?.status, 'revoked');
    });

    it('a token cannot create a token (403), by Bearer or Basic user:token', async () => {
      const c = (
        await request(compat('/user/token'), 'POST', ALICE, {
          tokenDescription: 'a write token',
          tokenScope: 2,
        })
      ).data as CreatedBody;
      for (const auth of [`Bearer ${c.plainTextToken}`, basicAuth('alice', c.plainTextToken)]) {
        const r = await request(compat('/user/token'), 'POST', auth, { tokenDescription: 'minted' });
        assert.equal(r.status, 403, r.body);
        assert.match((r.data as ErrorBody).errorMessage, /tokens cannot create tokens/);
        // Reading your list with a token is fine.
        assert.equal((await request(compat('/user/token'), 'GET', auth)).status, 200);
      }
      assert.ok(!(await ownTokens(ALICE)).some((x) => x.description === 'minted'), 'a token minted a token');
    });

    it('tokenForUserKey creates for another user only with manageAllTokens', async () => {
      const refused = await request(compat('/user/token'), 'POST', ALICE, {
        tokenDescription: 'for bob',
        tokenForUserKey: 'bob',
      });
      assert.equal(refused.status, 403, refused.body);
      const made = await request(compat('/user/token'), 'POST', MIA, {
        tokenDescription: 'for bob by mia',
        tokenForUserKey: 'bob',
      });
      assert.equal(made.status, 200, made.body);
      assert.equal((made.data as CreatedBody).userKey, 'bob');
      const unknown = await request(compat('/user/token'), 'POST', MIA, {
        tokenDescription: 'for nobody',
        tokenForUserKey: 'nobody',
      });
      assert.equal(unknown.status, 404, unknown.body);
    });

    it('no credentials: 401 with WWW-Authenticate and errorMessage', async () => {
      const r = await request(compat('/user/token'), 'GET', null);
      assert.equal(r.status, 401);
      assert.ok(r.headers.get('www-authenticate'), 'no WWW-Authenticate');
      assert.equal(typeof (r.data as ErrorBody).errorMessage, 'string');
      const unknownRoute = await request(compat('/user/token/deleteAllFor/bob'), 'DELETE', ADMIN);
      assert.equal(unknownRoute.status, 404);
      assert.match((unknownRoute.data as ErrorBody).errorMessage, /compatible subset/);
    });
  });
});
