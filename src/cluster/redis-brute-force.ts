import type { Redis } from 'ioredis';
import {
  MemoryFailureCounter,
  type BlockRule,
  type BlockSubject,
  type FailResult,
  type FailureCounter,
} from '../ports/failure-counter.js';
import { RedisHealth } from './redis-health.js';

/**
 * One failure, atomically: a key already blocked stays blocked (its TTL is returned); otherwise the
 * window's count goes up (the first failure starts the window's TTL) and the failure that reaches
 * the limit replaces the count with the block. Durations are Redis's own TTLs, so node clocks do not
 * matter here. KEYS = count key, block key; ARGV = maxFailures, windowMs, blockMs.
 * Returns {blockedMs, started (1/0)}.
 */
const FAIL_LUA = `
local left = redis.call('PTTL', KEYS[2])
if left > 0 then return {left, 0} end
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if n < tonumber(ARGV[1]) then return {0, 0} end
redis.call('DEL', KEYS[1])
redis.call('SET', KEYS[2], '1', 'PX', ARGV[3])
return {tonumber(ARGV[3]), 1}
`;

export interface RedisFailureCounterOptions {
  keyPrefix?: string;
  /** Called once when Redis fails and once when it is back. */
  onStateChange?: (healthy: boolean, err?: unknown) => void;
  now?: () => number;
}

/**
 * Cluster-wide failure counts in Redis: `tokengate:bf:n:<key>` counts a window, `tokengate:bf:b:<key>`
 * is a block; both expire by themselves, so Redis holds only what is live. The keys are the guard's:
 * `ip:<address>`, and `user:<name>|<address>` (a user is counted per client address, as in memory, so
 * one client's failures never block the user for the others).
 * When Redis cannot answer, counting falls back to this node's memory (as rate limits do), and Redis
 * is tried again every few seconds.
 */
export class RedisFailureCounter implements FailureCounter {
  private readonly fallback = new MemoryFailureCounter();
  private readonly health: RedisHealth;
  private readonly prefix: string;

  constructor(
    private readonly redis: Redis,
    private readonly opts: RedisFailureCounterOptions = {},
  ) {
    this.prefix = opts.keyPrefix ?? 'tokengate:bf:';
    this.health = new RedisHealth(opts.onStateChange, opts.now);
    redis.defineCommand('tgBruteForce', { numberOfKeys: 2, lua: FAIL_LUA });
  }

  get isHealthy(): boolean {
    return this.health.isHealthy;
  }

  /** Redis is known to be away (e.g. at start): count locally now. */
  markDown(err?: unknown): void {
    this.health.markDown(err);
  }

  fail(key: string, rule: BlockRule, now: number): Promise<FailResult> {
    return this.health.run(
      async () => {
        const r = (await (
          this.redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>
        ).tgBruteForce?.(
          `${this.prefix}n:${key}`,
          `${this.prefix}b:${key}`,
          rule.maxFailures,
          rule.windowMs,
          rule.blockMs,
        )) as [number, number];
        return { blockedMs: Number(r[0]), started: r[1] === 1 };
      },
      () => this.fallback.fail(key, rule, now),
    );
  }
}

const CHANNEL = 'tokengate:blocks';
/** Longest block a message may announce: the largest bruteForce.blockSeconds. */
const MAX_BLOCK_MS = 86_400_000;

interface BlockMessage {
  node: string;
  subject: BlockSubject;
  value: string;
  ms: number;
}

/**
 * Announces a block the moment a node starts it, so every node refuses the client at once rather
 * than after its own next failed count (which would also learn the block from Redis).
 */
export class RedisBlockBus {
  constructor(
    private readonly pub: Redis,
    private readonly sub: Redis,
    private readonly nodeId: string,
    private readonly onError: (err: unknown) => void,
  ) {}

  /** Announces a block by its key (BlockNotice.key: a user block's names the client address). */
  publish(subject: BlockSubject, value: string, ms: number): void {
    const msg: BlockMessage = { node: this.nodeId, subject, value, ms };
    this.pub.publish(CHANNEL, JSON.stringify(msg)).catch(this.onError);
  }

  /** Hears the other nodes' blocks; subscribes again whenever the connection is (again) ready. */
  async listen(receive: (subject: BlockSubject, value: string, ms: number) => void): Promise<void> {
    this.sub.on('message', (channel: string, text: string) => {
      if (channel !== CHANNEL) return;
      let msg: Partial<BlockMessage>;
      try {
        msg = JSON.parse(text) as Partial<BlockMessage>;
      } catch {
        return;
      }
      if (msg.node === this.nodeId || (msg.subject !== 'ip' && msg.subject !== 'user')) return;
      // A key is at most a 64-character user name, '|' and an IPv6 /64 (24 characters).
      if (typeof msg.value !== 'string' || msg.value.length === 0 || msg.value.length > 100) return;
      if (typeof msg.ms !== 'number' || !(msg.ms > 0) || msg.ms > MAX_BLOCK_MS) return;
      receive(msg.subject, msg.value, msg.ms);
    });
    this.sub.on('ready', () => {
      this.sub.subscribe(CHANNEL).catch(this.onError);
    });
    if (this.sub.status === 'ready') await this.sub.subscribe(CHANNEL);
  }
}
