import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startEchoUpstream, startTestNode, type TestNode } from './support/node.js';

/**
 * Zend Framework 1 and older Symfony route on these headers instead of the request line, so a request
 * judged as `GET /public` would be served as `/admin` (red team notes on F3).
 */
describe('URL-rewrite headers never reach the upstream', () => {
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

  it('strips X-Original-URL and X-Rewrite-URL, in any case and with _ for -', async () => {
    for (const names of [
      ['X-Original-URL', 'X-Rewrite-URL'],
      ['x_original_url', 'X_REWRITE_URL'],
    ]) {
      const headers: Record<string, string> = { 'x-kept': 'yes' };
      for (const name of names) headers[name] = '/admin';
      const res = await fetch(`${t.url}/public`, { headers });
      assert.equal(res.status, 200);
      await res.arrayBuffer();
      const seen = upstream.seen.at(-1);
      assert.equal(seen?.url, '/public');
      const forwarded = Object.keys(seen?.headers ?? {}).map((h) => h.replaceAll('_', '-'));
      assert.ok(!forwarded.includes('x-original-url'), `${names[0]} was forwarded`);
      assert.ok(!forwarded.includes('x-rewrite-url'), `${names[1]} was forwarded`);
      assert.equal(seen?.headers['x-kept'], 'yes');
    }
  });
});
