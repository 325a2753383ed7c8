import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { bootstrap, openApp, type AppContext } from '../src/app.js';
import { loadConfig } from '../src/config/config.js';
import { decideRequest } from '../src/domain/auth/decide.js';
import { hashPassword, verifyPassword } from '../src/domain/auth/password.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { checksum, RANDOM_LENGTH } from '../src/domain/token/format.js';
import { constantTimeEqual, hashToken } from '../src/domain/token/hash.js';
import { lookupCredentials } from '../src/auth/gateway.js';
import type { ChangeFeed } from '../src/services/change-feed.js';
import { CredentialCache } from '../src/auth/credential-cache.js';
import type { Store } from '../src/store/store.js';
import { silentLogger } from '../src/log/logger.js';
import { cli } from './support/node.js';

/**
 * Timing: verification never compares a secret with a stored one byte by byte. Tokens are found by
 * their SHA-256 (a Map key in memory, an indexed column in the database), so how much of a wrong
 * token matches a real one cannot change what is compared; passwords end in timingSafeEqual over
 * fixed-length scrypt keys. The statistical test measures the in-process verification (no HTTP),
 * wrong tokens that share 33 leading characters with a real token against ones that share only the
 * public prefix, interleaved, and compares medians.
 */

const SRC = fileURLToPath(new URL('../src/', import.meta.url));

/** A well-formed token whose random part shares the first `shared` characters with `random`. */
function wrongToken(random: string, shared: number, n: number): string {
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  let tail = '';
  for (let i = shared; i < RANDOM_LENGTH; i++) {
    // Deterministic, different from the real token's character at every position after `shared`.
    let c = alphabet.charAt((n * 7 + i * 13) % 62);
    if (c === random.charAt(i)) c = alphabet.charAt((alphabet.indexOf(c) + 1) % 62);
    tail += c;
  }
  const body = random.slice(0, shared) + tail;
  return `tgp_${body}${checksum(body)}`;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] ?? 0) : ((s[m - 1] ?? 0) + (s[m] ?? 0)) / 2;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(s.length * p))] ?? 0;
}

