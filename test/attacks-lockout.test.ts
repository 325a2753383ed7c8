import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { RedisFailureCounter } from '../src/cluster/redis-brute-force.js';
import { compileIpMatcher } from '../src/domain/auth/ip-rules.js';
import { settingsFromStored } from '../src/domain/settings.js';
import { checksum } from '../src/domain/token/format.js';
import { BruteForceGuard } from '../src/auth/brute-force.js';
import { MemoryFailureCounter, type FailureCounter } from '../src/ports/failure-counter.js';
import { basicAuth, startEchoUpstream, startTestNode, type TestNode } from './support/node.js';
import { requireRedis } from './support/redis.js';

/**
 * Issue 14, finding 6: one address must not keep the administrator out. Fifty failed passwords for
 * `admin` from 127.0.0.1 block that address (for admin's password, and past the IP limit for
 * everything), but the administrator still signs in from 127.0.0.2: at the web UI sign-in, with
 * Basic at the management API, and with Basic admin:token at the gateway.
 */

const ATTACKER = '127.0.0.1';
const ADMIN_ADDRESS = '127.0.0.2';
const ADMIN_PASSWORD = 'admin-password-1';
const API_PATH = '/_tokengate/api/v1';
const FAILURES = 50;

/** A token-shaped secret (valid checksum) that matches no token: a guess. */
function forged(): string {
  const body = randomBytes(30)
    .toString('base64')
    .replace(/[^A-Za-z0-9]/g, 'x')
    .slice(0, 30);
  return `tgp_${body}${checksum(body)}`;
}

interface Answer {
  status: number;
  body: string;
}

/** One HTTP request whose socket is bound to `localAddress`: the server sees that client address. */
function send(
  url: string,
  localAddress: string,
  opts: { method?: string; headers?: Record<string, string>; body?: string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = request(url, {
      method: opts.method ?? 'GET',
      headers: opts.headers,
      localAddress,
      agent: false,
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.end(opts.body);
  });
}

describe('lockout: failures from one address never lock the account for another', () => {
  let up: Awaited<ReturnType<typeof startEchoUpstream>>;
  let t: TestNode;
  let apiBase: string;

  before(async () => {
    up = await startEchoUpstream();
    t = await startTestNode(up.url);
    // The management API lives on its own listener (adminUrl).
    apiBase = `${t.adminUrl || t.url}${API_PATH}`;
  });
  after(async () => {
    await t.close();
    await up.close();
  });

  const signIn = (from: string, password: string) =>
    send(`${apiBase}/session`, from, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: 'admin', password }),
    });

  it('web UI sign-in: admin signs in from 127.0.0.2 after 50 failures from 127.0.0.1', async () => {
    for (let i = 0; i < FAILURES; i++) {
      const r = await signIn(ATTACKER, `wrong-password-${i}`);
      assert.ok(r.status === 401 || r.status === 429, `failure ${i}: ${r.status}`);
    }
    // The guessing address is held off, even with the right password.
    assert.equal((await signIn(ATTACKER, ADMIN_PASSWORD)).status, 429);
    const ok = await signIn(ADMIN_ADDRESS, ADMIN_PASSWORD);
    assert.equal(ok.status, 200, `admin from another address: ${ok.body}`);
  });

  it('management API Basic: admin authenticates from 127.0.0.2 after 50 failures from 127.0.0.1', async () => {
    const me = (from: string, password: string) =>
      send(`${apiBase}/me`, from, { headers: { authorization: basicAuth('admin', password) } });
    for (let i = 0; i < FAILURES; i++) {
      const r = await me(ATTACKER, `wrong-password-${i}`);
      assert.ok(r.status === 401 || r.status === 429, `failure ${i}: ${r.status}`);
    }
    assert.equal((await me(ATTACKER, ADMIN_PASSWORD)).status, 429);
    const ok = await me(ADMIN_ADDRESS, ADMIN_PASSWORD);
    assert.equal(ok.status, 200, `admin from another address: ${ok.body}`);
  });

  it("gateway Basic admin:token: the admin's token works from 127.0.0.2 after 50 failures from 127.0.0.1", async () => {
    const token = (await t.tokenFor('admin')).token;
    const get = (from: string, secret: string) =>
      send(`${t.url}/rest/x`, from, { headers: { authorization: basicAuth('admin', secret) } });
    for (let i = 0; i < FAILURES; i++) {
      const r = await get(ATTACKER, forged());
      assert.ok(r.status === 401 || r.status === 429, `failure ${i}: ${r.status}`);
    }
    assert.equal((await get(ADMIN_ADDRESS, token)).status, 200);
  });
});

/** The guard over a counter, with the default settings (10 failures per user and address, 20 per IP). */
function guardOver(counter: FailureCounter): BruteForceGuard {
  const snap = { settings: settingsFromStored({}).settings, trustedProxies: compileIpMatcher([]) };
  return new BruteForceGuard({ counter, settings: { snapshot: snap } });
}

async function lockoutThroughCounter(
  counter: FailureCounter,
  attacker: string,
  admin: string,
): Promise<void> {
  const guard = guardOver(counter);
  const now = Date.now();
  for (let i = 0; i < FAILURES; i++) {
    guard.failed(
      {
        clientIp: attacker,
        proxyIp: null,
        username: 'admin',
        requestId: null,
        method: 'POST',
        endpoint: null,
      },
      now + i,
    );
  }
  // With Redis the counts complete in the background: wait (bounded) until the attacker is refused.
  for (let i = 0; i < 200 && guard.checkPassword(attacker, 'admin', now + FAILURES) === null; i++)
    await new Promise((r) => setTimeout(r, 10));
  assert.ok(guard.checkPassword(attacker, 'admin', now + FAILURES), 'the guessing address is blocked');
  assert.equal(guard.checkPassword(admin, 'admin', now + FAILURES), null, 'another address is not');
}

const need = await requireRedis();

describe('lockout: the counters follow the same design', () => {
  it('memory: 50 failures from one address block only that address for the user', async () => {
    await lockoutThroughCounter(new MemoryFailureCounter(), '192.0.2.10', '192.0.2.11');
  });

  it(
    'Redis: 50 failures from one address block only that address for the user',
    { skip: 'skip' in need ? need.skip : false },
    async () => {
      if (!('url' in need)) return;
      const redis = new Redis(need.url);
      const prefix = `tokengate:test-lockout:${randomBytes(4).toString('hex')}:`;
      try {
        await lockoutThroughCounter(
          new RedisFailureCounter(redis, { keyPrefix: prefix }),
          '192.0.2.20',
          '192.0.2.21',
        );
        // Another node (a guard of its own over the same Redis) learns nothing that locks the admin out.
        const other = guardOver(new RedisFailureCounter(redis, { keyPrefix: prefix }));
        other.failed(
          {
            clientIp: '192.0.2.22',
            proxyIp: null,
            username: 'admin',
            requestId: null,
            method: 'POST',
            endpoint: null,
          },
          Date.now(),
        );
        await new Promise((r) => setTimeout(r, 50));
        assert.equal(other.checkPassword('192.0.2.22', 'admin', Date.now()), null);
      } finally {
        const keys = await redis.keys(`${prefix}*`);
        if (keys.length > 0) await redis.del(...keys);
        redis.disconnect();
      }
    },
  );
});
