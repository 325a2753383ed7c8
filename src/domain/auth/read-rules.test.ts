import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { compileReadRules, isPushDiscovery, parseReadRule, READ_RULE_PRESETS } from './read-rules.js';

const WRITE_METHODS = ['POST', 'PUT', 'PATCH', 'DELETE', 'PROPFIND'];

function refused(entry: string): string {
  const r = parseReadRule(entry);
  assert.equal(r.ok, false, `expected ${JSON.stringify(entry)} to be refused`);
  return r.ok ? '' : r.error;
}

describe('compileReadRules: read methods', () => {
  it('GET, HEAD and OPTIONS are reads for any path, with no rules at all', () => {
    const rules = compileReadRules([]);
    for (const method of ['GET', 'HEAD', 'OPTIONS']) {
      for (const path of ['/', '/rest/api/2/myself', '/repo.git/git-receive-pack', '/a b', '']) {
        assert.equal(rules.isRead(method, path), true, `${method} ${path}`);
      }
    }
  });

  it('other methods are not reads without a rule', () => {
    const rules = compileReadRules([]);
    for (const method of WRITE_METHODS) assert.equal(rules.isRead(method, '/anything'), false, method);
  });

  it('GET, HEAD and OPTIONS stay reads whatever rules are configured', () => {
    const rules = compileReadRules(['POST /api/search', 'git']);
    assert.equal(rules.isRead('GET', '/other'), true);
    assert.equal(rules.isRead('HEAD', '/other'), true);
    assert.equal(rules.isRead('OPTIONS', '/other'), true);
  });
});

describe('compileReadRules: the git preset', () => {
  const compiled = compileReadRules(['git']);
  // The preset admits Git's upload-pack exchange only: the request must declare Git's body type.
  const rules = {
    isRead: (method: string, path: string): boolean =>
      compiled.isRead(method, path, { contentType: 'application/x-git-upload-pack-request' }),
  };

  it("needs Git's Content-Type: without it, or with another, POST …/git-upload-pack is no read", () => {
    assert.equal(compiled.isRead('POST', '/repo.git/git-upload-pack'), false);
    for (const contentType of ['application/json', 'text/plain', 'application/x-git-receive-pack-request']) {
      assert.equal(compiled.isRead('POST', '/repo.git/git-upload-pack', { contentType }), false, contentType);
    }
    assert.equal(
      compiled.isRead('POST', '/repo.git/git-upload-pack', {
        contentType: 'Application/X-Git-Upload-Pack-Request; charset=x',
      }),
      true,
    );
  });

  it("refuses Git's push discovery (GET …/info/refs?service=git-receive-pack) whatever the rules", () => {
    for (const query of ['service=git-receive-pack', 'x=1&service=git%2dreceive-pack', 'service=%zz']) {
      assert.equal(compiled.isRead('GET', '/repo.git/info/refs', { query }), false, query);
      assert.equal(compileReadRules([]).isRead('GET', '/repo.git/info/refs', { query }), false, query);
    }
    assert.equal(compiled.isRead('GET', '/repo.git/info/refs', { query: 'service=git-upload-pack' }), true);
    assert.equal(compiled.isRead('GET', '/repo.git/info/refs'), true);
  });

  it('refuses push discovery in every spelling git-http-backend, Gitea, GitLab or Bitbucket reads as one (red team)', () => {
    const cases: Array<[path: string, query: string]> = [
      ['/repo.git/info/refs/', 'service=git-receive-pack'],
      ['/repo.git/info/refs', 'service=GIT-RECEIVE-PACK'],
      ['/repo.git/info/refs', 'Service=git-receive-pack'],
      ['/repo.git/info/refs', 'SERVICE=git-receive-pack'],
      ['/repo.git/info/refs', ';service=git-receive-pack'],
      ['/repo.git/info/refs', 'x=1;service=git-receive-pack'],
      ['/repo.git/info/refs', 'service=git-receive-pack%20'],
      ['/repo.git/info/refs', '%73ervice=git-receive-pack'],
      ['/repo.git/info/refs', 'service=git-%72eceive-pack'],
      ['/repo.git/info/refs', 'service=receive-pack'],
      ['/repo.git/INFO/REFS', 'service=git-receive-pack'],
      ['/repo.git/info/%72efs', 'service=git-receive-pack'],
    ];
    for (const [path, query] of cases) {
      assert.equal(isPushDiscovery(path, query), true, `${path}?${query}`);
      assert.equal(compiled.isRead('GET', path, { query }), false, `${path}?${query}`);
    }
    for (const [path, query] of [
      ['/repo.git/info/refs', 'service=git-upload-pack'],
      ['/repo.git/info/refs/', 'service=git-upload-pack'],
      ['/repo.git/info/refs', 'services=git-receive-pack'],
      ['/repo.git/info/refsx', 'service=git-receive-pack'],
      ['/repo.git/info/refs', ''],
    ] as const) {
      assert.equal(isPushDiscovery(path, query), false, `${path}?${query}`);
    }
  });

  it('makes POST …/git-upload-pack a read at any depth', () => {
    assert.equal(rules.isRead('POST', '/repo.git/git-upload-pack'), true);
    assert.equal(rules.isRead('POST', '/a/b/c.git/git-upload-pack'), true);
  });

  it('does not make git-receive-pack (a push) a read', () => {
    assert.equal(rules.isRead('POST', '/repo.git/git-receive-pack'), false);
    assert.equal(rules.isRead('POST', '/a/b/c.git/git-receive-pack'), false);
  });

  it('covers POST only: PUT …/git-upload-pack is not a read', () => {
    assert.equal(rules.isRead('PUT', '/repo.git/git-upload-pack'), false);
    assert.equal(rules.isRead('DELETE', '/repo.git/git-upload-pack'), false);
  });

  it('matches the whole last segment, not a prefix or suffix of it', () => {
    assert.equal(rules.isRead('POST', '/repo.git/git-upload-pack-extra'), false);
    assert.equal(rules.isRead('POST', '/repo.git/git-upload-pack/x'), false);
    assert.equal(rules.isRead('POST', '/repo.git/xgit-upload-pack'), false);
  });

  it('is the preset the settings name "git"', () => {
    assert.deepEqual(READ_RULE_PRESETS.git, [
      { method: 'POST', path: '/**/git-upload-pack', contentType: 'application/x-git-upload-pack-request' },
    ]);
  });
});

