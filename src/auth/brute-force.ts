import type ipaddr from 'ipaddr.js';
import type { Block } from '../domain/auth/decide.js';
import type { IpMatcher } from '../domain/auth/ip-rules.js';
import { parseIp } from '../domain/auth/ip-rules.js';
import type { Settings } from '../domain/settings.js';
import { claimedUsername } from '../domain/user.js';
import { LruCache } from '../domain/lru.js';
import {
  MAX_TRACKED_KEYS,
  type BlockRule,
  type BlockSubject,
  type FailResult,
  type FailureCounter,
} from '../ports/failure-counter.js';

/**
 * Brute-force protection: failed token and password checks are counted per client IP and per user
 * name in a fixed window (as Rack::Attack's Fail2Ban, which GitLab uses, counts them); reaching the
 * limit blocks the IP or the user name for a while.
 *
 * - An **IP block** refuses every request with credentials from that client IP (the address the
 *   trusted-proxy walk resolved), before any token lookup or password hash. A trusted proxy's own
 *   address is never counted or blocked.
 * - A **user block** refuses *password* checks for that user name from that client address
 *   (management API Basic, web UI sign-in), before the hash. It is counted per user *and* address:
 *   failures from one client never lock the account for the others, or ten guesses every block
 *   period from one address would keep an administrator out for good. Guessing one account from
 *   many addresses is held by each address's own limits (IP and user-from-IP), and every block is
 *   logged and audited. Tokens are never refused by a user block: an attacker elsewhere could
 *   otherwise lock a user's automation out just by failing in their name. A token carries ~178
 *   bits; guessing one is hopeless, and the IP block throttles whoever tries.
 *
 * Counting is behind {@link FailureCounter}: memory on one node, Redis in a cluster. Blocks are kept
 * in this process's memory too, so the check on the request path is one synchronous map lookup.
 */

/** A failed check, with what the log line and the audit record of a block need. Never a secret. */
export interface FailedAttempt {
  clientIp: string;
  proxyIp: string | null;
  /** The user name the attempt named (Basic user name, sign-in name); ignored unless a valid one. */
  username: string | null;
  requestId: string | null;
  method: string | null;
  endpoint: string | null;
}

/** A block that this process started: logged and audited once (the one failure that crossed the line). */
export interface BlockNotice {
  subject: BlockSubject;
  /** The blocked client IP (an IPv6 client's /64), or the user name. */
  value: string;
  /**
   * What the block is kept under, to announce to other nodes ({@link BruteForceGuard.learn}): the
   * IP key, or for a user block the user name with the client address it is for (see {@link userKey}).
   */
  key: string;
  rule: BlockRule;
  at: number;
  until: number;
  attempt: FailedAttempt;
}

export interface BruteForceOptions {
  counter: FailureCounter;
  settings: { readonly snapshot: { settings: Settings; trustedProxies: IpMatcher } };
  /** Hears every block this process started. */
  onBlock?: (notice: BlockNotice) => void;
  /** A counter that failed (Redis fallbacks are the counter's own business). */
  onError?: (err: unknown) => void;
  maxBlocks?: number;
}

/**
 * The key of a client address: the address itself, or for IPv6 its /64, since one IPv6 client
 * usually holds a whole /64 and could otherwise step to a fresh address after every block.
 */
export function ipKey(ip: string): string {
  if (!ip.includes(':')) return ip;
  const addr = parseIp(ip);
  if (!addr || addr.kind() !== 'ipv6') return addr ? addr.toString() : ip;
  const parts = (addr as ipaddr.IPv6).parts.slice(0, 4);
  return `${parts.map((p) => p.toString(16)).join(':')}::/64`;
}

/** Separates the user name from the client address in a user block's key; in neither a name nor an IP. */
const USER_KEY_SEPARATOR = '|';

/**
 * The key of a user block: the user name with the client address (its {@link ipKey}), so that
 * failures from one client block that user only from that client.
 */
export function userKey(user: string, clientIp: string): string {
  return `${user}${USER_KEY_SEPARATOR}${ipKey(clientIp)}`;
}

/** The user name in a user block's key; null when the key is not one (e.g. an old node's message). */
function userOfKey(key: string): string | null {
  const at = key.indexOf(USER_KEY_SEPARATOR);
  return at > 0 ? key.slice(0, at) : null;
}

/** The rules for each subject from the settings, or null while brute-force protection is off. */
export function blockRules(s: Settings): Record<BlockSubject, BlockRule> | null {
  if (!s['bruteForce.enabled']) return null;
  const windowMs = s['bruteForce.windowSeconds'] * 1000;
  const blockMs = s['bruteForce.blockSeconds'] * 1000;
  return {
    ip: { maxFailures: s['bruteForce.ipMaxFailures'], windowMs, blockMs },
    user: { maxFailures: s['bruteForce.userMaxFailures'], windowMs, blockMs },
  };
}

