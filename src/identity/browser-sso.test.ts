import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isNavigation, signInUrl, type BrowserSso } from './browser-sso.js';

const HTML = 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8';

describe("a browser's page navigation", () => {
  it('is a GET or HEAD accepting HTML, navigating or from a browser too old to say', () => {
    assert.equal(isNavigation('GET', HTML, 'navigate', undefined), true);
    assert.equal(isNavigation('HEAD', HTML, undefined, undefined), true);
    assert.equal(isNavigation('GET', 'TEXT/HTML', undefined, undefined), true);
  });

  it('is not a script: another method, no HTML, fetch/XHR from a page, no Accept at all', () => {
    assert.equal(isNavigation('POST', HTML, 'navigate', undefined), false);
    assert.equal(isNavigation('OPTIONS', HTML, 'navigate', undefined), false);
    assert.equal(isNavigation('GET', '*/*', undefined, undefined), false);
    assert.equal(isNavigation('GET', 'application/json', 'navigate', undefined), false);
    assert.equal(isNavigation('GET', HTML, 'cors', undefined), false);
    assert.equal(isNavigation('GET', HTML, 'no-cors', undefined), false);
    assert.equal(isNavigation('GET', HTML, undefined, 'XMLHttpRequest'), false);
    assert.equal(isNavigation('GET', undefined, 'navigate', undefined), false);
  });
});

describe('the sign-in URL', () => {
  const sso = {
    externalUrl: 'https://app.example.com',
    allowedHosts: ['app.example.com', 'wiki.example.com'],
  } as unknown as BrowserSso;

  it("is the gateway's login route on its external URL, with the page to come back to", () => {
    assert.equal(
      signInUrl(sso, '/a%20b?x=1&y=2'),
      'https://app.example.com/_tokengate/sso/login?rd=%2Fa%2520b%3Fx%3D1%26y%3D2',
    );
    assert.equal(
      signInUrl(sso, 'https://wiki.example.com/p'),
      `https://app.example.com/_tokengate/sso/login?rd=${encodeURIComponent('https://wiki.example.com/p')}`,
    );
  });

  it('comes back to the same path on this site for an absolute target on a host that is not allowed', () => {
    assert.equal(
      signInUrl(sso, 'https://evil.example/p?q=1'),
      `https://app.example.com/_tokengate/sso/login?rd=${encodeURIComponent('/p?q=1')}`,
    );
  });

  it('comes back to / for a target of another shape', () => {
    for (const evil of ['https://evil.example/', '//evil.example', '/\\evil.example', 'javascript:x', '']) {
      assert.equal(signInUrl(sso, evil), 'https://app.example.com/_tokengate/sso/login?rd=%2F', evil);
    }
  });
});