describe('compileReadRules: custom rules', () => {
  it('an exact rule matches that path only, anchored at both ends', () => {
    const rules = compileReadRules(['POST /api/search']);
    assert.equal(rules.isRead('POST', '/api/search'), true);
    assert.equal(rules.isRead('POST', '/api/search/x'), false);
    assert.equal(rules.isRead('POST', '/api/searchx'), false);
    assert.equal(rules.isRead('POST', '/x/api/search'), false);
    assert.equal(rules.isRead('POST', '/api'), false);
  });

  it('an exact rule covers its own method only', () => {
    const rules = compileReadRules(['POST /api/search']);
    assert.equal(rules.isRead('PUT', '/api/search'), false);
    assert.equal(rules.isRead('DELETE', '/api/search'), false);
  });

  it('* matches within one path segment only', () => {
    const rules = compileReadRules(['POST /api/*/search']);
    assert.equal(rules.isRead('POST', '/api/x/search'), true);
    assert.equal(rules.isRead('POST', '/api/some-project/search'), true);
    assert.equal(rules.isRead('POST', '/api/x/y/search'), false);
    assert.equal(rules.isRead('POST', '/api/search'), false);
  });

  it('** matches across segments, at any depth', () => {
    const rules = compileReadRules(['POST /api/**']);
    assert.equal(rules.isRead('POST', '/api/x'), true);
    assert.equal(rules.isRead('POST', '/api/x/y'), true);
    assert.equal(rules.isRead('POST', '/api/x/y/z/search'), true);
    assert.equal(rules.isRead('POST', '/other/x'), false);
    assert.equal(rules.isRead('POST', '/apix/y'), false);
  });

  it('a * method matches any method', () => {
    const rules = compileReadRules(['* /graphql']);
    for (const method of WRITE_METHODS) assert.equal(rules.isRead(method, '/graphql'), true, method);
    assert.equal(rules.isRead('POST', '/graphql/x'), false);
    assert.equal(rules.isRead('POST', '/other'), false);
  });

  it('several rules combine; each keeps its own method', () => {
    const rules = compileReadRules(['POST /api/search', 'PUT /api/**', '* /graphql', 'git']);
    const git = { contentType: 'application/x-git-upload-pack-request' };
    assert.equal(rules.isRead('POST', '/api/search'), true);
    assert.equal(rules.isRead('PUT', '/api/x/y'), true);
    assert.equal(rules.isRead('POST', '/api/x/y'), false);
    assert.equal(rules.isRead('PATCH', '/graphql'), true);
    assert.equal(rules.isRead('POST', '/r.git/git-upload-pack', git), true);
    assert.equal(rules.isRead('PATCH', '/api/search'), false);
  });

  it('regex metacharacters in a pattern are literal', () => {
    const cases: Array<[rule: string, literal: string, notMatching: string[]]> = [
      ['POST /a.b', '/a.b', ['/aXb', '/ab']],
      ['POST /a+b', '/a+b', ['/ab', '/aab', '/aaab']],
      ['POST /a?b', '/a?b', ['/ab', '/b']],
      ['POST /(x)', '/(x)', ['/x']],
      ['POST /[ab]', '/[ab]', ['/a', '/b']],
      ['POST /a|b', '/a|b', ['/a', '/b']],
      ['POST /x{2}', '/x{2}', ['/xx']],
      ['POST /a$b', '/a$b', ['/a']],
      ['POST /^a', '/^a', ['/a']],
      ['POST /a\\d', '/a\\d', ['/a1']],
    ];
    for (const [rule, literal, notMatching] of cases) {
      const rules = compileReadRules([rule]);
      assert.equal(rules.isRead('POST', literal), true, `${rule} should match ${literal}`);
      for (const path of notMatching) {
        assert.equal(rules.isRead('POST', path), false, `${rule} must not match ${path}`);
      }
    }
  });
});

