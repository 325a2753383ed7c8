import assert from 'node:assert/strict';
import { test } from 'node:test';

import { safeReturnTo } from './redirect.js';

const policy = { allowedHosts: ['app.example.com', 'tools.example.com:8443'], defaultPath: '/' };

test('same-site paths pass unchanged', () => {
  for (const ok of [
    '/',
    '/tokens',
    '/tokens?page=2#top',
    '/a/b/../c',
    '/%2F%2Fevil.com',
    '/x?next=//evil.com',
  ]) {
    assert.equal(safeReturnTo(ok, policy), ok, ok);
  }
});

test('absolute URLs on an allowed host pass, normalised', () => {
  assert.equal(safeReturnTo('https://app.example.com/x?y=1', policy), 'https://app.example.com/x?y=1');
  assert.equal(safeReturnTo('HTTPS://APP.example.com/x', policy), 'https://app.example.com/x');
  assert.equal(safeReturnTo('http://app.example.com:8080/', policy), 'http://app.example.com:8080/');
  assert.equal(safeReturnTo('https://tools.example.com:8443/a', policy), 'https://tools.example.com:8443/a');
});

test('the classic open-redirect payloads fall back to the default', () => {
  const payloads = [
    '//evil.com',
    '//evil.com/%2F..',
    '///evil.com',
    '////evil.com',
    '/\\evil.com',
    '\\\\evil.com',
    '\\/evil.com',
    '/\\/evil.com',
    '/\t/evil.com',
    '/\n/evil.com',
    '/\r\n/evil.com',
    ' /x',
    '/x ',
    '\u0000/x',
    '/\u00a0/evil.com',
    '/\u2028/evil.com',
    '/\ufeff/evil.com',
    '/..//evil.com',
    '/./..//evil.com',
    'https://evil.com',
    'https://evil.com/https://app.example.com',
    'http://app.example.com.evil.com/',
    'https://evil.com#app.example.com',
    'https://evil.com?app.example.com',
    'https://app.example.com@evil.com/',
    'https://user:pass@app.example.com/',
    'https://app.example.com%2F@evil.com',
    'https://tools.example.com/',
    'https://tools.example.com:9443/',
    'https:evil.com',
    'https:/evil.com',
    'http:/\\evil.com',
    'javascript:alert(1)',
    'JaVaScRiPt:alert(1)',
    'java\tscript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'ftp://app.example.com/',
    'evil.com',
    'app.example.com/x',
    '@evil.com',
    '.evil.com',
    '',
    `/${'a'.repeat(5000)}`,
  ];
  for (const p of payloads) assert.equal(safeReturnTo(p, policy), '/', JSON.stringify(p));
});

test('values that are not strings fall back to the default', () => {
  for (const v of [undefined, null, 42, ['/x'], { toString: () => '/x' }]) {
    assert.equal(safeReturnTo(v, { allowedHosts: [], defaultPath: '/home' }), '/home');
  }
});

test('an empty allow-list refuses every absolute URL', () => {
  assert.equal(safeReturnTo('https://app.example.com/', { allowedHosts: [], defaultPath: '/' }), '/');
});

test('IPv6 hosts match with and without a port', () => {
  const v6 = { allowedHosts: ['[::1]', '[::2]:8443'], defaultPath: '/' };
  assert.equal(safeReturnTo('http://[::1]:3000/x', v6), 'http://[::1]:3000/x');
  assert.equal(safeReturnTo('https://[::2]:8443/x', v6), 'https://[::2]:8443/x');
  assert.equal(safeReturnTo('https://[::2]:9443/x', v6), '/');
});
