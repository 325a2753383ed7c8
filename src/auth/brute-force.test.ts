import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileIpMatcher } from '../domain/auth/ip-rules.js';
import { defaultSettings, type Settings } from '../domain/settings.js';
import { generateToken } from '../domain/token/format.js';
import { blockRules, BruteForceGuard, ipKey, type BlockNotice, type FailedAttempt } from './brute-force.js';
import { MemoryFailureCounter } from '../ports/failure-counter.js';
import { claimedUsername } from '../domain/user.js';

/** A guard over the memory counter with a hand-driven clock and settings. */
function setup(change: Partial<Settings> = {}, trusted: string[] = [], maxKeys?: number) {
  const settings = { ...defaultSettings(), ...change };
  const holder = { snapshot: { settings, trustedProxies: compileIpMatcher(trusted) } };
  const notices: BlockNotice[] = [];
  const counter = new MemoryFailureCounter(maxKeys);
  const guard = new BruteForceGuard({
    counter,
    settings: holder,
    onBlock: (n) => notices.push(n),
    ...(maxKeys !== undefined ? { maxBlocks: maxKeys } : {}),
  });
  return { guard, notices, counter, holder };
}

const attempt = (clientIp: string, username: string | null = null): FailedAttempt => ({
  clientIp,
  proxyIp: null,
  username,
  requestId: 'r1',
  method: 'GET',
  endpoint: '/x',
});

const T0 = 1_700_000_000_000;

