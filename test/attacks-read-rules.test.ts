import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decideRequest, type GatewayPolicy } from '../src/domain/auth/decide.js';
import { compileIpMatcher } from '../src/domain/auth/ip-rules.js';
import * as readRules from '../src/domain/auth/read-rules.js';
import { defaultSettings } from '../src/domain/settings.js';
import { generateToken } from '../src/domain/token/format.js';
import { ownerFixture, tokenFixture } from './support/domain-fixtures.js';

/**
 * Finding 5 of issue 14: `POST /**\/v1/**\/jobs/**\/run` and a 15 KB path froze the process for 27 s
 * (the rule compiled to a backtracking regex), and the rule ran for any token-shaped secret, real or
 * not. Rule matching must be linear in the path, and the rules are consulted only for a real token.
 */

const RULE = 'POST /**/v1/**/jobs/**/run';
/** About 15 KB of segments the rule's three `**` can split in every way, with no `/run` at the end. */
const HOSTILE = `${'/v1/jobs'.repeat(1875)}/x`;
const NOW = Date.UTC(2030, 5, 1);

function policyWith(rules: GatewayPolicy['readRules']): GatewayPolicy {
  const settings = { ...defaultSettings(), 'auth.readRules': [RULE] };
  return { settings, allowedIps: compileIpMatcher(settings['auth.allowedIps']), readRules: rules };
}

interface GlobApi {
  compileGlob(pattern: string): { match(path: string): { matched: boolean; steps: number } };
}

function globApi(): GlobApi {
  const api = readRules as unknown as Partial<GlobApi>;
  assert.equal(
    typeof api.compileGlob,
    'function',
    'read-rules exports compileGlob, a matcher that reports the steps it took',
  );
  return api as GlobApi;
}

/** The old semantics as a regex: fine for short inputs, the reference the matcher must agree with. */
function reference(pattern: string): RegExp {
  let out = '^';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern.charAt(i);
    if (c === '*' && pattern.charAt(i + 1) === '*') {
      out += '.*';
      i++;
    } else if (c === '*') out += '[^/]*';
    else out += c.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}

describe('read rules: linear matching (issue 14, finding 5)', () => {
  it('the 15 KB reproduction is decided at once (one generous wall-clock sanity bound)', () => {
    assert.ok(HOSTILE.length > 15_000);
    const rules = readRules.compileReadRules([RULE]);
    const started = process.hrtime.bigint();
    assert.equal(rules.isRead('POST', HOSTILE), false);
    assert.equal(rules.isRead('POST', `${HOSTILE}/run`), true);
    const ms = Number(process.hrtime.bigint() - started) / 1e6;
    assert.ok(ms < 2000, `matching took ${ms.toFixed(0)} ms`);
  });

  it('counts its steps: at most (|path|+1)·(|pattern|+1) on the reproduction', () => {
    const { compileGlob } = globApi();
    const pattern = '/**/v1/**/jobs/**/run';
    const r = compileGlob(pattern).match(HOSTILE);
    assert.equal(r.matched, false);
    assert.ok(
      r.steps <= (HOSTILE.length + 1) * (pattern.length + 1),
      `${r.steps} steps for ${HOSTILE.length} × ${pattern.length}`,
    );
  });

  it('property: adversarial patterns and paths agree with the reference and stay within c·(|path|+1)·(|pattern|+1) steps', () => {
    const { compileGlob } = globApi();
    // Few letters, many stars and slashes: the inputs that make backtracking matchers explode.
    const patternChar = fc.constantFrom('*', '*', '**', '/', 'a', 'b', '.', '-');
    const pathChar = fc.constantFrom('/', 'a', 'b', '.', '-');
    fc.assert(
      fc.property(
        fc.array(patternChar, { maxLength: 24 }).map((cs) => `/${cs.join('')}`),
        fc.array(pathChar, { maxLength: 60 }).map((cs) => `/${cs.join('')}`),
        (pattern, path) => {
          const r = compileGlob(pattern).match(path);
          assert.equal(r.matched, reference(pattern).test(path), `${pattern} vs ${path}`);
          assert.ok(r.steps <= (path.length + 1) * (pattern.length + 1), `${r.steps} steps`);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('property: long hostile paths stay within the step bound', () => {
    const { compileGlob } = globApi();
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('/**', '/*', '/v1', '/jobs', '**', 'v1'), { minLength: 1, maxLength: 12 }),
        fc.array(fc.constantFrom('/v1', '/jobs', '/', 'v1', 'jobs'), { minLength: 200, maxLength: 2000 }),
        (parts, segments) => {
          const pattern = `${parts.join('')}/run`;
          const path = segments.join('');
          const r = compileGlob(pattern).match(path);
          assert.ok(r.steps <= (path.length + 1) * (pattern.length + 1), `${r.steps} steps`);
        },
      ),
      { numRuns: 50 },
    );
  });
});

describe('read rules are consulted only after a real token is found (finding 5)', () => {
  const secret = generateToken();
  let consulted = 0;
  const counting: GatewayPolicy['readRules'] = {
    isRead: () => {
      consulted++;
      return false;
    },
  };

  it('a token-shaped secret that matches no token never reaches the rules', () => {
    consulted = 0;
    const o = decideRequest({
      presented: { kind: 'token', secret, basicUser: null },
      token: null,
      tokenIps: null,
      owner: null,
      method: 'POST',
      path: HOSTILE,
      clientIp: '127.0.0.1',
      now: NOW,
      policy: policyWith(counting),
    });
    assert.equal(o.kind, 'denied');
    assert.equal(consulted, 0, 'the read rules ran for a token that does not exist');
  });

  it('a revoked, expired or write token never reaches the rules either; a live read token does', () => {
    const base = {
      presented: { kind: 'token', secret, basicUser: null } as const,
      tokenIps: null,
      owner: ownerFixture(NOW),
      method: 'POST',
      path: '/x',
      clientIp: '127.0.0.1',
      now: NOW,
      policy: policyWith(counting),
    };
    consulted = 0;
    decideRequest({ ...base, token: tokenFixture(NOW, { revokedAt: NOW - 1 }) });
    decideRequest({ ...base, token: tokenFixture(NOW, { expiresAt: NOW - 1 }) });
    assert.equal(
      decideRequest({ ...base, token: tokenFixture(NOW, { scope: 'write' }) }).kind,
      'authenticated',
    );
    assert.equal(consulted, 0);
    const o = decideRequest({ ...base, token: tokenFixture(NOW) });
    assert.equal(o.kind, 'denied');
    assert.equal(consulted, 1);
  });
});
