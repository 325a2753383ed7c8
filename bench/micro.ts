/**
 * Micro benchmarks of the request path, in one process:
 * - a cached token verification (parse the header, hash the secret, find the token and its owner in
 *   the warm cache, take the decision: status, expiry, owner, IPs, scope) against raw SHA-256 of the
 *   same token, the floor of any hashed-token scheme;
 * - rate-limit decisions per second on the memory store and on Redis.
 *
 *   node --import tsx bench/micro.ts [--quick] [--redis redis://127.0.0.1:6379]
 *
 * Every loop is bounded by time and count; Redis is only ever reached on loopback.
 */
import { hash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { openApp, type AppContext } from '../src/app.js';
import { RedisRateLimitStore } from '../src/cluster/redis-rate-limit.js';
import { loadConfig } from '../src/config/config.js';
import { decideRequest } from '../src/domain/auth/decide.js';
import { lookupCredentials } from '../src/auth/gateway.js';
import { CLI_PRINCIPAL } from '../src/domain/auth/permissions.js';
import { MemoryRateLimitStore, type RateLimitPolicy } from '../src/domain/auth/rate-limit.js';
import { hashToken } from '../src/domain/token/hash.js';
import { silentLogger } from '../src/log/logger.js';
import { systemContext } from '../src/services/context.js';

export interface VerificationResult {
  /** Raw `crypto.hash('sha256', token, 'hex')` calls per second. */
  sha256PerSecond: number;
  /** Cached verifications per second. */
  verificationsPerSecond: number;
  /** verificationsPerSecond / sha256PerSecond. */
  ratio: number;
}

export interface RateLimitResult {
  store: 'memory' | 'redis';
  decisionsPerSecond: number;
  /** Latency of one decision taken alone (no other in flight), in ms. */
  p50Ms: number;
  p99Ms: number;
}

/** Runs `fn` in rounds of `batch` calls until `ms` have passed; returns calls per second. */
function rate(fn: () => unknown, ms: number, batch = 10_000, maxCalls = 100_000_000): number {
  const start = process.hrtime.bigint();
  const limit = BigInt(ms) * 1_000_000n;
  let calls = 0;
  let elapsed = 0n;
  while (elapsed < limit && calls < maxCalls) {
    for (let i = 0; i < batch; i++) fn();
    calls += batch;
    elapsed = process.hrtime.bigint() - start;
  }
  return calls / (Number(elapsed) / 1e9);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
}

/** A throwaway node context on a temporary SQLite file, with one user and one write token. */
async function benchContext(): Promise<{ ctx: AppContext; token: string; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tg-micro-'));
  const config = loadConfig({ dataDir: dir, nodeId: 'micro' }, {});
  const ctx = await openApp(config, { log: silentLogger });
  const cli = systemContext('@bench');
  await ctx.users.create(CLI_PRINCIPAL, cli, {
    username: 'bench',
    password: 'bench-password-1',
  });
  const created = await ctx.tokens.create(CLI_PRINCIPAL, cli, 'bench', {
    description: 'bench',
    scope: 'write',
  });
  return { ctx, token: created.token, dir };
}

/**
 * One verification exactly as the gateway does it for a warm token, minus the rate limit and
 * the logging: everything between the Authorization header and the decision.
 */
export async function benchVerification(ms: number): Promise<VerificationResult> {
  const { ctx, token, dir } = await benchContext();
  try {
    const header = `Bearer ${token}`;
    const snap = ctx.settings.snapshot;
    const now = Date.now();
    // Warm the cache as the first request would.
    const warm = await ctx.cache.token(hashToken(token), now);
    if (!warm) throw new Error('the bench token is not found');
    await ctx.cache.user(warm.token.user, now);
    const policy = { settings: snap.settings, allowedIps: snap.allowedIps, readRules: snap.readRules };
    let sink = 0;
    const verify = (): void => {
      const found = lookupCredentials(ctx.cache, header, snap.tokenPrefixes, now);
      if (found instanceof Promise) throw new Error('cache miss');
      const outcome = decideRequest({
        presented: found.presented,
        token: found.token,
        tokenIps: found.tokenIps,
        owner: found.owner,
        method: 'GET',
        path: '/rest/api/2/myself',
        clientIp: '127.0.0.1',
        now,
        policy,
      });
      if (outcome.kind !== 'authenticated') throw new Error(`not authenticated: ${outcome.kind}`);
      sink++;
    };
    const sha = (): void => {
      sink += hash('sha256', token, 'hex').length;
    };
    // Alternate the two, three rounds each, and keep the medians: the machine is noisy.
    const shaRates: number[] = [];
    const verifyRates: number[] = [];
    rate(sha, Math.min(ms, 300));
    rate(verify, Math.min(ms, 300));
    for (let round = 0; round < 3; round++) {
      shaRates.push(rate(sha, ms));
      verifyRates.push(rate(verify, ms));
    }
    if (sink === 0) throw new Error('unreachable');
    const sha256PerSecond = median(shaRates);
    const verificationsPerSecond = median(verifyRates);
    return { sha256PerSecond, verificationsPerSecond, ratio: verificationsPerSecond / sha256PerSecond };
  } finally {
    await ctx.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const POLICY: RateLimitPolicy = { requests: 1_000_000_000, windowMs: 1_000 };

async function latencies(
  consume: () => Promise<unknown>,
  count: number,
): Promise<{ p50Ms: number; p99Ms: number }> {
  const times: number[] = [];
  for (let i = 0; i < count; i++) {
    const t = process.hrtime.bigint();
    await consume();
    times.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  times.sort((a, b) => a - b);
  return {
    p50Ms: times[Math.floor(count * 0.5)] ?? 0,
    p99Ms: times[Math.floor(count * 0.99)] ?? 0,
  };
}

/** Decisions per second with `inFlight` concurrent callers, bounded by `ms`. */
async function throughput(
  consume: (key: string) => Promise<unknown>,
  ms: number,
  inFlight: number,
): Promise<number> {
  const end = performance.now() + ms;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async (_, k) => {
      const key = `bench-${k}`;
      while (performance.now() < end && done < 50_000_000) {
        await consume(key);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

export async function benchRateLimits(ms: number, redisUrl: string | null): Promise<RateLimitResult[]> {
  const out: RateLimitResult[] = [];
  const memory = new MemoryRateLimitStore();
  const memoryConsume = (key: string): Promise<unknown> =>
    Promise.resolve(memory.consume(key, POLICY, Date.now()));
  out.push({
    store: 'memory',
    decisionsPerSecond: await throughput(memoryConsume, ms, 64),
    ...(await latencies(() => memoryConsume('lat'), 5_000)),
  });
  if (redisUrl) {
    const url = new URL(redisUrl);
    if (!['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname))
      throw new Error(`benchmarks only reach loopback; refusing Redis at ${url.hostname}`);
    const redis = new Redis(redisUrl, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableAutoPipelining: true,
    });
    try {
      await redis.connect();
      const store = new RedisRateLimitStore(redis, { keyPrefix: `tokengate-bench:${process.pid}:` });
      const redisConsume = (key: string): Promise<unknown> => store.consume(key, POLICY, Date.now());
      await latencies(() => redisConsume('warm'), 200);
      out.push({
        store: 'redis',
        decisionsPerSecond: await throughput(redisConsume, ms, 64),
        ...(await latencies(() => redisConsume('lat'), 5_000)),
      });
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(
          cursor,
          'MATCH',
          `tokengate-bench:${process.pid}:*`,
          'COUNT',
          1000,
        );
        if (keys.length > 0) await redis.del(...keys);
        cursor = next;
      } while (cursor !== '0');
    } finally {
      redis.disconnect();
    }
  }
  return out;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean', default: false },
      redis: { type: 'string', default: process.env.TOKENGATE_BENCH_REDIS ?? 'redis://127.0.0.1:6379' },
    },
  });
  const ms = values.quick ? 300 : 1_500;
  const v = await benchVerification(ms);
  console.log(
    `cached verification: ${Math.round(v.verificationsPerSecond).toLocaleString('en-US')}/s; raw SHA-256: ${Math.round(v.sha256PerSecond).toLocaleString('en-US')}/s; ratio ${(v.ratio * 100).toFixed(0)}%`,
  );
  for (const r of await benchRateLimits(ms, values.redis || null)) {
    console.log(
      `rate limit (${r.store}): ${Math.round(r.decisionsPerSecond).toLocaleString('en-US')} decisions/s, alone p50 ${r.p50Ms.toFixed(3)} ms, p99 ${r.p99Ms.toFixed(3)} ms`,
    );
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
