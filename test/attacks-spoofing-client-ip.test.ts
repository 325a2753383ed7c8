import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { AuditRecord } from '../src/domain/audit/audit.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { createTokengate } from '../src/middleware/index.js';
import { basicAuth, cli, startTestNode, type TestNode } from './support/node.js';
import { rawUpstream, send } from './support/spoofing.js';

/**
 * Header spoofing of where a request comes from: X-Forwarded-For from an untrusted peer never changes
 * the client IP (log line, audit record, IP allow-lists); and forward-auth believes X-Original-* /
 * X-Forwarded-Method/-Uri only from a trusted proxy. Identity headers are in attacks-spoofing.test.ts.
 */

describe('X-Forwarded-For from an untrusted peer never changes the client IP', () => {
  let up: Awaited<ReturnType<typeof rawUpstream>>;
  let t: TestNode;
  let token: string;
  let fenced: string;
  let mark = 0;

  before(async () => {
    up = await rawUpstream();
    t = await startTestNode(up.url);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'dave' });
    token = (await t.tokenFor('dave')).token;
    fenced = (await t.tokenFor('dave', { allowedIps: ['203.0.113.0/24'] })).token;
    await t.settings({ 'audit.events.authSuccess': true, 'audit.events.authFailedToken': true });
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  /** Every way a client might claim another address. */
  const claims: OutgoingHttpHeaders = {
    'x-forwarded-for': ['203.0.113.7', '203.0.113.8, 203.0.113.9'],
    X_Forwarded_For: '203.0.113.10',
    forwarded: 'for=203.0.113.11',
    'x-real-ip': '203.0.113.12',
    'true-client-ip': '203.0.113.13',
  };

  const auditSince = async (seq: number): Promise<AuditRecord[]> => {
    await t.node.runtime.auditQueue.flush();
    return (await t.node.ctx.store.audit.search({ category: 'authentication' }, 100)).filter(
      (r) => r.seq > seq,
    );
  };

  it('in the log line and the audit record', async () => {
    const seq = (await t.node.ctx.store.audit.head())?.seq ?? 0;
    mark = t.lines.length;
    const r = await send(t.url, '/who', { ...claims, authorization: `Bearer ${token}` });
    assert.equal(r.status, 200);
    await t.node.logs.flush();
    const line = t.lines.slice(mark).find((l) => l.includes('Found a matching token'));
    assert.match(line ?? '', / INFO dave \S+ - 127\.0\.0\.1 \/who \[auth\]/);
    assert.doesNotMatch(t.lines.slice(mark).join(''), /203\.0\.113\./);
    const records = await auditSince(seq);
    assert.equal(records.length, 1);
    assert.equal(records[0]?.sourceIp, '127.0.0.1');
    assert.equal(records[0]?.proxyIp, null);
    // And the upstream hears only the real peer as X-Forwarded-For.
    assert.equal(up.seen.at(-1)?.headers['x-forwarded-for'], '127.0.0.1');
  });

  it("in the IP allow-lists (the global one and the token's own)", async () => {
    assert.equal((await send(t.url, '/who', { ...claims, authorization: `Bearer ${fenced}` })).status, 403);
    await t.settings({ 'auth.allowedIps': ['203.0.113.0/24'] });
    try {
      assert.equal((await send(t.url, '/who', { ...claims, authorization: `Bearer ${token}` })).status, 403);
      // Through a trusted proxy the same header is believed (the control): the rightmost untrusted hop.
      await t.settings({ 'auth.trustedProxies': ['127.0.0.1'] });
      assert.equal(
        (
          await send(t.url, '/who', {
            'x-forwarded-for': '10.9.9.9, 203.0.113.7',
            authorization: `Bearer ${fenced}`,
          })
        ).status,
        200,
      );
      // A client behind the trusted proxy cannot pick its address by prepending one.
      assert.equal(
        (
          await send(t.url, '/who', {
            'x-forwarded-for': '203.0.113.7, 10.9.9.9',
            authorization: `Bearer ${fenced}`,
          })
        ).status,
        403,
      );
    } finally {
      await t.settings({ 'auth.allowedIps': [], 'auth.trustedProxies': [] });
    }
  });

  it('at the management API, in the audit record of a change', async () => {
    const seq = (await t.node.ctx.store.audit.head())?.seq ?? 0;
    const r = await fetch(`${t.adminUrl}/_tokengate/api/v1/tokens`, {
      method: 'POST',
      headers: {
        authorization: basicAuth('admin', 'admin-password-1'),
        'content-type': 'application/json',
        'x-forwarded-for': '203.0.113.7',
      },
      body: JSON.stringify({ description: 'spoof check' }),
    });
    assert.equal(r.status, 201);
    const created = (await t.node.ctx.store.audit.search({ action: 'token.created' }, 10)).filter(
      (x) => x.seq > seq,
    );
    assert.equal(created[0]?.sourceIp, '127.0.0.1');
    assert.equal(created[0]?.proxyIp, null);
  });

  it('in the middleware', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tg-spoof-xff-'));
    const tg = await createTokengate({ dataDir: dir, nodeId: 'xff-app', show: () => undefined });
    try {
      const r = await tg.authenticate({
        method: 'GET',
        url: '/x',
        headers: { 'x-forwarded-for': '203.0.113.7' },
        socket: { remoteAddress: '::ffff:192.0.2.1' },
      });
      assert.equal(r.client.clientIp, '192.0.2.1');
      assert.equal(r.client.proxyIp, null);
    } finally {
      await tg.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('forward-auth believes the original method and URI only from a trusted proxy', () => {
  let t: TestNode;
  let read: string;
  let mark = 0;

  before(async () => {
    t = await startTestNode(null);
    await t.node.ctx.users.create(CLI_PRINCIPAL, cli, { username: 'erin' });
    read = (await t.tokenFor('erin', { scope: 'read' })).token;
  });
  after(() => t.close());

  const auth = (headers: OutgoingHttpHeaders, method = 'GET') =>
    send(t.url, '/_tokengate/auth', headers, method);

  it('refuses X-Original-*/X-Forwarded-Method/-Uri from an untrusted peer, in any case, with 403', async () => {
    mark = t.lines.length;
    for (const h of [
      { 'x-original-uri': '/app' },
      { 'X-Original-Method': 'GET' },
      { 'X-FORWARDED-URI': '/app' },
      { 'x-forwarded-method': ['GET', 'GET'] },
    ]) {
      const r = await auth({ ...h, authorization: `Bearer ${read}` });
      assert.equal(r.status, 403, JSON.stringify(h));
      // Two copies are refused by the server before forward-auth looks (src/http/server.ts).
      if (!Array.isArray(Object.values(h)[0]))
        assert.match(r.body, /accepted only from a trusted proxy \(auth\.trustedProxies\)/);
    }
    // Said once in the log (the rest of the minute is counted, not repeated).
    await t.node.logs.flush();
    const warned = t.lines.slice(mark).filter((l) => l.includes('not in auth.trustedProxies'));
    assert.equal(warned.length, 1);
    assert.match(warned[0] ?? '', / WARN .*from 127\.0\.0\.1, which is not in auth\.trustedProxies/);
  });

  it('decides a direct call without those headers on its own method and path', async () => {
    assert.equal((await auth({ authorization: `Bearer ${read}` })).status, 200);
    assert.equal((await auth({ authorization: `Bearer ${read}` }, 'POST')).status, 403);
    // Underscore spellings are not the headers at all: ignored, so a POST stays a POST.
    assert.equal(
      (
        await auth(
          { authorization: `Bearer ${read}`, x_original_method: 'GET', X_Forwarded_Method: 'GET' },
          'POST',
        )
      ).status,
      403,
    );
  });

  it('believes them from a trusted proxy', async () => {
    await t.settings({ 'auth.trustedProxies': ['127.0.0.1'] });
    try {
      const ok = await auth({
        authorization: `Bearer ${read}`,
        'x-original-method': 'GET',
        'x-original-uri': '/app',
      });
      assert.equal(ok.status, 200);
      const write = await auth({
        authorization: `Bearer ${read}`,
        'x-forwarded-method': 'POST',
        'x-forwarded-uri': '/app',
      });
      assert.equal(write.status, 403);
      assert.match(write.body, /method type was POST/);
    } finally {
      await t.settings({ 'auth.trustedProxies': [] });
    }
  });
});
