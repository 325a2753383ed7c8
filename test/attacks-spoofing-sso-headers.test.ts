import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { cli, startTestNode, type TestNode } from './support/node.js';
import { rawUpstream, send } from './support/spoofing.js';

/**
 * With `identity.ssoHeaders` set, an SSO proxy's headers sign people in to the admin UI, and the
 * proxied application may trust the same names. A client that reaches the gateway directly must not
 * carry them to the upstream: the gateway strips them from every request, in every spelling and copy,
 * whatever credentials come with it; tokengate's own identity header says who it is.
 */
describe('SSO headers never reach the upstream through the gateway', () => {
  for (const [label, names, ssoHeaders] of [
    [
      'default names (Authelia, Authentik)',
      ['remote-user', 'remote-groups', 'remote-email', 'remote-name'],
      {},
    ],
    [
      'oauth2-proxy names',
      [
        'x-auth-request-user',
        'x-auth-request-groups',
        'x-auth-request-email',
        'x-auth-request-preferred-username',
      ],
      {
        user: 'X-Auth-Request-User',
        groups: 'x-auth-request-groups',
        email: 'x-auth-request-email',
        name: 'x-auth-request-preferred-username',
      },
    ],
  ] as const) {
    describe(label, () => {
      let up: Awaited<ReturnType<typeof rawUpstream>>;
      let t: TestNode;
      let token: string;

      before(async () => {
        up = await rawUpstream();
        t = await startTestNode(up.url, (c) => {
          c.identity.ssoHeaders = {
            user: 'remote-user',
            groups: 'remote-groups',
            email: 'remote-email',
            name: 'remote-name',
            groupSeparator: ',',
            ...Object.fromEntries(Object.entries(ssoHeaders).map(([k, v]) => [k, v.toLowerCase()])),
          };
        });
        await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'alice' });
        token = (await t.tokenFor('alice', { scope: 'read' })).token;
      });
      after(async () => {
        await t.close();
        await up.close();
      });

      for (const [who, auth] of [
        ['anonymous', null],
        ['with a valid token', 'token'],
      ] as const) {
        it(`${who}: no copy of any SSO header arrives, in any spelling`, async () => {
          up.seen.length = 0;
          const headers: Array<[string, string]> = names.flatMap((n): Array<[string, string]> => [
            [n, 'admin'],
            [n.toUpperCase(), 'admin'],
            [n, 'second-copy'],
          ]);
          if (auth === 'token') headers.push(['authorization', `Bearer ${token}`]);
          const r = await send(t.url, '/app', headers);
          assert.equal(r.status, 200, r.body);
          const seen = up.seen[0];
          assert.ok(seen);
          const arrived = seen.raw.filter(
            (_, i) => i % 2 === 0 && names.includes(seen.raw[i]?.toLowerCase() as never),
          );
          assert.deepEqual(arrived, []);
          assert.equal(seen.headers['x-forwarded-user'], auth === 'token' ? 'alice' : undefined);
        });
      }
    });
  }

  it('strips nothing extra when SSO headers are not configured (the upstream may rely on its own proxy)', async () => {
    const up = await rawUpstream();
    const t = await startTestNode(up.url);
    try {
      const r = await send(t.url, '/app', [['remote-user', 'someone']]);
      assert.equal(r.status, 200, r.body);
      assert.equal(up.seen[0]?.headers['remote-user'], 'someone');
    } finally {
      await t.close();
      await up.close();
    }
  });
});