/**
 * Counts failures and answers "is this client (or user name) blocked?". The answer never waits: blocks
 * this process knows of are in memory, learned from its own counts (memory or Redis) and, in a
 * cluster, from the other nodes' announcements.
 */
export class BruteForceGuard {
  private readonly blocks: Record<BlockSubject, LruCache<string, number>>;

  constructor(private readonly opts: BruteForceOptions) {
    const max = opts.maxBlocks ?? MAX_TRACKED_KEYS;
    this.blocks = {
      ip: new LruCache(max, Number.POSITIVE_INFINITY),
      user: new LruCache(max, Number.POSITIVE_INFINITY),
    };
  }

  private trusted(ip: string): boolean {
    const t = this.opts.settings.snapshot.trustedProxies;
    return !t.allowsAll && t.matches(ip);
  }

  /** The block kept under `key`; a user block is reported with the user name as its value. */
  private blockOf(subject: BlockSubject, key: string, now: number): Block | null {
    const map = this.blocks[subject];
    const until = map.get(key, now);
    if (until === undefined) return null;
    if (until <= now) {
      map.delete(key);
      return null;
    }
    const value = subject === 'user' ? (userOfKey(key) ?? key) : key;
    return { subject, value, retryAfterMs: until - now };
  }

  /** The block on a client IP that presents credentials, or null. Synchronous; no I/O. */
  checkIp(clientIp: string, now: number): Block | null {
    if (this.blocks.ip.size === 0 || !this.opts.settings.snapshot.settings['bruteForce.enabled']) return null;
    if (this.trusted(clientIp)) return null;
    return this.blockOf('ip', ipKey(clientIp), now);
  }

  /**
   * The block on a password check: the client IP's, else the user name's from this client address.
   * Synchronous; no I/O. Call it before hashing the password.
   */
  checkPassword(clientIp: string, username: string, now: number): Block | null {
    const ip = this.checkIp(clientIp, now);
    if (ip) return ip;
    if (this.blocks.user.size === 0 || !this.opts.settings.snapshot.settings['bruteForce.enabled'])
      return null;
    const user = claimedUsername(username);
    return user === null ? null : this.blockOf('user', userKey(user, clientIp), now);
  }

  /**
   * Counts one failed check against the client IP, and against the user name it named from that
   * client IP. Never throws and never makes the caller wait: with Redis the count completes in the
   * background.
   */
  failed(attempt: FailedAttempt, now: number): void {
    const rules = blockRules(this.opts.settings.snapshot.settings);
    if (!rules) return;
    if (!this.trusted(attempt.clientIp)) this.count('ip', ipKey(attempt.clientIp), rules.ip, attempt, now);
    const user = claimedUsername(attempt.username);
    if (user !== null) this.count('user', userKey(user, attempt.clientIp), rules.user, attempt, now);
  }

  /**
   * A block another node started (Redis pub/sub), by its {@link BlockNotice.key}. A user block that
   * names no client address (a node from before blocks were per address) is ignored: it would lock
   * the user out for every client.
   */
  learn(subject: BlockSubject, key: string, blockedMs: number, now: number): void {
    if (subject === 'user' && userOfKey(key) === null) return;
    if (blockedMs > 0) this.blocks[subject].set(key, now + blockedMs, now);
  }

  private count(
    subject: BlockSubject,
    key: string,
    rule: BlockRule,
    attempt: FailedAttempt,
    now: number,
  ): void {
    // Already blocked here: nothing more to count (and no second notice for the same block).
    if (this.blockOf(subject, key, now)) return;
    let r: FailResult | Promise<FailResult>;
    try {
      r = this.opts.counter.fail(`${subject}:${key}`, rule, now);
    } catch (err) {
      this.opts.onError?.(err);
      return;
    }
    if (r instanceof Promise) {
      r.then(
        (res) => this.apply(subject, key, rule, attempt, now, res),
        (err: unknown) => this.opts.onError?.(err),
      );
    } else this.apply(subject, key, rule, attempt, now, r);
  }

  private apply(
    subject: BlockSubject,
    key: string,
    rule: BlockRule,
    attempt: FailedAttempt,
    now: number,
    r: FailResult,
  ): void {
    if (r.blockedMs <= 0) return;
    const until = now + r.blockedMs;
    this.blocks[subject].set(key, until, now);
    if (r.started) {
      const value = subject === 'user' ? (userOfKey(key) ?? key) : key;
      try {
        this.opts.onBlock?.({ subject, value, key, rule, at: now, until, attempt });
      } catch (err) {
        this.opts.onError?.(err);
      }
    }
  }

  /** Blocks held in memory, per kind (for tests of the bound). */
  get size(): { ips: number; users: number } {
    return { ips: this.blocks.ip.size, users: this.blocks.user.size };
  }
}
