import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { AddressObject } from 'mailparser';
import type { Config } from '../src/config/config.js';
import { createNotifier } from '../src/notify/index.js';
import type { TokenNotice } from '../src/notify/notifier.js';
import { recordArtifact, recordSecret } from './support/artifacts.js';
import {
  collectingLogger,
  startSmtp,
  type CollectingLogger,
  type SmtpListener,
} from './support/notify-fixtures.js';

/**
 * The notifier against real receivers on loopback: an SMTP server (the `smtp-server` package) and a
 * node:http webhook receiver that checks signatures the way a receiver would.
 */

const DAY = 86_400_000;
const SMTP_USER = 'mailer';
const SMTP_PASSWORD = 'smtp-password-8f3kq9';
const HOOK_SECRET = 'webhook-secret-k29dj3lq0';
/** Shaped like a token; it must never reach a message (notices carry none: this proves it). */
const FAKE_TOKEN = 'tg_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
recordSecret('password', SMTP_PASSWORD);
recordSecret('password', HOOK_SECRET);
recordSecret('token', FAKE_TOKEN);

function notice(over: Partial<TokenNotice> = {}): TokenNotice {
  const at = Date.UTC(2026, 3, 26, 14, 0);
  return {
    kind: 'token.expiring',
    at,
    owner: { username: 'alice', displayName: 'Alice Example', email: 'alice@example.com' },
    token: { id: 'tok_abc123', description: 'ci deploy', scope: 'write', expiresAt: at + 5 * DAY },
    ...over,
  };
}

/** The SMTP server the notifier is configured for. */
const smtpServer = (): Promise<SmtpListener> => startSmtp(SMTP_USER, SMTP_PASSWORD);