describe('brute-force tracker', () => {
  it('blocks a client IP at the limit, within the window, and not a request before', () => {
    const { guard, notices } = setup({ 'bruteForce.ipMaxFailures': 3 });
    for (let i = 0; i < 2; i++) guard.failed(attempt('203.0.113.9'), T0 + i);
    assert.equal(guard.checkIp('203.0.113.9', T0 + 2), null, 'two failures: not yet');
    guard.failed(attempt('203.0.113.9'), T0 + 2);
    const b = guard.checkIp('203.0.113.9', T0 + 3);
    assert.equal(b?.subject, 'ip');
    assert.equal(b?.retryAfterMs, 900_000 - 1);
    assert.equal(notices.length, 1);
    assert.equal(notices[0]?.value, '203.0.113.9');
    assert.equal(notices[0]?.until, T0 + 2 + 900_000);
    // Other clients are not affected.
    assert.equal(guard.checkIp('203.0.113.10', T0 + 3), null);
  });

  it('expires the block after bruteForce.blockSeconds', () => {
    const { guard } = setup({ 'bruteForce.ipMaxFailures': 2, 'bruteForce.blockSeconds': 60 });
    guard.failed(attempt('192.0.2.1'), T0);
    guard.failed(attempt('192.0.2.1'), T0);
    assert.ok(guard.checkIp('192.0.2.1', T0 + 59_999));
    assert.equal(guard.checkIp('192.0.2.1', T0 + 60_000), null);
    // And counting starts afresh: one more failure is not a block.
    guard.failed(attempt('192.0.2.1'), T0 + 60_001);
    assert.equal(guard.checkIp('192.0.2.1', T0 + 60_002), null);
  });

  it('forgets failures older than the window (a fixed window per key)', () => {
    const { guard } = setup({ 'bruteForce.ipMaxFailures': 3, 'bruteForce.windowSeconds': 10 });
    guard.failed(attempt('192.0.2.2'), T0);
    guard.failed(attempt('192.0.2.2'), T0 + 5_000);
    guard.failed(attempt('192.0.2.2'), T0 + 10_000); // a new window: count 1
    guard.failed(attempt('192.0.2.2'), T0 + 11_000);
    assert.equal(guard.checkIp('192.0.2.2', T0 + 11_001), null);
    guard.failed(attempt('192.0.2.2'), T0 + 12_000);
    assert.ok(guard.checkIp('192.0.2.2', T0 + 12_001));
  });

  it('blocks password checks for a user name from the client that failed, never from the others', () => {
    const { guard, notices } = setup({ 'bruteForce.userMaxFailures': 3, 'bruteForce.ipMaxFailures': 100 });
    // Three failures spread over three clients: no client reaches the limit for alice.
    guard.failed(attempt('192.0.2.1', 'alice'), T0);
    guard.failed(attempt('192.0.2.2', 'alice'), T0);
    guard.failed(attempt('192.0.2.3', 'alice'), T0);
    assert.equal(guard.checkPassword('192.0.2.1', 'alice', T0 + 1), null);
    assert.equal(notices.length, 0);
    // Three from one client: alice's password is refused from that client only.
    guard.failed(attempt('192.0.2.1', 'alice'), T0);
    guard.failed(attempt('192.0.2.1', 'alice'), T0);
    const b = guard.checkPassword('192.0.2.1', 'alice', T0 + 1);
    assert.equal(b?.subject, 'user');
    assert.equal(b?.value, 'alice');
    assert.equal(
      guard.checkPassword('198.51.100.7', 'alice', T0 + 1),
      null,
      'another client is not locked out',
    );
    // Another user's password checks, and the IP check for token use, are not affected.
    assert.equal(guard.checkPassword('192.0.2.1', 'bob', T0 + 1), null);
    assert.equal(guard.checkIp('192.0.2.1', T0 + 1), null);
    assert.deepEqual(
      notices.map((n) => [n.subject, n.value, n.key]),
      [['user', 'alice', 'alice|192.0.2.1']],
    );
  });

  for (const caseSensitive of [false, true]) {
    it(`counts ADMIN, Admin and aDmIn as admin, whatever the case setting (caseSensitiveUsernames ${caseSensitive})`, () => {
      const { guard, notices } = setup({
        'bruteForce.userMaxFailures': 3,
        'bruteForce.ipMaxFailures': 100,
        'auth.caseSensitiveUsernames': caseSensitive,
      });
      guard.failed(attempt('192.0.2.1', 'ADMIN'), T0);
      guard.failed(attempt('192.0.2.1', 'Admin'), T0);
      assert.equal(guard.checkPassword('192.0.2.1', 'admin', T0), null);
      guard.failed(attempt('192.0.2.1', 'aDmIn'), T0);
      // One budget for the account: every spelling is refused now, and the block names admin.
      for (const name of ['admin', 'ADMIN', 'AdMiN']) {
        const b = guard.checkPassword('192.0.2.1', name, T0 + 1);
        assert.equal(b?.subject, 'user', name);
        assert.equal(b?.value, 'admin', name);
      }
      assert.deepEqual(
        notices.map((n) => [n.subject, n.value, n.key]),
        [['user', 'admin', 'admin|192.0.2.1']],
      );
    });
  }

  it("does not let one user's failures or another's success touch a third user's count", () => {
    const { guard } = setup({ 'bruteForce.userMaxFailures': 2, 'bruteForce.ipMaxFailures': 100 });
    guard.failed(attempt('192.0.2.1', 'alice'), T0);
    guard.failed(attempt('192.0.2.1', 'bob'), T0);
    assert.equal(guard.checkPassword('192.0.2.1', 'alice', T0), null);
    assert.equal(guard.checkPassword('192.0.2.1', 'bob', T0), null);
    guard.failed(attempt('192.0.2.1', 'bob'), T0);
    assert.ok(guard.checkPassword('192.0.2.1', 'bob', T0));
    assert.equal(guard.checkPassword('192.0.2.1', 'alice', T0), null);
  });

  it('counts nothing per user for names that cannot be users (a token pasted as the name, junk)', () => {
    assert.equal(claimedUsername('alice'), 'alice');
    assert.equal(claimedUsername('Alice'), 'alice');
    assert.equal(claimedUsername('x'.repeat(65)), null);
    assert.equal(claimedUsername(null), null);
    const token = generateToken();
    assert.equal(claimedUsername(token), null);
    const { guard, counter } = setup({ 'bruteForce.userMaxFailures': 1 });
    guard.failed(attempt('192.0.2.1', token), T0);
    assert.equal(counter.size.users, 0);
    assert.equal(guard.checkPassword('192.0.2.2', token, T0), null);
  });

  it('never counts or blocks a trusted proxy itself', () => {
    const { guard, notices } = setup({ 'bruteForce.ipMaxFailures': 1 }, ['10.0.0.0/8']);
    guard.failed(attempt('10.1.2.3'), T0);
    assert.equal(guard.checkIp('10.1.2.3', T0), null);
    assert.equal(notices.length, 0);
    // Everyone else still is.
    guard.failed(attempt('192.0.2.9'), T0);
    assert.ok(guard.checkIp('192.0.2.9', T0));
  });

  it('keys an IPv6 client by its /64, and IPv4-mapped addresses as IPv4', () => {
    assert.equal(ipKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
    assert.equal(ipKey('2001:db8:1:2:bbbb::9'), '2001:db8:1:2::/64');
    assert.equal(ipKey('192.0.2.1'), '192.0.2.1');
    const { guard } = setup({ 'bruteForce.ipMaxFailures': 2 });
    guard.failed(attempt('2001:db8:1:2::1'), T0);
    guard.failed(attempt('2001:db8:1:2::2'), T0);
    assert.ok(guard.checkIp('2001:db8:1:2:ffff::3', T0));
    assert.equal(guard.checkIp('2001:db8:1:3::1', T0), null);
  });

  it('applies no block while bruteForce.enabled is off, including blocks already in force', () => {
    const { guard, holder } = setup({ 'bruteForce.ipMaxFailures': 1 });
    guard.failed(attempt('192.0.2.1'), T0);
    assert.ok(guard.checkIp('192.0.2.1', T0));
    holder.snapshot.settings = { ...holder.snapshot.settings, 'bruteForce.enabled': false };
    assert.equal(guard.checkIp('192.0.2.1', T0), null);
    assert.equal(blockRules(holder.snapshot.settings), null);
    guard.failed(attempt('192.0.2.2'), T0);
    holder.snapshot.settings = { ...holder.snapshot.settings, 'bruteForce.enabled': true };
    assert.equal(guard.checkIp('192.0.2.2', T0), null, 'failures while off were not counted');
  });

  it('announces a block once, even when failures keep coming while it lasts', () => {
    const { guard, notices } = setup({ 'bruteForce.ipMaxFailures': 2 });
    for (let i = 0; i < 10; i++) guard.failed(attempt('192.0.2.1'), T0 + i);
    assert.equal(notices.length, 1);
  });

  it('stays bounded when an attacker sprays addresses and user names', () => {
    const { guard, counter } = setup(
      { 'bruteForce.ipMaxFailures': 2, 'bruteForce.userMaxFailures': 2 },
      [],
      100,
    );
    for (let i = 0; i < 5_000; i++) {
      const ip = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      guard.failed(attempt(ip, `user${i}`), T0);
      guard.failed(attempt(ip, `user${i}`), T0);
    }
    assert.ok(counter.size.ips <= 100 && counter.size.users <= 100, JSON.stringify(counter.size));
    assert.ok(guard.size.ips <= 100 && guard.size.users <= 100, JSON.stringify(guard.size));
    // The newest blocks are kept.
    assert.ok(guard.checkIp('10.0.19.135', T0)); // i = 4999
  });

  it('learns blocks announced by other nodes', () => {
    const { guard } = setup();
    guard.learn('ip', '192.0.2.50', 5_000, T0);
    assert.equal(guard.checkIp('192.0.2.50', T0 + 1)?.retryAfterMs, 4_999);
    assert.equal(guard.checkIp('192.0.2.50', T0 + 5_000), null);
    // A user block is learnt for the client address it names; one that names none is ignored.
    guard.learn('user', 'alice|192.0.2.51', 5_000, T0);
    assert.equal(guard.checkPassword('192.0.2.51', 'alice', T0 + 1)?.value, 'alice');
    assert.equal(guard.checkPassword('192.0.2.52', 'alice', T0 + 1), null);
    guard.learn('user', 'bob', 5_000, T0);
    assert.equal(guard.checkPassword('192.0.2.51', 'bob', T0 + 1), null);
  });
});
