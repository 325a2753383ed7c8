import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../../../domain/auth/permissions.js';
import { ADMIN_PASSWORD, call } from '../../../../test/support/harness.js';
import { basicAuth, cli, startTestNode, type TestNode } from '../../../../test/support/node.js';
import { signInTo, useUiHarness } from '../../../../test/support/ui-server.js';

/**
 * `PUT /me/password` (issue 15: users could not change their own password): with a session or the
 * password itself, never a token; the current password is checked and a wrong one counts as a failed
 * sign-in; the new one follows the admin's rules; every session of the user ends (the caller's web
 * session is replaced); the change is audited with the user as its author.
 */

const API = '/_tokengate/api/v1';

type ErrorBody = {
  error: { code: string; message: string; details?: Array<{ field: string; message: string }> };
};
type Changed = { user: { username: string }; session: { csrfToken: string; expiresAt: string } | null };

/** A client address of its own per test (198.18.0.0/15), so brute-force counts never mix. */
let nextIp = 0;
const clientIp = (): string => `198.18.7.${++nextIp}`;

describe('PUT /me/password: users change their own password', () => {
  let t: TestNode;
  let userCounter = 0;

  /** A fresh user in `dev` with a password, so every test starts from its own state. */
  const newUser = async (password = 'first-password-1'): Promise<{ username: string; password: string }> => {
    const username = `pat-${++userCounter}`;
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username, groups: ['dev'], password });
    return { username, password };
  };

  const signIn = async (
    username: string,
    password: string,
    ip = clientIp(),
  ): Promise<{ status: number; cookie: string; csrf: string }> => {
    const r = await fetch(`${t.adminUrl}${API}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip },
      body: JSON.stringify({ username, password }),
    });
    const body = (await r.json()) as { csrfToken?: string };
    const cookie = /tg_session=[^;]*/.exec(r.headers.get('set-cookie') ?? '')?.[0] ?? '';
    return { status: r.status, cookie, csrf: body.csrfToken ?? '' };
  };

  const change = async (
    headers: Record<string, string>,
    body: unknown,
    ip = clientIp(),
  ): Promise<{ status: number; data: unknown; headers: Headers }> => {
    const r = await fetch(`${t.adminUrl}${API}/me/password`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-forwarded-for': ip, ...headers },
      body: JSON.stringify(body),
    });
    const text = await r.text();
    return { status: r.status, data: text ? (JSON.parse(text) as unknown) : null, headers: r.headers };
  };

  const me = async (headers: Record<string, string>): Promise<number> =>
    (await fetch(`${t.adminUrl}${API}/me`, { headers })).status;

  before(async () => {
    t = await startTestNode(null);
    // This test plays the trusted proxy, so each test has a client IP of its own.
    await t.settings({
      'auth.trustedProxies': ['127.0.0.1'],
      'bruteForce.ipMaxFailures': 50,
      'bruteForce.userMaxFailures': 3,
      'bruteForce.windowSeconds': 600,
      'bruteForce.blockSeconds': 600,
    });
  });
  after(() => t.close());

  it('from the web UI: a new session replaces the old one, every other session ends', async () => {
    const u = await newUser();
    const mine = await signIn(u.username, u.password);
    const other = await signIn(u.username, u.password);
    assert.equal(mine.status, 200);
    const r = await change(
      { cookie: mine.cookie, 'x-csrf-token': mine.csrf },
      { currentPassword: u.password, newPassword: 'second-password-2' },
    );
    assert.equal(r.status, 200, JSON.stringify(r.data));
    const body = r.data as Changed;
    assert.equal(body.user.username, u.username);
    assert.ok(body.session, 'a session caller gets its new session');
    const renewed = /tg_session=[^;]*/.exec(r.headers.get('set-cookie') ?? '')?.[0] ?? '';
    assert.ok(renewed && renewed !== mine.cookie, 'a new session cookie');
    assert.match(r.headers.get('set-cookie') ?? '', /HttpOnly/i);
    assert.equal(await me({ cookie: renewed }), 200, 'the new session works');
    assert.equal(await me({ cookie: mine.cookie }), 401, 'the session that asked has ended');
    assert.equal(await me({ cookie: other.cookie }), 401, 'another session of the user has ended');
    // The renewed session's CSRF token is the one in the answer.
    const csrfCheck = await change(
      { cookie: renewed, 'x-csrf-token': body.session.csrfToken },
      { currentPassword: 'wrong-one', newPassword: 'x' },
    );
    assert.equal(csrfCheck.status, 400, 'past the CSRF check (then refused for its short password)');
    assert.equal((await signIn(u.username, u.password)).status, 401, 'the old password is gone');
    assert.equal((await signIn(u.username, 'second-password-2')).status, 200, 'the new one signs in');
  });

  it('with Basic and the password: the old password stops working at once', async () => {
    const u = await newUser();
    const r = await change(
      { authorization: basicAuth(u.username, u.password) },
      { currentPassword: u.password, newPassword: 'basic-changed-3' },
    );
    assert.equal(r.status, 200, JSON.stringify(r.data));
    assert.equal((r.data as Changed).session, null);
    assert.equal(r.headers.get('set-cookie'), null, 'no session for a password caller');
    assert.equal(await me({ authorization: basicAuth(u.username, u.password) }), 401);
    assert.equal(await me({ authorization: basicAuth(u.username, 'basic-changed-3') }), 200);
  });

  it('is audited as user.updated with the user as author, and never holds a password', async () => {
    const u = await newUser('audit-first-1');
    const s = await signIn(u.username, u.password);
    const r = await change(
      { cookie: s.cookie, 'x-csrf-token': s.csrf },
      { currentPassword: u.password, newPassword: 'audit-second-2' },
    );
    assert.equal(r.status, 200);
    const [rec] = await t.node.ctx.store.audit.search(
      { action: 'user.updated', affectedUser: u.username },
      5,
    );
    assert.ok(rec, 'an audit record');
    assert.equal(rec.author, u.username);
    assert.equal(rec.affectedUser, u.username);
    assert.deepEqual(rec.details, { fields: ['password'] });
    assert.equal(rec.method, 'PUT');
    assert.equal(rec.endpoint, `${API}/me/password`);
    assert.match(rec.summary, new RegExp(`${u.username} changed their own password`));
    const text = JSON.stringify(rec);
    assert.ok(!text.includes('audit-first-1') && !text.includes('audit-second-2'), 'no password in it');
  });

  it('refuses tokens with 403: a token cannot set passwords (issue 14)', async () => {
    const u = await newUser();
    const write = await t.tokenFor(u.username, { scope: 'write' });
    const read = await t.tokenFor(u.username, { scope: 'read' });
    for (const token of [write.token, read.token]) {
      for (const authorization of [`Bearer ${token}`, basicAuth(u.username, token)]) {
        const r = await change(
          { authorization },
          { currentPassword: u.password, newPassword: 'token-set-4' },
        );
        assert.equal(r.status, 403, JSON.stringify(r.data));
        assert.equal((r.data as ErrorBody).error.code, 'forbidden');
      }
    }
    const w = await change(
      { authorization: `Bearer ${write.token}` },
      { currentPassword: u.password, newPassword: 'token-set-4' },
    );
    assert.match((w.data as ErrorBody).error.message, /tokens cannot set passwords/);
    assert.equal(await me({ authorization: basicAuth(u.username, u.password) }), 200, 'unchanged');
  });

  it('refuses a wrong current password with 403 naming currentPassword, and counts it as a failed sign-in', async () => {
    const u = await newUser();
    const ip = clientIp();
    const s = await signIn(u.username, u.password, ip);
    const session = { cookie: s.cookie, 'x-csrf-token': s.csrf };
    // bruteForce.userMaxFailures is 3: three wrong current passwords block the user name from this IP.
    for (let i = 0; i < 3; i++) {
      const r = await change(
        session,
        { currentPassword: `guess-${i}-password`, newPassword: 'never-set-5' },
        ip,
      );
      assert.equal(r.status, 403, JSON.stringify(r.data));
      const err = (r.data as ErrorBody).error;
      assert.equal(err.code, 'forbidden');
      assert.equal(err.message, 'currentPassword: is not your current password');
      assert.deepEqual(err.details, [{ field: 'currentPassword', message: 'is not your current password' }]);
    }
    const blocked = await change(session, { currentPassword: u.password, newPassword: 'never-set-5' }, ip);
    assert.equal(blocked.status, 429, JSON.stringify(blocked.data));
    assert.equal((blocked.data as ErrorBody).error.code, 'rate_limited');
    assert.ok(Number(blocked.headers.get('retry-after')) > 0, 'Retry-After');
    // The web sign-in from that IP is blocked for the user name too: the same count.
    assert.equal((await signIn(u.username, u.password, ip)).status, 429);
    // Nothing changed, and the session still works.
    assert.equal(await me({ cookie: s.cookie }), 200);
    assert.equal((await signIn(u.username, u.password)).status, 200, 'the password is unchanged');
  });

  it('applies the admin password rules to newPassword and validates the body, naming the field', async () => {
    const u = await newUser();
    const auth = { authorization: basicAuth(u.username, u.password) };
    const cases: Array<[unknown, string]> = [
      [{ currentPassword: u.password, newPassword: 'short' }, 'newPassword'],
      [{ currentPassword: u.password, newPassword: 'x'.repeat(1025) }, 'newPassword'],
      [{ currentPassword: u.password }, 'newPassword'],
      [{ newPassword: 'long-enough-6' }, 'currentPassword'],
      [{ currentPassword: u.password, newPassword: 'long-enough-6', extra: 1 }, 'extra'],
    ];
    for (const [body, field] of cases) {
      const r = await change(auth, body);
      assert.equal(r.status, 400, `${JSON.stringify(body).slice(0, 80)}: ${JSON.stringify(r.data)}`);
      const err = (r.data as ErrorBody).error;
      assert.equal(err.code, 'invalid_request');
      assert.deepEqual(
        err.details?.map((d) => d.field),
        [field],
      );
    }
    const short = await change(auth, { currentPassword: u.password, newPassword: 'short' });
    assert.equal((short.data as ErrorBody).error.message, 'newPassword: must be at least 8 characters');
    assert.equal(await me(auth), 200, 'unchanged');
  });

  it('needs authentication, and a session needs its CSRF token', async () => {
    const u = await newUser();
    const anon = await change({}, { currentPassword: u.password, newPassword: 'anon-set-7' });
    assert.equal(anon.status, 401);
    const s = await signIn(u.username, u.password);
    const noCsrf = await change(
      { cookie: s.cookie },
      { currentPassword: u.password, newPassword: 'csrf-set-7' },
    );
    assert.equal(noCsrf.status, 403);
    assert.equal(await me({ authorization: basicAuth(u.username, u.password) }), 200, 'unchanged');
  });

  it('is in the OpenAPI document with its body', async () => {
    const doc = (await (await fetch(`${t.adminUrl}${API}/openapi.json`)).json()) as {
      paths: Record<
        string,
        Record<string, { requestBody?: { content: Record<string, { schema: unknown }> } }>
      >;
    };
    const op = doc.paths[`${API}/me/password`]?.put;
    assert.ok(op, 'PUT /me/password is documented');
    const schema = op.requestBody?.content['application/json']?.schema as {
      properties: Record<string, unknown>;
      required: string[];
    };
    assert.deepEqual(Object.keys(schema.properties).sort(), ['currentPassword', 'newPassword']);
    assert.deepEqual([...schema.required].sort(), ['currentPassword', 'newPassword']);
  });
});

describe('GET /me: what the web UI reads', () => {
  const h = useUiHarness();
  const signIn = (...args: Parameters<ReturnType<typeof signInTo>>) => signInTo(h)(...args);

  it('tells the UI the token policy, and admins the settings help texts', async () => {
    const s = await signIn('paula', 'paula-password');
    const me = await call(h.api, { method: 'GET', url: '/me', headers: { cookie: s.cookie } });
    assert.deepEqual((me.data as { policy: unknown }).policy, {
      maxValidityDays: 365,
      defaultValidityDays: 90,
      forceReadOnly: false,
      maxPerUser: 10,
      tokenPrefix: 'tgp',
      rotationGraceSeconds: 0,
      expiryWarningDays: 5,
    });
    const admin = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}`;
    const schema = await call(h.api, { method: 'GET', url: '/admin/settings/schema', auth: admin });
    const items = (schema.data as { items: Array<{ key: string; description: string }> }).items;
    assert.match(items.find((i) => i.key === 'audit.events.authSuccess')?.description ?? '', /Volume/);
  });
});
