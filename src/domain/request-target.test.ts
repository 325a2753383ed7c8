import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkRequestTarget } from './request-target.js';

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
});
