import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL, type Principal } from '../src/domain/auth/permissions.js';
import { AppError } from '../src/domain/errors.js';
import { basicAuth, cli, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * Issue 17: the members of a service account's owning group manage its tokens through the token
 * manager's routes (create, list, read, rotate, revoke), and nothing else: not another user's tokens,
 * not a service account of another group, not one holding powers they lack, not the account itself.
 * A disabled member may do nothing. Every action is audited with the member as author.
 */

const API = '/_tokengate/api/v1';
const PASSWORD = 'owner-test-password-1';
const BOB = basicAuth('bob', PASSWORD); // member of platform, which owns ci-deploy
const CAROL = basicAuth('carol', PASSWORD); // member of other, which owns other-svc
const DAVE = basicAuth('dave', PASSWORD); // in no owning group
const ERIN = basicAuth('erin', PASSWORD); // member of platform, disabled later

interface Answer {
  status: number;
  body: {
    token?: string;
    record?: { id: string; user: string; scope: string; createdBy: string };
    items?: Array<{ id: string; user: string }>;
    error?: { code: string; message: string };
  } | null;
}

describe('service accounts: the owning group manages their tokens (issue 17)', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;

  const api = async (
    method: string,
    path: string,
    authorization: string,
    body?: unknown,
  ): Promise<Answer> => {
    const res = await fetch(`${t.adminUrl}${API}${path}`, {
      method,
      headers: { authorization, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Answer['body']) : null };
  };

  const gateway = async (secret: string): Promise<{ status: number; user: string | undefined }> => {
    const before = up.seen.length;
    const res = await fetch(`${t.url}/data`, { headers: { authorization: `Bearer ${secret}` } });
    await res.arrayBuffer();
    const seen = up.seen[before];
    const user = seen?.headers['x-forwarded-user'];
    return { status: res.status, user: typeof user === 'string' ? user : undefined };
  };

  const auditOf = async (action: string, tokenId: string) => {
    await t.node.runtime.auditQueue.flush();
    return t.node.ctx.store.audit.search({ action, tokenId }, 10);
  };

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    const users = t.node.ctx.users;
    for (const [username, groups] of [
      ['bob', ['platform']],
      ['carol', ['other']],
      ['dave', ['dev']],
      ['erin', ['platform']],
      ['alice', ['platform']],
    ] as const) {
      await users.create(CLI_PRINCIPAL, cli, { username, groups: [...groups], password: PASSWORD });
    }
    await users.create(CLI_PRINCIPAL, cli, {
      username: 'ci-deploy',
      serviceAccount: true,
      ownerGroup: 'platform',
    });
    await users.create(CLI_PRINCIPAL, cli, {
      username: 'other-svc',
      serviceAccount: true,
      ownerGroup: 'other',
    });
    // Owned by platform, but a token manager (robots) or an administrator: their tokens would hand
    // bob powers he does not hold.
    await t.settings({ 'permissions.manageAllTokens': ['admin', 'robots'] });
    await users.create(CLI_PRINCIPAL, cli, {
      username: 'robot-svc',
      serviceAccount: true,
      ownerGroup: 'platform',
      groups: ['robots'],
    });
    await users.create(CLI_PRINCIPAL, cli, {
      username: 'root-svc',
      serviceAccount: true,
      ownerGroup: 'platform',
      groups: ['admin'],
    });
  });

  after(async () => {
    await t?.close();
    await up?.close();
  });

  it('lets a member create, list, read, rotate, use and revoke the service account’s token, audited as theirs', async () => {
    const created = await api('POST', '/admin/users/ci-deploy/tokens', BOB, {
      description: 'deploy pipeline',
      scope: 'write',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const id = created.body?.record?.id ?? '';
    const first = created.body?.token ?? '';
    assert.equal(created.body?.record?.user, 'ci-deploy');
    assert.equal(created.body?.record?.createdBy, 'bob');

    // Through the gateway, the token stands for the service account, not for bob.
    assert.deepEqual(await gateway(first), { status: 200, user: 'ci-deploy' });

    const list = await api('GET', '/admin/tokens?user=ci-deploy', BOB);
    assert.equal(list.status, 200, JSON.stringify(list.body));
    assert.deepEqual(
      list.body?.items?.map((x) => x.id),
      [id],
    );
    const one = await api('GET', `/admin/tokens/${id}`, BOB);
    assert.equal(one.status, 200);
    assert.equal((one.body as { user?: string } | null)?.user, 'ci-deploy');

    const rotated = await api('POST', `/admin/tokens/${id}/rotate`, BOB, { graceSeconds: 0 });
    assert.equal(rotated.status, 200, JSON.stringify(rotated.body));
    const second = rotated.body?.token ?? '';
    assert.notEqual(second, first);
    assert.equal((await gateway(second)).status, 200);

    const revoked = await api('DELETE', `/admin/tokens/${id}`, BOB);
    assert.equal(revoked.status, 204);
    assert.equal((await gateway(second)).status, 401);

    for (const action of ['token.created', 'token.rotated', 'token.revoked']) {
      const [rec] = await auditOf(action, id);
      assert.ok(rec, `a ${action} record`);
      assert.equal(rec.author, 'bob', action);
      assert.equal(rec.affectedUser, 'ci-deploy', action);
    }
    const [createdRec] = await auditOf('token.created', id);
    assert.match(
      createdRec?.summary ?? '',
      /created for ci-deploy by bob, a member of its owning group platform/,
    );
  });

  it('lets a member revoke all of the service account’s tokens', async () => {
    const a = await api('POST', '/admin/users/ci-deploy/tokens', BOB, { description: 'one' });
    const b = await api('POST', '/admin/users/ci-deploy/tokens', BOB, { description: 'two' });
    assert.equal(a.status, 201);
    assert.equal(b.status, 201);
    const all = await api('DELETE', '/admin/users/ci-deploy/tokens', BOB);
    assert.equal(all.status, 200, JSON.stringify(all.body));
    assert.equal((all.body as { revoked?: number } | null)?.revoked, 2);
  });

  it('refuses a member for any other user, for another group’s account and for an account with powers they lack', async () => {
    const aliceToken = await t.tokenFor('alice');
    const otherToken = await t.tokenFor('other-svc');
    const rootToken = await t.tokenFor('root-svc');
    const robotToken = await t.tokenFor('robot-svc');

    for (const owner of ['alice', 'other-svc', 'root-svc', 'robot-svc', 'dave', 'no-such-user']) {
      const r = await api('POST', `/admin/users/${owner}/tokens`, BOB, { description: 'not mine' });
      assert.equal(r.status, 403, `create for ${owner}: ${JSON.stringify(r.body)}`);
      assert.equal(
        (await api('DELETE', `/admin/users/${owner}/tokens`, BOB)).status,
        403,
        `revoke all of ${owner}`,
      );
      assert.equal((await api('GET', `/admin/tokens?user=${owner}`, BOB)).status, 403, `list ${owner}`);
    }
    // The whole list is for token managers only.
    assert.equal((await api('GET', '/admin/tokens', BOB)).status, 403);

    // Someone else's token is missing, as it is for its owner's other tokens: ids cannot be probed.
    for (const tok of [aliceToken, otherToken, rootToken, robotToken]) {
      assert.equal((await api('GET', `/admin/tokens/${tok.id}`, BOB)).status, 404);
      assert.equal((await api('POST', `/admin/tokens/${tok.id}/rotate`, BOB, {})).status, 404);
      assert.equal((await api('DELETE', `/admin/tokens/${tok.id}`, BOB)).status, 404);
      assert.equal((await gateway(tok.token)).status, 200, 'still working');
    }
  });

  it('refuses a member of another group and a user in no owning group', async () => {
    const svcToken = await t.tokenFor('ci-deploy');
    for (const who of [CAROL, DAVE]) {
      assert.equal(
        (await api('POST', '/admin/users/ci-deploy/tokens', who, { description: 'not theirs' })).status,
        403,
      );
      assert.equal((await api('DELETE', '/admin/users/ci-deploy/tokens', who)).status, 403);
    }
    // carol owns other-svc, so she reaches the token manager, but not ci-deploy's tokens.
    assert.equal((await api('GET', '/admin/tokens?user=ci-deploy', CAROL)).status, 403);
    assert.equal((await api('GET', `/admin/tokens/${svcToken.id}`, CAROL)).status, 404);
    assert.equal((await api('POST', `/admin/tokens/${svcToken.id}/rotate`, CAROL, {})).status, 404);
    assert.equal((await api('DELETE', `/admin/tokens/${svcToken.id}`, CAROL)).status, 404);
    // dave owns nothing: the token manager is closed to him, as to any user without manageAllTokens.
    assert.equal((await api('GET', '/admin/tokens?user=ci-deploy', DAVE)).status, 403);
    assert.equal((await api('GET', `/admin/tokens/${svcToken.id}`, DAVE)).status, 403);
    assert.equal((await api('DELETE', `/admin/tokens/${svcToken.id}`, DAVE)).status, 403);
    assert.equal((await gateway(svcToken.token)).status, 200, 'still working');
  });

  it('does not let a member edit or delete the service account itself', async () => {
    assert.equal(
      (await api('PATCH', '/admin/users/ci-deploy', BOB, { displayName: 'mine now' })).status,
      403,
    );
    assert.equal((await api('DELETE', '/admin/users/ci-deploy', BOB)).status, 403);
  });

  it('refuses a member’s token: tokens cannot create tokens, nor rotate another', async () => {
    const bobs = await t.tokenFor('bob', { scope: 'write' });
    const svcToken = await t.tokenFor('ci-deploy');
    const bearer = `Bearer ${bobs.token}`;
    assert.equal(
      (await api('POST', '/admin/users/ci-deploy/tokens', bearer, { description: 'x' })).status,
      403,
    );
    assert.equal((await api('POST', `/admin/tokens/${svcToken.id}/rotate`, bearer, {})).status, 403);
  });

  it('keeps the limits of creating for oneself: createOwnTokens, forceReadOnly, maxPerUser', async () => {
    await t.settings({ 'tokens.forceReadOnly': true });
    try {
      const write = await api('POST', '/admin/users/ci-deploy/tokens', BOB, {
        description: 'w',
        scope: 'write',
      });
      assert.equal(write.status, 400, JSON.stringify(write.body));
      assert.equal(write.body?.error?.code, 'policy_violation');
      assert.equal(
        (await api('POST', '/admin/users/ci-deploy/tokens', BOB, { description: 'r' })).status,
        201,
      );
    } finally {
      await t.settings({ 'tokens.forceReadOnly': false });
    }
    await t.settings({ 'permissions.createOwnTokens': ['dev'] });
    try {
      const r = await api('POST', '/admin/users/ci-deploy/tokens', BOB, { description: 'no right' });
      assert.equal(r.status, 403, JSON.stringify(r.body));
    } finally {
      await t.settings({ 'permissions.createOwnTokens': ['*'] });
    }
    await t.settings({ 'tokens.maxPerUser': 1 });
    try {
      await t.node.ctx.tokens.revokeAllOfUser(CLI_PRINCIPAL, cli, 'ci-deploy');
      assert.equal(
        (await api('POST', '/admin/users/ci-deploy/tokens', BOB, { description: 'a' })).status,
        201,
      );
      const over = await api('POST', '/admin/users/ci-deploy/tokens', BOB, { description: 'b' });
      assert.equal(over.status, 400, JSON.stringify(over.body));
      assert.equal(over.body?.error?.code, 'policy_violation');
    } finally {
      await t.settings({ 'tokens.maxPerUser': 10 });
    }
  });

  it('revokes what a member created when the account later gains a power they lack', async () => {
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, {
      username: 'later-svc',
      serviceAccount: true,
      ownerGroup: 'platform',
    });
    const made = await api('POST', '/admin/users/later-svc/tokens', BOB, { description: 'before' });
    assert.equal(made.status, 201);
    const secret = made.body?.token ?? '';
    assert.equal((await gateway(secret)).status, 200);
    await t.node.ctx.users.update(CLI_PRINCIPAL, cli, 'later-svc', { groups: ['robots'] });
    assert.equal((await gateway(secret)).status, 401, 'revoked: bob held a copy');
    const [rec] = await auditOf('token.revoked', made.body?.record?.id ?? '');
    assert.equal((rec?.details as { reason?: string } | undefined)?.reason, 'promoted');
  });

  it('refuses a disabled member, at the API and in the service', async () => {
    const svcToken = await t.tokenFor('ci-deploy');
    const ok = await api('GET', `/admin/tokens/${svcToken.id}`, ERIN);
    assert.equal(ok.status, 200, 'erin may while enabled');
    await t.node.ctx.users.update(CLI_PRINCIPAL, cli, 'erin', { disabled: true });

    assert.equal((await api('GET', `/admin/tokens/${svcToken.id}`, ERIN)).status, 401);
    assert.equal(
      (await api('POST', '/admin/users/ci-deploy/tokens', ERIN, { description: 'x' })).status,
      401,
    );
    assert.equal((await api('DELETE', `/admin/tokens/${svcToken.id}`, ERIN)).status, 401);

    // A principal made before the change reached this node (a cached session elsewhere) is refused too.
    const stale: Principal = { username: 'erin', groups: ['platform'], via: 'session' };
    const refused = async (p: Promise<unknown>, code: string): Promise<void> => {
      await assert.rejects(p, (e: unknown) => e instanceof AppError && e.code === code);
    };
    const tokens = t.node.ctx.tokens;
    await refused(tokens.create(stale, cli, 'ci-deploy', { description: 'x' }), 'forbidden');
    await refused(tokens.get(stale, svcToken.id, true), 'not_found');
    await refused(tokens.rotate(stale, cli, svcToken.id, undefined, true), 'not_found');
    await refused(tokens.revoke(stale, cli, svcToken.id, true), 'not_found');
    await refused(tokens.revokeAllOfUser(stale, cli, 'ci-deploy'), 'forbidden');
    await refused(tokens.search(stale, { user: 'ci-deploy' }, 10), 'forbidden');
    assert.equal((await gateway(svcToken.token)).status, 200, 'still working');
  });
});
