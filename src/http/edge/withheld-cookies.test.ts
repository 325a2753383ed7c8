import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { upstreamResponseHeaders, withheldCookies } from './proxy-request.js';

describe("tokengate's cookies and the upstream's Set-Cookie", () => {
  const browser = { cookieName: '__Host-tg_gateway', pendingCookieName: '__Host-tg_sso_pending' };

  it('withholds the admin session always, and the gateway session and pending sign-in with browser sign-in', () => {
    assert.deepEqual(withheldCookies(null), ['tg_session']);
    assert.deepEqual(withheldCookies(browser), ['tg_session', '__Host-tg_gateway', '__Host-tg_sso_pending']);
  });

  it('drops an upstream Set-Cookie that would set one of them (session fixation), keeping the others in order', () => {
    const out = upstreamResponseHeaders(
      {
        'set-cookie': [
          'a=1; Path=/',
          '__Host-tg_gateway=fixated; Path=/; Secure',
          ' __Host-tg_sso_pending =x',
          'tg_session=y; Path=/_tokengate',
          'tg_gateway=plain-name-is-not-ours-here',
          'b=2',
        ],
        'content-type': 'text/html',
      },
      null,
      withheldCookies(browser),
    );
    assert.deepEqual(out['set-cookie'], ['a=1; Path=/', 'tg_gateway=plain-name-is-not-ours-here', 'b=2']);
    assert.equal(out['content-type'], 'text/html');
  });

  it('drops the header when only ours were set', () => {
    const out = upstreamResponseHeaders(
      { 'set-cookie': '__Host-tg_gateway=x' },
      null,
      withheldCookies(browser),
    );
    assert.equal(out['set-cookie'], undefined);
  });
});