describe('timing of secret checks', () => {
  let ctx: AppContext;
  let token: string;

  before(async () => {
    const config = loadConfig(
      { db: ':memory:', nodeId: 'timing' },
      { TOKENGATE_ADMIN_PASSWORD: 'admin-password-1' },
    );
    ctx = await openApp(config, { log: silentLogger });
    await bootstrap(ctx, () => undefined);
    await ctx.users.create(CLI_PRINCIPAL, cli, { username: 'tina' });
    token = (await ctx.tokens.create(CLI_PRINCIPAL, cli, 'tina', { description: 'timing' })).token;
  });
  after(() => ctx.close());

  it('looks tokens up by their SHA-256 only: no secret reaches the cache key or the database', async () => {
    // Record every argument the token repository is given.
    const seen: unknown[] = [];
    const repo = ctx.store.tokens as unknown as Record<string, unknown>;
    const originals = new Map<string, unknown>();
    for (const name of Object.getOwnPropertyNames(Object.getPrototypeOf(repo))) {
      const fn = repo[name];
      if (typeof fn !== 'function' || name === 'constructor') continue;
      originals.set(name, fn);
      repo[name] = (...args: unknown[]) => {
        seen.push(args);
        return (fn as (...a: unknown[]) => unknown).apply(repo, args);
      };
    }
    const cache = ctx.cache;
    const warmKeys: string[] = [];
    const warm = cache.warmToken.bind(cache);
    cache.warmToken = (h, n) => (warmKeys.push(h), warm(h, n));
    try {
      const prefixes = ctx.settings.snapshot.tokenPrefixes;
      const wrong = wrongToken(token.slice(4, 4 + RANDOM_LENGTH), 29, 1);
      for (const secret of [token, wrong, token]) {
        const r = lookupCredentials(cache, `Bearer ${secret}`, prefixes, Date.now());
        const found = r instanceof Promise ? await r : r;
        assert.equal(found.token !== null, secret === token);
      }
      const text = JSON.stringify(seen);
      assert.ok(seen.length >= 2, 'the cold token and the wrong one were read from the database');
      assert.ok(
        !text.includes(token.slice(4)) && !text.includes(wrong.slice(4)),
        'no secret reached the database',
      );
      assert.ok(text.includes(hashToken(wrong)), 'the wrong token was looked up by its hash');
      assert.deepEqual(warmKeys, [hashToken(token), hashToken(wrong), hashToken(token)]);
    } finally {
      for (const [name, fn] of originals) repo[name] = fn;
      cache.warmToken = warm;
    }
  });

  it('compares passwords and other secrets only with timingSafeEqual', async () => {
    // Behaviour: right, wrong, and a wrong one of another length.
    const stored = await hashPassword('correct-horse-1');
    assert.equal(await verifyPassword('correct-horse-1', stored), true);
    assert.equal(await verifyPassword('correct-horse-2', stored), false);
    assert.equal(await verifyPassword('x', stored), false);
    assert.equal(constantTimeEqual('abc', 'abc'), true);
    assert.equal(constantTimeEqual('abc', 'abd'), false);
    assert.equal(constantTimeEqual('abc', 'abcd'), false);
    // Structure: the derived key and the stored key are compared by timingSafeEqual, with equal lengths.
    const password = readFileSync(join(SRC, 'domain/auth/password.ts'), 'utf8');
    assert.match(password, /if \(expected\.length !== KEY_LENGTH\) return false;/);
    assert.match(password, /return timingSafeEqual\(key, expected\);/);
    const hashing = readFileSync(join(SRC, 'domain/token/hash.ts'), 'utf8');
    assert.match(hashing, /return timingSafeEqual\(ab, bb\);/);
    // And nowhere in src/ is a secret compared with ===, !==, Buffer#equals or Buffer#compare.
    const files: string[] = [];
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts')) files.push(p);
      }
    };
    walk(SRC);
    const SECRET = '[\\w.]*(?:secret|password|passwd|csrf|cookie|plainToken|derived|expected)\\w*';
    const compare = new RegExp(
      `${SECRET}\\s*(?:===|!==|==|!=)\\s*${SECRET}|${SECRET}\\.(?:equals|compare)\\(|Buffer\\.compare\\(`,
      'i',
    );
    const offenders = files.flatMap((f) =>
      readFileSync(f, 'utf8')
        .split('\n')
        .map((line, i) => ({ line: line.trim(), where: `${f.slice(SRC.length)}:${i + 1}` }))
        .filter(({ line }) => !line.startsWith('//') && !line.startsWith('*') && compare.test(line))
        .map(({ line, where }) => `${where}: ${line}`),
    );
    assert.deepEqual(offenders, []);
  });

  /**
   * Wrong tokens sharing 33 leading characters with the real one ("near") against ones sharing only
   * the public prefix ("far"), interleaved in alternating order so that load and JIT hit both groups
   * alike. The statistic is each group's 20th percentile of per-batch means: noise on a loaded machine
   * only ever adds time, so the low percentiles are the stable ones. Generous on purpose: the two may
   * differ by a quarter. A real dependency (a compare that stops at the first differing byte, a
   * search over secrets) shows in every run, so one clean run of three is enough.
   */
  async function compareGroups(
    verify: (header: string) => Promise<void>,
    opts: { batch: number; samples: number },
  ): Promise<{ ok: boolean; shown: string }> {
    const random = token.slice(4, 4 + RANDOM_LENGTH);
    const POOL = 64;
    const near = Array.from({ length: POOL }, (_, n) => `Bearer ${wrongToken(random, RANDOM_LENGTH - 1, n)}`);
    const far = Array.from({ length: POOL }, (_, n) => `Bearer ${wrongToken(random, 0, n)}`);
    assert.equal(near[0]?.slice(7, 7 + 33), token.slice(0, 33), 'near shares 33 of 40 characters');
    assert.notEqual(far[0]?.charAt(7 + 4), token.charAt(4), 'far shares only the prefix');
    /** Microseconds per verification, one batch. */
    const sample = async (pool: string[], round: number): Promise<number> => {
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < opts.batch; i++) await verify(pool[(round * opts.batch + i) % POOL] ?? '');
      return Number(process.hrtime.bigint() - t0) / 1000 / opts.batch;
    };
    const runs: string[] = [];
    for (let attempt = 0; attempt < 3; attempt++) {
      const a: number[] = [];
      const b: number[] = [];
      for (let round = 0; round < 10; round++) await sample(round % 2 ? near : far, round); // warm-up
      for (let round = 0; round < opts.samples; round++) {
        if (round % 2) {
          a.push(await sample(near, round));
          b.push(await sample(far, round));
        } else {
          b.push(await sample(far, round));
          a.push(await sample(near, round));
        }
      }
      const pNear = percentile(a, 0.2);
      const pFar = percentile(b, 0.2);
      const ok = Math.abs(pNear - pFar) <= 0.25 * Math.min(pNear, pFar);
      runs.push(
        `near p20 ${pNear.toFixed(2)} µs (median ${median(a).toFixed(2)}), far p20 ${pFar.toFixed(2)} µs (median ${median(b).toFixed(2)})`,
      );
      if (ok) return { ok, shown: runs.join('; ') };
    }
    return { ok: false, shown: runs.join('; ') };
  }

  it("a wrong token's verification time does not depend on how much of it matches (memory lookups)", async (t) => {
    // The real lookup and decision over a cache whose "database" is a Map by hash, as an index is:
    // what is measured is the gateway's own work, without the database driver's noise.
    const byHash = new Map([[hashToken(token), await ctx.store.tokens.findByHash(hashToken(token))]]);
    const owner = await ctx.store.users.find('tina');
    const store = {
      tokens: {
        findByHash: (h: string) => Promise.resolve(byHash.get(h) ?? null),
        findRotated: () => Promise.resolve(null),
      },
      users: { find: () => Promise.resolve(owner) },
    } as unknown as Store;
    const feed = { subscribe: () => () => undefined } as unknown as ChangeFeed;
    const cache = new CredentialCache(store, feed);
    const snap = ctx.settings.snapshot;
    const policy = { settings: snap.settings, allowedIps: snap.allowedIps, readRules: snap.readRules };
    const warmed = lookupCredentials(cache, `Bearer ${token}`, snap.tokenPrefixes, Date.now());
    if (warmed instanceof Promise) await warmed;
    const verify = async (header: string): Promise<void> => {
      const now = Date.now();
      const r = lookupCredentials(cache, header, snap.tokenPrefixes, now);
      const found = r instanceof Promise ? await r : r;
      const outcome = decideRequest({
        ...found,
        method: 'GET',
        path: '/x',
        clientIp: '127.0.0.1',
        now,
        policy,
      });
      if (outcome.kind !== 'denied') throw new Error(`a wrong token was ${outcome.kind}`);
    };
    const r = await compareGroups(verify, { batch: 64, samples: 100 });
    t.diagnostic(r.shown);
    assert.ok(r.ok, `verification time depends on the matching prefix: ${r.shown}`);
  });

  it("a wrong token's verification time does not depend on how much of it matches (database lookups)", async (t) => {
    const snap = ctx.settings.snapshot;
    const policy = { settings: snap.settings, allowedIps: snap.allowedIps, readRules: snap.readRules };
    const warmed = lookupCredentials(ctx.cache, `Bearer ${token}`, snap.tokenPrefixes, Date.now());
    if (warmed instanceof Promise) await warmed;
    // Each wrong token is read from SQLite by its hash (unknown hashes are not cached).
    const verify = async (header: string): Promise<void> => {
      const now = Date.now();
      const r = lookupCredentials(ctx.cache, header, snap.tokenPrefixes, now);
      const found = r instanceof Promise ? await r : r;
      const outcome = decideRequest({
        ...found,
        method: 'GET',
        path: '/x',
        clientIp: '127.0.0.1',
        now,
        policy,
      });
      if (outcome.kind !== 'denied') throw new Error(`a wrong token was ${outcome.kind}`);
    };
    const r = await compareGroups(verify, { batch: 8, samples: 80 });
    t.diagnostic(r.shown);
    assert.ok(r.ok, `verification time depends on the matching prefix: ${r.shown}`);
  });
});
