import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { basicAuth, cli, startTestNode, startEchoUpstream, type TestNode } from './support/node.js';

const API = '/_tokengate/api/v1';
const PASSWORD = 'unicode-password-1';

/**
 * Red team, issue 15: case-insensitive user names fold ASCII letters only. Unicode characters whose
 * case mapping lands on an ASCII letter (the Kelvin sign K → k, the long s ſ → S, the dotless ı → I,
 * the dotted İ → i̇) and fullwidth letters are other names: beside the owner's token they are a
 * user mismatch, with the owner's password they are a wrong user. Everywhere a name is compared:
 * the gateway, the management API (token and password) and the web UI's sign-in. The ASCII
 * spelling in upper case is the one that works.
 */
describe('red team 15: Unicode look-alikes of a user name are not that user', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  const tokens: Record<string, string> = {};
  // user → spellings that must not be that user
  const LOOKALIKES: Record<string, string[]> = {
    kid: ['\u212Aid', '\u212AID'],
    sid: ['\u017Fid', '\u017FID'],
    tim: ['t\u0131m', 'T\u0131M'],
    ida: ['\u0130da', '\u0130DA'],
    eve: ['\uFF45\uFF56\uFF45', '\uFF25\uFF36\uFF25'],
  };

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    // Every refusal here is a failed attempt from 127.0.0.1: room for all of them, so each answer is
    // the check's own (401), not a brute-force block (429).
    await t.settings({ 'bruteForce.ipMaxFailures': 1000, 'bruteForce.userMaxFailures': 1000 });
    for (const username of Object.keys(LOOKALIKES)) {
      await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username, password: PASSWORD });
      tokens[username] = (await t.tokenFor(username)).token;
    }
  });
  after(async () => {
    await t?.close();
    await up?.close();
  });

  const gateway = (authorization: string) => fetch(`${t.url}/rest/x`, { headers: { authorization } });
  const api = (authorization: string) => fetch(`${t.adminUrl}${API}/me`, { headers: { authorization } });
  const signIn = (username: string) =>
    fetch(`${t.adminUrl}${API}/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username, password: PASSWORD }),
    });

  it('the ASCII upper-case spelling is the user (the control)', async () => {
    for (const [user, token] of Object.entries(tokens)) {
      const upper = user.toUpperCase();
      assert.equal((await gateway(basicAuth(upper, token))).status, 200, upper);
      assert.equal(up.seen[up.seen.length - 1]?.headers['x-forwarded-user'], user);
      assert.equal((await api(basicAuth(upper, token))).status, 200, upper);
      assert.equal((await api(basicAuth(upper, PASSWORD))).status, 200, upper);
      assert.equal((await signIn(upper)).status, 200, upper);
    }
  });

  it("a look-alike beside the owner's token is refused at the gateway and the management API", async () => {
    for (const [user, names] of Object.entries(LOOKALIKES)) {
      const token = tokens[user] ?? '';
      for (const name of names) {
        const seen = up.seen.length;
        assert.equal((await gateway(basicAuth(name, token))).status, 401, `${user} as ${name}`);
        assert.equal(up.seen.length, seen, `${name} reached the upstream`);
        assert.equal((await api(basicAuth(name, token))).status, 401, `${user} as ${name}`);
      }
    }
  });

  it("a look-alike with the user's password is refused by the management API and the sign-in", async () => {
    for (const [user, names] of Object.entries(LOOKALIKES)) {
      for (const name of names) {
        assert.equal((await api(basicAuth(name, PASSWORD))).status, 401, `${user} as ${name}`);
        assert.equal((await signIn(name)).status, 401, `${user} as ${name}`);
      }
    }
  });
});
