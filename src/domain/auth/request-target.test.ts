import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRequestTarget, methodOverride, urlCredentials } from './request-target.js';

describe('checkRequestTarget', () => {
  it('accepts ordinary paths and returns the path without the query', () => {
    for (const [t, p] of [
      ['/', '/'],
      ['/rest/api/2/issue?expand=x%2Fy', '/rest/api/2/issue'],
      ['/repo.git/git-upload-pack', '/repo.git/git-upload-pack'],
      ['/a/b.c/..d/e', '/a/b.c/..d/e'],
      ['/files/%20space', '/files/%20space'],
    ]) {
      assert.deepEqual(
        checkRequestTarget(t ?? ''),
        {
          ok: true,
          path: p,
          query: (t ?? '').split('?')[1] ?? '',
          methodOverride: null,
        },
        t,
      );
    }
  });

  it('refuses targets an upstream could route elsewhere', () => {
    for (const t of [
      '/repo.git/git-receive-pack#/git-upload-pack',
      '/api/search/../admin',
      '/api/search/./x',
      '/api/..',
      '/api/search/%2e%2e/admin',
      '/api/search/%2E%2E/admin',
      '/api/a%2fb',
      '/api\\admin',
      '/api/%5cadmin',
      '/x%00',
      'http://host/abs',
      '*',
      '',
      '/x?y#z',
    ]) {
      assert.equal(checkRequestTarget(t).ok, false, t);
    }
  });

  describe('methodOverride', () => {
    it('reads override headers in every spelling a CGI, WSGI or Rack host folds together', () => {
      for (const name of [
        'X-HTTP-Method-Override',
        'X_HTTP_Method_Override',
        'x_http_method',
        'X-Method_Override',
      ]) {
        assert.deepEqual(methodOverride([name, 'delete'], ''), { ok: true, method: 'DELETE' }, name);
        assert.deepEqual(
          methodOverride({ [name.toLowerCase()]: 'delete' }, ''),
          { ok: true, method: 'DELETE' },
          name,
        );
      }
      assert.deepEqual(methodOverride(['X-HTTP-Method-Overrides', 'DELETE', 'Accept', '*/*'], ''), {
        ok: true,
        method: null,
      });
    });

    it('sees duplicates and spellings in the raw headers, and refuses them when they disagree', () => {
      const dup = methodOverride(['X-HTTP-Method-Override', 'GET', 'X-HTTP-Method-Override', 'DELETE'], '');
      assert.equal(dup.ok, false);
      const spelt = methodOverride(['X-HTTP-Method-Override', 'GET', 'X_HTTP_METHOD_OVERRIDE', 'DELETE'], '');
      assert.equal(spelt.ok, false);
      assert.deepEqual(methodOverride(['X-HTTP-Method', 'PUT', 'X_HTTP_METHOD', 'put'], ''), {
        ok: true,
        method: 'PUT',
      });
    });

    it('reads _method keys as PHP, qs and lenient decoders do', () => {
      for (const q of [
        '_method=DELETE',
        '%5fmethod=DELETE',
        '%5Fmethod=DELETE',
        '_%6Dethod=DELETE',
        '.method=DELETE',
        '+method=DELETE',
        '%20%20.method=DELETE',
        '[method=DELETE',
        '_method[]=DELETE',
        '_method%00junk=DELETE',
        'a=1;_method=DELETE',
        'a=%zz&_method=DELETE',
        '_METHOD=x&_method=DELETE',
      ]) {
        assert.deepEqual(methodOverride({}, q), { ok: true, method: 'DELETE' }, q);
      }
      for (const q of [
        'payment_method=DELETE',
        '_methods=DELETE',
        'method=DELETE',
        'x=_method',
        '_method]=DELETE',
      ]) {
        assert.deepEqual(methodOverride({}, q), { ok: true, method: null }, q);
      }
      assert.equal(methodOverride({}, '_method=GET&%5fmethod=DELETE').ok, false);
      assert.equal(methodOverride({}, '%5fmethod=%zz').ok, false);
    });
  });

  describe('urlCredentials', () => {
    it('finds access_token and private_token values in every key spelling, and nothing else', () => {
      assert.deepEqual(urlCredentials('access_token=a&private_token=b%2Bc'), ['a', 'b+c']);
      assert.deepEqual(
        urlCredentials('access%5Ftoken=a;access.token=b&%20private_token=c&access_token[]=d'),
        ['a', 'b', 'c', 'd'],
      );
      assert.deepEqual(urlCredentials('access_token=%zz'), ['%zz']);
      for (const q of [
        '',
        'access_token=',
        'access_token',
        'my_access_token=a',
        'token=a',
        'x=access_token',
      ]) {
        assert.deepEqual(urlCredentials(q), [], q);
      }
    });
  });
});