interface Hit {
  at: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

interface Receiver {
  url: string;
  hits: Hit[];
  /** The status for the n-th request (0-based); default 200. */
  answer: (n: number) => number;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const r: Receiver = { url: '', hits: [], answer: () => 200, close: () => Promise.resolve() };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = r.hits.length;
      r.hits.push({ at: performance.now(), headers: req.headers, body: Buffer.concat(chunks) });
      res.writeHead(r.answer(n), { 'content-type': 'text/plain' });
      res.end('ok');
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  r.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tokengate`;
  r.close = () =>
    new Promise<void>((done) => {
      server.closeAllConnections();
      server.close(() => done());
    });
  return r;
}

/** What a receiver does: HMAC-SHA256 of the raw body with the shared secret, compared in constant time. */
function receiverAccepts(hit: Hit, secret: string): boolean {
  const header = hit.headers['x-tokengate-signature'];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(hit.body).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

function smtpConfig(port: number, auth = true): NonNullable<Config['notifications']['smtp']> {
  return {
    host: '127.0.0.1',
    port,
    secure: false,
    user: auth ? SMTP_USER : null,
    password: auth ? SMTP_PASSWORD : null,
    from: 'tokengate@example.com',
  };
}

function hookConfig(url: string, over: Partial<NonNullable<Config['notifications']['webhook']>> = {}) {
  return { url, secret: HOOK_SECRET, maxAttempts: 5, timeoutMs: 2000, ...over };
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  return list.flatMap((x) => x.value.map((v) => v.address ?? ''));
}

const logs: CollectingLogger[] = [];
function logger(): CollectingLogger {
  const l = collectingLogger();
  logs.push(l);
  return l;
}

function assertNoSecret(text: string, where: string): void {
  for (const s of [SMTP_PASSWORD, HOOK_SECRET, FAKE_TOKEN, FAKE_TOKEN.slice(3)])
    assert.ok(!text.includes(s), `a secret in ${where}`);
}

describe('notifications: e-mail over SMTP', () => {
  let smtp: SmtpListener;
  before(async () => {
    smtp = await smtpServer();
  });
  after(async () => {
    for (const [i, m] of smtp.raw.entries()) recordArtifact('log', `notify.test e-mail ${i}`, m);
    await smtp.close();
  });

  it('sends the expiry warning: to the owner, a friendly subject, the token and its expiry, no secret', async () => {
    const log = logger();
    const n = createNotifier({ smtp: smtpConfig(smtp.port), webhook: null }, log, { backoffMs: 10 });
    assert.deepEqual(n.channels, ['email']);
    const before = smtp.mails.length;
    await n.notify(notice());
    await n.close();
    assert.equal(smtp.mails.length, before + 1);
    const mail = smtp.mails.at(-1);
    assert.ok(mail);
    assert.deepEqual(addresses(mail.to), ['alice@example.com']);
    assert.deepEqual(addresses(mail.from), ['tokengate@example.com']);
    assert.equal(mail.subject, 'Your API token "ci deploy" expires in 5 days');
    const text = mail.text ?? '';
    assert.match(text, /Hello Alice Example,/);
    assert.match(text, /"ci deploy"/);
    assert.match(text, /tok_abc123/);
    assert.match(text, /2026-05-01 14:00 UTC/, 'the expiry date');
    assert.equal(mail.headers.get('auto-submitted'), 'auto-generated');
    assert.equal(smtp.logins.at(-1), SMTP_USER, 'it logged in with the configured account');
    assertNoSecret(smtp.raw.at(-1) ?? '', 'the e-mail');
    assert.ok(
      log.lines.some((l) => l.startsWith('INFO e-mail token.expiring for token tok_abc123 to alice sent')),
      log.lines.join('\n'),
    );
    assertNoSecret(log.lines.join('\n'), 'the log');
  });

  it('sends no e-mail to a user without an address, and says so at info', async () => {
    const log = logger();
    const n = createNotifier({ smtp: smtpConfig(smtp.port), webhook: null }, log, { backoffMs: 10 });
    const before = smtp.mails.length;
    await n.notify(notice({ owner: { username: 'bob', displayName: 'Bob', email: null } }));
    await n.close();
    assert.equal(smtp.mails.length, before);
    assert.deepEqual(log.lines, [
      'INFO e-mail token.expiring for token tok_abc123 to bob: not sent, the user has no e-mail address',
    ]);
  });

  it('words the leak and reuse notices, and the last day in hours', async () => {
    const n = createNotifier({ smtp: smtpConfig(smtp.port, false), webhook: null }, logger(), {
      backoffMs: 10,
    });
    const before = smtp.mails.length;
    const at = notice().at;
    await n.notify(notice({ token: { ...notice().token, expiresAt: at + 3 * 3_600_000 } }));
    await n.notify(
      notice({
        kind: 'token.leaked',
        leak: { url: 'https://gist.example/x', source: 'github' },
        revoked: true,
      }),
    );
    await n.notify(notice({ kind: 'token.reused', revoked: false }));
    await n.close();
    const subjects = smtp.mails.slice(before).map((m) => m.subject);
    assert.deepEqual(subjects.sort(), [
      'A replaced secret of your API token "ci deploy" was used',
      'Your API token "ci deploy" expires in 3 hours',
      'Your API token "ci deploy" was found leaked and has been revoked',
    ]);
    const leak = smtp.mails.slice(before).find((m) => m.subject?.includes('leaked'));
    assert.match(leak?.text ?? '', /https:\/\/gist\.example\/x/);
  });

  it('a refused login is logged without the password and not retried', async () => {
    const log = logger();
    const n = createNotifier(
      { smtp: { ...smtpConfig(smtp.port), password: `${SMTP_PASSWORD}-wrong` }, webhook: null },
      log,
      { backoffMs: 10 },
    );
    recordSecret('password', `${SMTP_PASSWORD}-wrong`);
    await n.notify(notice());
    await n.close();
    const text = log.lines.join('\n');
    assert.match(text, /ERROR e-mail token\.expiring .* failed after 1 attempt \(.*535/);
    assert.ok(!text.includes(SMTP_PASSWORD));
  });

  it('a mail server that is away is retried, then given up and logged', async () => {
    const log = logger();
    const closed = await smtpServer();
    await closed.close();
    const n = createNotifier({ smtp: smtpConfig(closed.port), webhook: null }, log, { backoffMs: 10 });
    await n.notify(notice());
    await n.close();
    assert.equal(log.lines.filter((l) => l.startsWith('WARN')).length, 2, log.lines.join('\n'));
    assert.match(log.lines.at(-1) ?? '', /^ERROR e-mail .* failed after 3 attempts/);
  });
});

describe('notifications: the signed webhook', () => {
  let hook: Receiver;
  before(async () => {
    hook = await startReceiver();
  });
  after(async () => {
    for (const [i, h] of hook.hits.entries())
      recordArtifact('log', `notify.test webhook ${i}`, `${JSON.stringify(h.headers)}\n${h.body.toString()}`);
    for (const [i, l] of logs.entries()) recordArtifact('log', `notify.test logger ${i}`, l.lines.join('\n'));
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
