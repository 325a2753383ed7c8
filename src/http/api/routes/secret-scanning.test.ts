import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../../../config/config.js';
import { CLI_PRINCIPAL } from '../../../domain/auth/permissions.js';
import { generateToken } from '../../../domain/token/format.js';
import { hashToken } from '../../../domain/token/hash.js';
import type { Notifier, TokenNotice } from '../../../notify/notifier.js';
import { compileScannerKeys, MAX_ALERT_ENTRIES } from '../../../services/leak-response.js';
import { recordSecret } from '../../../../test/support/artifacts.js';
import { cli, startEchoUpstream, startTestNode, type TestNode } from '../../../../test/support/node.js';
import {
  ADMIN,
  alertBody,
  API,
  apiOn,
  ENDPOINT,
  errorOf,
  gatewayStatus,
  inject,
  KEY_ID,
  labelOf,
  LEAK_URL,
  pair,
  publicPem,
  report,
  revocations,
  scanner,
  signature,
  stranger,
} from '../../../../test/support/secret-scanning.js';

/**
 * The secret-scanning alert endpoint (docs/secret-scanning.md): GitHub's partner format, signed
 * with a key pair made here. A reported token is revoked (the gateway refuses it at once), audited
 * with the URL where it was found, and its owner told; the answer labels tokens by their SHA-256.
 * Anything unsigned, wrongly signed or malformed is refused before a single token is touched.
 */

