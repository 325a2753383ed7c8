import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { call } from '../../../../test/support/harness.js';
import { useUiHarness } from '../../../../test/support/ui-server.js';

describe('web UI files', () => {
  const h = useUiHarness();

  it('serves the UI with a strict Content-Security-Policy and the usual security headers', async () => {
    const index = await call(h.api, { method: 'GET', url: '/_tokengate/' });
    assert.equal(index.statusCode, 200);
    assert.match(String(index.headers['content-type']), /text\/html/);
    assert.equal(index.headers['cache-control'], 'no-cache');
    const csp = String(index.headers['content-security-policy']);
    assert.match(csp, /default-src 'self'/);
    assert.match(csp, /script-src 'self'(;|$)/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|https?:/);
    assert.equal(index.headers['x-frame-options'], 'DENY');
    assert.equal(index.headers['x-content-type-options'], 'nosniff');
    assert.equal(index.headers['referrer-policy'], 'no-referrer');
    const asset = await call(h.api, { method: 'GET', url: '/_tokengate/assets/app-abc123.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers['cache-control']), /immutable/);
    const traversal = await call(h.api, { method: 'GET', url: '/_tokengate/assets/../../package.json' });
    assert.notEqual(traversal.statusCode, 200);
    assert.equal((await call(h.api, { method: 'GET', url: '/_tokengate/assets/nope.js' })).statusCode, 404);
    // API answers carry the headers as well.
    assert.match(
      String(
        (await call(h.api, { method: 'GET', url: '/_tokengate/health' })).headers['content-security-policy'],
      ),
      /default-src/,
    );
  });
});
