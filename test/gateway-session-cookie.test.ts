import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { SESSION_COOKIE } from '../src/http/cookies.js';
import { startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

describe('the management session cookie never reaches the upstream (issue 14 finding 1)', () => {
  let upstream: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;

  before(async () => {
    upstream = await startEchoUpstream();
    t = await startTestNode(upstream.url);
  });

  after(async () => {
    await t.close();
    await upstream.close();
  });

  async function forwardedCookie(cookie: string): Promise<string | undefined> {
    const before = upstream.seen.length;
    const res = await fetch(`${t.url}/app/page`, { headers: { cookie } });
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    assert.equal(upstream.seen.length, before + 1);
    return upstream.seen.at(-1)?.headers.cookie;
  }

  it('removes it from between other cookies, which keep their bytes', async () => {
    assert.equal(await forwardedCookie(`a=1; ${SESSION_COOKIE}=x; b=2`), 'a=1; b=2');
  });

  it('removes it first and last, and every copy of it', async () => {
    assert.equal(await forwardedCookie(`${SESSION_COOKIE}=x; a=1`), 'a=1');
    assert.equal(await forwardedCookie(`a=1;${SESSION_COOKIE}=x`), 'a=1');
    assert.equal(await forwardedCookie(`${SESSION_COOKIE}=x; a=1; ${SESSION_COOKIE}=y`), 'a=1');
    assert.equal(await forwardedCookie(`a=1 ; ${SESSION_COOKIE} =x;b=q=2`), 'a=1 ;b=q=2');
  });

  it('drops the header when nothing else remains', async () => {
    assert.equal(await forwardedCookie(`${SESSION_COOKIE}=x`), undefined);
    assert.equal(await forwardedCookie(` ${SESSION_COOKIE}=x; ${SESSION_COOKIE}=y`), undefined);
  });

  it('keeps cookies whose names only resemble it', async () => {
    const kept = `x${SESSION_COOKIE}=1; ${SESSION_COOKIE}x=2; ${SESSION_COOKIE.toUpperCase()}=3`;
    assert.equal(await forwardedCookie(kept), kept);
  });
});

describe('the upstream cannot set the management session cookie (red team F6)', () => {
  /** What the upstream answers with, per path: the Set-Cookie values, in order. */
  const answers: Record<string, string[]> = {
    '/many': [
      'a=1; Path=/',
      `${SESSION_COOKIE}=tossed; Path=/_tokengate/api`,
      `${SESSION_COOKIE} =spaced; Path=/`,
      `${SESSION_COOKIE.toUpperCase()}=upper`,
      `x${SESSION_COOKIE}=prefixed`,
      `c=${SESSION_COOKIE}=inside`,
      'b=2;  HttpOnly ;Secure',
    ],
    '/only': [`${SESSION_COOKIE}=tossed; Path=/_tokengate`],
    '/one': ['solo=1; Max-Age=60'],
  };
  let upstream: Server;
  let t: TestNode;

  before(async () => {
    upstream = createServer((req, res) => {
      res.setHeader('set-cookie', answers[req.url ?? ''] ?? []);
      res.end('ok');
    });
    await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', r));
    t = await startTestNode(`http://127.0.0.1:${(upstream.address() as AddressInfo).port}`);
  });

  after(async () => {
    await t.close();
    upstream.closeAllConnections();
    await new Promise((r) => upstream.close(r));
  });

  async function setCookies(path: string): Promise<string[]> {
    const res = await fetch(`${t.url}${path}`);
    assert.equal(res.status, 200);
    await res.arrayBuffer();
    return res.headers.getSetCookie();
  }

  it('drops every Set-Cookie named tg_session and keeps the others byte for byte', async () => {
    assert.deepEqual(await setCookies('/many'), [
      'a=1; Path=/',
      `${SESSION_COOKIE.toUpperCase()}=upper`,
      `x${SESSION_COOKIE}=prefixed`,
      `c=${SESSION_COOKIE}=inside`,
      'b=2;  HttpOnly ;Secure',
    ]);
  });

  it('drops the header when it set only that cookie, and passes a single other one', async () => {
    assert.deepEqual(await setCookies('/only'), []);
    assert.deepEqual(await setCookies('/one'), ['solo=1; Max-Age=60']);
  });
});