describe('secret-scanning alerts (GitHub partner format)', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  const enabled = (): Config['secretScanning'] => ({
    enabled: true,
    publicKeys: [{ id: KEY_ID, pem: publicPem(scanner.publicKey) }],
  });

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url, (c) => {
      c.secretScanning = enabled();
    });
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, {
      username: 'alice',
      displayName: 'Alice Example',
      email: 'alice@example.com',
    });
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  it('revokes a reported token, audits the URL, and labels every distinct token once', async () => {
    const leaked = await t.tokenFor('alice', { description: 'ci deploy' });
    const bystander = await t.tokenFor('alice', { description: 'laptop' });
    assert.equal(await gatewayStatus(t, leaked.token), 200, 'the token works (and is cached) before');
    const unknown = generateToken('tgp'); // well-formed, checksum right, but never issued
    const body = alertBody([
      { token: leaked.token, type: 'tokengate_token', url: LEAK_URL, source: 'content' },
      { token: 'tgp_not-a-token', type: 'tokengate_token', url: LEAK_URL, source: 'content' },
      { token: unknown, type: 'tokengate_token', url: LEAK_URL, source: 'commit' },
      { token: leaked.token, type: 'tokengate_token', url: `${LEAK_URL}#again`, source: 'commit' },
    ]);
    const r = await report(t, body);
    assert.equal(r.status, 200, JSON.stringify(r.data));
    assert.deepEqual(r.data, [
      { token_hash: hashToken(leaked.token), token_type: 'tokengate_token', label: 'true_positive' },
      { token_hash: hashToken('tgp_not-a-token'), token_type: 'tokengate_token', label: 'false_positive' },
      { token_hash: hashToken(unknown), token_type: 'tokengate_token', label: 'false_positive' },
    ]);
    assert.ok(!JSON.stringify(r.data).includes(leaked.token), 'the answer never carries a token');

    assert.equal(await gatewayStatus(t, leaked.token), 401, 'revoked at once, cache included');
    assert.equal(await gatewayStatus(t, bystander.token), 200, 'the owner’s other tokens keep working');
    const stored = await t.node.ctx.store.tokens.findById(leaked.id);
    assert.equal(stored?.revokedBy, '@secret-scanning');

    const records = await revocations(t, leaked.id);
    assert.equal(records.length, 1, 'one revocation, though the token was reported twice');
    const [rec] = records;
    assert.equal(rec?.author, '@secret-scanning');
    assert.equal(rec?.affectedUser, 'alice');
    assert.equal(rec?.endpoint, ENDPOINT);
    assert.equal(rec?.summary, `Token "ci deploy" of alice revoked: found leaked at ${LEAK_URL}`);
    assert.deepEqual(
      { reason: rec?.details?.reason, url: rec?.details?.url, source: rec?.details?.source },
      { reason: 'leaked', url: LEAK_URL, source: 'content' },
    );
    assert.equal(rec?.details?.type, 'tokengate_token');
  });

  it('answers a token reported again true_positive, without a second revocation or record', async () => {
    const leaked = await t.tokenFor('alice', { description: 'reported twice' });
    const body = alertBody([
      { token: leaked.token, type: 'tokengate_token', url: LEAK_URL, source: 'content' },
    ]);
    assert.equal((await report(t, body)).status, 200);
    const again = await report(
      t,
      alertBody([{ token: leaked.token, type: 'tokengate_token', url: '', source: 'npm' }]),
    );
    assert.equal(again.status, 200);
    assert.equal(labelOf(again.data, leaked.token), 'true_positive');
    assert.equal((await revocations(t, leaked.id)).length, 1);
  });

  it('revokes the token of a rotated (former) secret that leaked', async () => {
    const old = await t.tokenFor('alice', { description: 'rotated' });
    const rotated = await t.node.ctx.tokens.rotate(CLI_PRINCIPAL, cli, old.id, 3600, true);
    recordSecret('token', rotated.token);
    assert.equal(await gatewayStatus(t, rotated.token), 200);
    const r = await report(
      t,
      alertBody([{ token: old.token, type: 'tokengate_token', url: LEAK_URL, source: 'content' }]),
    );
    assert.equal(r.status, 200, JSON.stringify(r.data));
    assert.equal(labelOf(r.data, old.token), 'true_positive');
    assert.equal(await gatewayStatus(t, rotated.token), 401, 'the current secret stops too');
    const [rec] = await revocations(t, old.id);
    assert.equal(rec?.details?.rotatedSecret, true);
    assert.match(rec?.summary ?? '', /a rotated secret of it found leaked at/);
  });

  it('checks the signature over the exact bytes sent, not a re-serialization of them', async () => {
    const leaked = await t.tokenFor('alice', { description: 'pretty printed' });
    // As GitHub may send it: its own key order and spacing. Parsed and re-serialized, it would differ.
    const body = `[\n  {"source": "commit", "url": "${LEAK_URL}",\n   "type": "tokengate_token", "token": "${leaked.token}"}\n]\n`;
    assert.notEqual(JSON.stringify(JSON.parse(body)), body);
    const r = await report(t, body);
    assert.equal(r.status, 200, JSON.stringify(r.data));
    assert.equal(labelOf(r.data, leaked.token), 'true_positive');
    assert.equal(await gatewayStatus(t, leaked.token), 401);
  });

  it('refuses unsigned, wrongly signed or tampered alerts with 401, and the token keeps working', async () => {
    const victim = await t.tokenFor('alice', { description: 'not leaked' });
    const body = alertBody([
      { token: victim.token, type: 'tokengate_token', url: LEAK_URL, source: 'content' },
    ]);
    const other = alertBody([{ token: 'tgp_x', type: 'tokengate_token', url: LEAK_URL, source: 'content' }]);
    const cases: Array<[string, Awaited<ReturnType<typeof report>>, RegExp]> = [
      ['tampered body', await report(t, body, { sig: signature(other) }), /Github-Public-Key-Signature/],
      [
        'signed by another key',
        await report(t, body, { sig: signature(body, stranger.privateKey) }),
        /does not match/,
      ],
      ['unknown key id', await report(t, body, { keyId: 'someone-else' }), /Github-Public-Key-Identifier/],
      ['no key id', await report(t, body, { keyId: null }), /missing Github-Public-Key-Identifier/],
      ['no signature', await report(t, body, { sig: null }), /missing Github-Public-Key-Signature/],
      ['not base64', await report(t, body, { sig: '!!not base64!!' }), /Github-Public-Key-Signature/],
      [
        'garbage DER',
        await report(t, body, { sig: Buffer.from('nonsense').toString('base64') }),
        /does not match/,
      ],
    ];
    for (const [name, r, message] of cases) {
      assert.equal(r.status, 401, name);
      assert.equal(errorOf(r.data).code, 'unauthorized', name);
      assert.match(errorOf(r.data).message, message, name);
    }
    assert.equal(await gatewayStatus(t, victim.token), 200);
    assert.equal((await revocations(t, victim.id)).length, 0);
  });

  it('refuses a malformed alert with 400 naming the field, and revokes nothing of it', async () => {
    const victim = await t.tokenFor('alice', { description: 'in a bad batch' });
    const good = { token: victim.token, type: 'tokengate_token', url: LEAK_URL, source: 'content' };
    const tooMany = Array.from({ length: MAX_ALERT_ENTRIES + 1 }, () => ({ token: 'x' }));
    const cases: Array<[string, string, string]> = [
      ['not JSON', '[{"token":', 'body: is not valid JSON'],
      ['an object, not a list', JSON.stringify({ token: victim.token }), 'body: must be a JSON array'],
      ['an entry without a token', alertBody([good, { type: 'x' }]), 'body[1].token: must be a string'],
      ['a token that is not a string', alertBody([good, { token: 42 }]), 'body[1].token: must be a string'],
      ['an entry that is not an object', JSON.stringify([good, 'tgp_x']), 'body[1]: must be an object'],
      [
        'a url that is not a string',
        alertBody([good, { token: 'y', url: 7 }]),
        'body[1].url: must be a string',
      ],
      ['too many entries', alertBody([good, ...tooMany]), `body: has more than ${MAX_ALERT_ENTRIES} entries`],
    ];
    for (const [name, body, message] of cases) {
      const r = await report(t, body);
      assert.equal(r.status, 400, name);
      assert.equal(errorOf(r.data).code, 'invalid_request', name);
      assert.ok(errorOf(r.data).message.startsWith(message), `${name}: ${errorOf(r.data).message}`);
      assert.ok(!JSON.stringify(r.data).includes(victim.token), `${name}: no secret in the error`);
    }
    assert.equal(await gatewayStatus(t, victim.token), 200, 'nothing of a refused alert was acted on');
    assert.equal((await revocations(t, victim.id)).length, 0);
  });

  it('keeps the API body limit (413), and every other route still parses JSON itself', async () => {
    const big = alertBody([{ token: 'x', url: 'u'.repeat(70 * 1024) }]);
    const r = await report(t, big);
    assert.equal(r.status, 413);
    assert.equal(errorOf(r.data).code, 'payload_too_large');
    // A JSON body elsewhere is an object, not raw bytes: the raw parser stays in its own plugin.
    const created = await fetch(`${t.adminUrl}${API}/admin/users`, {
      method: 'POST',
      headers: { authorization: ADMIN, 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'bob' }),
    });
    assert.equal(created.status, 201, await created.text());
    const text = await fetch(`${t.url}${ENDPOINT}`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: '[]',
    });
    assert.equal(text.status, 415);
    await text.arrayBuffer();
  });

  it('is in the OpenAPI document, without security, only when on', async () => {
    const doc = async (
      get: () => Promise<unknown>,
    ): Promise<Record<string, { post?: { security?: unknown } }>> =>
      ((await get()) as { paths: Record<string, { post?: { security?: unknown } }> }).paths;
    const on = await doc(async () => (await fetch(`${t.adminUrl}${API}/openapi.json`)).json());
    assert.deepEqual(on[ENDPOINT]?.post?.security, []);
    const api = apiOn(t, undefined);
    await api.ready();
    const off = await doc(async () => (await api.inject({ url: `${API}/openapi.json` })).json());
    await api.close();
    assert.equal(off[ENDPOINT], undefined);
    assert.ok(Object.keys(off).length > 10, 'the rest of the document is there');
  });

  it('answers 404 with the API’s error when turned off (or not configured)', async () => {
    const off = apiOn(t, { ...enabled(), enabled: false });
    const absent = apiOn(t, undefined);
    const body = alertBody([{ token: 'tgp_x' }]);
    for (const api of [off, absent]) {
      await api.ready();
      const r = await inject(api, body, {
        'github-public-key-identifier': KEY_ID,
        'github-public-key-signature': signature(body),
      });
      assert.equal(r.status, 404);
      assert.equal(errorOf(r.data).code, 'not_found');
      await api.close();
    }
  });

  it('tells the owner once, naming the URL and the scanner, and never the secret', async () => {
    const notices: TokenNotice[] = [];
    const notifier: Notifier = {
      notify: async (n) => {
        notices.push(n);
      },
      close: async () => undefined,
    };
    const api = apiOn(t, enabled(), notifier);
    await api.ready();
    try {
      const leaked = await t.tokenFor('alice', { description: 'notified', scope: 'read' });
      const body = alertBody([
        { token: leaked.token, type: 'tokengate_token', url: LEAK_URL, source: 'content' },
        { token: generateToken('tgp'), type: 'tokengate_token', url: LEAK_URL, source: 'content' },
      ]);
      const headers = {
        'github-public-key-identifier': KEY_ID,
        'github-public-key-signature': signature(body),
      };
      const r = await inject(api, body, headers);
      assert.equal(r.status, 200, JSON.stringify(r.data));
      assert.equal(notices.length, 1, 'one notice: the unknown token has no owner');
      const [n] = notices;
      assert.equal(n?.kind, 'token.leaked');
      assert.deepEqual(n?.owner, {
        username: 'alice',
        displayName: 'Alice Example',
        email: 'alice@example.com',
      });
      assert.equal(n?.token.id, leaked.id);
      assert.equal(n?.token.description, 'notified');
      assert.equal(n?.token.scope, 'read');
      assert.deepEqual(n?.leak, { url: LEAK_URL, source: 'content' });
      assert.equal(n?.revoked, true);
      assert.ok(!JSON.stringify(n).includes(leaked.token), 'no secret in the notice');
      // Reported again: already revoked, nobody is told twice.
      assert.equal((await inject(api, body, headers)).status, 200);
      assert.equal(notices.length, 1);
    } finally {
      await api.close();
    }
  });

  it('refuses at start-up a key that is not ECDSA P-256, or no key at all', async () => {
    assert.throws(
      () => compileScannerKeys([{ id: 'k', pem: publicPem(pair('secp384r1').publicKey) }]),
      /secretScanning\.publicKeys\[0\]\.pem must be an ECDSA P-256/,
    );
    assert.throws(
      () =>
        compileScannerKeys([{ id: 'k', pem: '-----BEGIN PUBLIC KEY-----\nnope\n-----END PUBLIC KEY-----' }]),
      /secretScanning\.publicKeys\[0\]\.pem is not a readable PEM public key/,
    );
    const pem = publicPem(scanner.publicKey);
    assert.throws(
      () =>
        compileScannerKeys([
          { id: 'k', pem },
          { id: 'k', pem },
        ]),
      /publicKeys\[1\]\.id: "k" is given twice/,
    );
    // buildApi loads its plugins on ready(): that is where the server's start fails.
    const keyless = apiOn(t, { enabled: true, publicKeys: [] });
    await assert.rejects(async () => {
      await keyless.ready();
    }, /at least one entry/);
  });
});
