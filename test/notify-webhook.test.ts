import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createNotifier } from '../src/notify/index.js';
import { recordArtifact } from './support/artifacts.js';
import {
  assertNoSecret,
  collectingLogger,
  HOOK_SECRET,
  hookConfig,
  notice,
  receiverAccepts,
  startReceiver,
  type CollectingLogger,
  type Receiver,
} from './support/notify-fixtures.js';

/**
 * The notifier's signed webhook against a node:http receiver on loopback that checks signatures the
 * way a receiver would. The e-mail channel is tested in notify-email.test.ts.
 */

const logs: CollectingLogger[] = [];
function logger(): CollectingLogger {
  const l = collectingLogger();
  logs.push(l);
  return l;
}

describe('notifications: the signed webhook', () => {
  let hook: Receiver;
  before(async () => {
    hook = await startReceiver();
  });
  after(async () => {
    for (const [i, h] of hook.hits.entries())
      recordArtifact(
        'log',
        `notify-webhook.test webhook ${i}`,
        `${JSON.stringify(h.headers)}\n${h.body.toString()}`,
      );
    for (const [i, l] of logs.entries())
      recordArtifact('log', `notify-webhook.test logger ${i}`, l.lines.join('\n'));
    await hook.close();
  });

  const fresh = (answer: (n: number) => number): void => {
    hook.hits.length = 0;
    hook.answer = answer;
  };

  it('POSTs the notice as JSON, signed so that a receiver can verify it', async () => {
    fresh(() => 200);
    const log = logger();
    const now = Date.UTC(2026, 3, 26, 14, 0, 7);
    const n = createNotifier({ smtp: null, webhook: hookConfig(`${hook.url}?key=abc`) }, log, {
      backoffMs: 10,
      now: () => now,
    });
    assert.deepEqual(n.channels, ['webhook']);
    await n.notify(notice());
    await n.close();
    assert.equal(hook.hits.length, 1);
    const hit = hook.hits[0];
    assert.ok(hit);
    assert.ok(receiverAccepts(hit, HOOK_SECRET), 'the signature verifies');
    assert.ok(!receiverAccepts(hit, 'another-secret-of-16'), 'and only with the secret');
    assert.equal(hit.headers['content-type'], 'application/json');
    assert.equal(hit.headers['x-tokengate-event'], 'token.expiring');
    assert.equal(hit.headers['x-tokengate-timestamp'], String(Math.floor(now / 1000)));
    const delivery = hit.headers['x-tokengate-delivery'];
    assert.match(String(delivery), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.deepEqual(JSON.parse(hit.body.toString()), {
      event: 'token.expiring',
      delivery,
      at: '2026-04-26T14:00:00.000Z',
      user: { username: 'alice', displayName: 'Alice Example', email: 'alice@example.com' },
      token: {
        id: 'tok_abc123',
        description: 'ci deploy',
        scope: 'write',
        expiresAt: '2026-05-01T14:00:00.000Z',
      },
      expiresInDays: 5,
    });
    assertNoSecret(hit.body.toString(), 'the webhook body');
    // The query may hold a key of its own: the log names the origin and path only.
    assert.deepEqual(log.lines, [
      `INFO webhook token.expiring for token tok_abc123 (delivery ${String(delivery)}) delivered to ${hook.url} (HTTP 200, attempt 1)`,
    ]);
  });

  it('retries 500s with growing delays and the same delivery id', async () => {
    fresh((i) => (i < 2 ? 500 : 200));
    const log = logger();
    const n = createNotifier({ smtp: null, webhook: hookConfig(hook.url) }, log, { backoffMs: 60 });
    await n.notify(notice());
    await n.close();
    assert.equal(hook.hits.length, 3);
    const ids = new Set(hook.hits.map((h) => h.headers['x-tokengate-delivery']));
    assert.equal(ids.size, 1, 'one delivery id on every attempt');
    assert.deepEqual(
      hook.hits.map((h) => h.headers['x-tokengate-attempt']),
      ['1', '2', '3'],
    );
    assert.ok(hook.hits.every((h) => receiverAccepts(h, HOOK_SECRET)));
    const [a, b, c] = hook.hits.map((h) => h.at);
    assert.ok(a !== undefined && b !== undefined && c !== undefined);
    assert.ok(b - a >= 55, `first pause ${b - a} ms`);
    assert.ok(c - b >= 115, `second pause ${c - b} ms, after a first of ${b - a} ms`);
    assert.ok(c - b > b - a, 'the pauses grow');
    assert.equal(log.lines.filter((l) => l.startsWith('WARN')).length, 2);
    assert.match(log.lines[0] ?? '', /attempt 1 of 5 failed \(HTTP 500\); retrying in 60 ms/);
    assert.match(log.lines[1] ?? '', /attempt 2 of 5 failed \(HTTP 500\); retrying in 120 ms/);
    assert.match(log.lines.at(-1) ?? '', /^INFO .* delivered .*attempt 3\)/);
  });

  it('retries 429, but not other 4xx answers', async () => {
    fresh((i) => (i === 0 ? 429 : 200));
    let n = createNotifier({ smtp: null, webhook: hookConfig(hook.url) }, logger(), { backoffMs: 10 });
    await n.notify(notice());
    await n.close();
    assert.equal(hook.hits.length, 2, '429 is retried');

    for (const status of [400, 401, 404, 410]) {
      fresh(() => status);
      const log = logger();
      n = createNotifier({ smtp: null, webhook: hookConfig(hook.url) }, log, { backoffMs: 10 });
      await n.notify(notice());
      await n.close();
      assert.equal(hook.hits.length, 1, `${status} is not retried`);
      assert.match(log.lines.join('\n'), new RegExp(`^ERROR .*refused \\(HTTP ${status}\\); not retried`));
    }
  });

  it('gives up after maxAttempts and logs it', async () => {
    fresh(() => 503);
    const log = logger();
    const n = createNotifier({ smtp: null, webhook: hookConfig(hook.url, { maxAttempts: 3 }) }, log, {
      backoffMs: 10,
    });
    await n.notify(notice());
    await n.close();
    assert.equal(hook.hits.length, 3);
    assert.match(log.lines.at(-1) ?? '', /^ERROR webhook .* failed after 3 attempts \(HTTP 503\); giving up/);
    assertNoSecret(log.lines.join('\n'), 'the log');
  });

  it('retries a receiver that cannot be reached or does not answer in time', async () => {
    const log = logger();
    const gone = await startReceiver();
    await gone.close();
    let n = createNotifier({ smtp: null, webhook: hookConfig(gone.url, { maxAttempts: 2 }) }, log, {
      backoffMs: 10,
    });
    await n.notify(notice());
    await n.close();
    assert.match(log.lines.join('\n'), /attempt 1 of 2 failed \(fetch failed \(ECONNREFUSED\)\)/);
    assert.match(log.lines.at(-1) ?? '', /failed after 2 attempts/);

    const silent = createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const slow = logger();
    const url = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/`;
    n = createNotifier({ smtp: null, webhook: hookConfig(url, { maxAttempts: 2, timeoutMs: 150 }) }, slow, {
      backoffMs: 10,
    });
    await n.notify(notice());
    await n.close();
    silent.closeAllConnections();
    silent.close();
    assert.match(slow.lines.join('\n'), /attempt 1 of 2 failed \(no answer within 150 ms\)/);
    assert.match(slow.lines.at(-1) ?? '', /failed after 2 attempts \(no answer within 150 ms\)/);
  });

  it('notify returns before delivery; close waits for it, up to its bound', async () => {
    fresh((i) => (i === 0 ? 500 : 200));
    const n = createNotifier({ smtp: null, webhook: hookConfig(hook.url) }, logger(), { backoffMs: 100 });
    const t0 = performance.now();
    await n.notify(notice());
    assert.ok(performance.now() - t0 < 50, 'notify does not wait for the retries');
    await n.close();
    assert.equal(hook.hits.length, 2, 'close waited for the retry');

    fresh(() => 500);
    const log = logger();
    const stuck = createNotifier({ smtp: null, webhook: hookConfig(hook.url) }, log, {
      backoffMs: 60_000,
      closeTimeoutMs: 100,
    });
    await stuck.notify(notice());
    const t1 = performance.now();
    await stuck.close();
    assert.ok(performance.now() - t1 < 2000, 'close is bounded');
    assert.ok(log.lines.some((l) => l.includes('1 notice deliveries still in progress; they are abandoned')));
    await stuck.notify(notice());
    assert.match(log.lines.at(-1) ?? '', /dropped: notifications are stopped/);
  });

  it('sends the leak and reuse payloads, and with no channel only logs', async () => {
    fresh(() => 200);
    const n = createNotifier({ smtp: null, webhook: hookConfig(hook.url) }, logger(), { backoffMs: 10 });
    await n.notify(
      notice({ kind: 'token.leaked', leak: { url: 'https://gist.example/x', source: null }, revoked: true }),
    );
    await n.notify(notice({ kind: 'token.reused', revoked: false }));
    await n.close();
    const bodies = hook.hits
      .map((h) => JSON.parse(h.body.toString()) as Record<string, unknown>)
      .sort((x, y) => String(x.event).localeCompare(String(y.event)));
    assert.deepEqual(
      bodies.map((b) => [b.event, b.leak, b.revoked]),
      [
        ['token.leaked', { url: 'https://gist.example/x', source: null }, true],
        ['token.reused', undefined, false],
      ],
    );
    assert.deepEqual(hook.hits.map((h) => h.headers['x-tokengate-event']).sort(), [
      'token.leaked',
      'token.reused',
    ]);

    const log = logger();
    const none = createNotifier({ smtp: null, webhook: null }, log);
    assert.deepEqual(none.channels, []);
    await none.notify(notice());
    await none.close();
    assert.match(
      log.lines.join('\n'),
      /^INFO notice token\.expiring .* not sent: no e-mail or webhook is configured/,
    );
  });
});