describe('parseReadRule', () => {
  it("refuses Object.prototype's names instead of taking them for presets (the fuzz found a 500)", () => {
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
      const r = parseReadRule(name);
      assert.equal(r.ok, false, name);
    }
  });

  it('accepts METHOD /pattern and returns it normalized', () => {
    const rule = (method: string, path: string) => ({
      ok: true,
      value: [{ method, path, contentType: null }],
    });
    assert.deepEqual(parseReadRule('POST /api/search'), rule('POST', '/api/search'));
    assert.deepEqual(parseReadRule('  PUT   /api/**  '), rule('PUT', '/api/**'));
    assert.deepEqual(parseReadRule('* /graphql'), rule('*', '/graphql'));
    assert.deepEqual(parseReadRule('PROPFIND /dav/*'), rule('PROPFIND', '/dav/*'));
  });

  it('expands a preset name to its rules', () => {
    assert.deepEqual(parseReadRule('git'), {
      ok: true,
      value: [
        { method: 'POST', path: '/**/git-upload-pack', contentType: 'application/x-git-upload-pack-request' },
      ],
    });
    assert.deepEqual(parseReadRule(' git '), {
      ok: true,
      value: [
        { method: 'POST', path: '/**/git-upload-pack', contentType: 'application/x-git-upload-pack-request' },
      ],
    });
  });

  it("returns a copy of a preset's rules, so a caller cannot change the preset", () => {
    const r = parseReadRule('git');
    assert.ok(r.ok);
    r.value.push({ method: 'POST', path: '/evil', contentType: null });
    const first = r.value[0];
    if (first) first.contentType = null;
    assert.deepEqual(READ_RULE_PRESETS.git, [
      { method: 'POST', path: '/**/git-upload-pack', contentType: 'application/x-git-upload-pack-request' },
    ]);
  });

  it('refuses a lower-case method', () => {
    assert.match(refused('post /api/search'), /post \/api\/search/);
    refused('Post /api/search');
  });

  it('refuses a path without a leading slash', () => {
    assert.match(refused('POST api/search'), /api\/search/);
    refused('POST *');
  });

  it('refuses whitespace inside the path', () => {
    refused('POST /api/ search');
    refused('POST /api/\tsearch');
    refused('POST /a /b');
  });

  it('refuses an empty or blank rule', () => {
    refused('');
    refused('   ');
  });

  it('refuses a method alone or a path alone', () => {
    refused('POST');
    refused('/api/search');
  });

  it('refuses an unknown preset name, or a preset name in the wrong case', () => {
    refused('svn');
    refused('GIT');
  });

  it('refuses a path longer than 512 characters', () => {
    refused(`POST /${'a'.repeat(512)}`);
    assert.equal(parseReadRule(`POST /${'a'.repeat(511)}`).ok, true);
  });

  it('explains the expected forms and names the presets in its message', () => {
    const error = refused('svn');
    assert.match(error, /"svn"/);
    assert.match(error, /preset/);
    assert.match(error, /git/);
    assert.match(error, /METHOD \/path\/pattern/);
  });
});

describe('compileReadRules: invalid rules', () => {
  it('throws on an invalid rule, with the parse message', () => {
    assert.throws(() => compileReadRules(['POST /ok', 'post /bad']), {
      name: 'TypeError',
      message: /post \/bad/,
    });
    assert.throws(() => compileReadRules(['svn']), TypeError);
    assert.throws(() => compileReadRules(['']), TypeError);
  });
});
