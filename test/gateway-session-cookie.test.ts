import assert from 'node:assert/strict';
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
