import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, it } from 'node:test';
import type { AddressObject } from 'mailparser';
import type { Logger } from '../../src/log/logger.js';
import type { Channel } from '../../src/notify/channel.js';
import { emailChannel } from '../../src/notify/email.js';
import type { TokenNotice } from '../../src/notify/notifier.js';
import { webhookChannel } from '../../src/notify/webhook.js';
import { recordArtifact, recordSecret } from '../support/artifacts.js';
import {
  collectingLogger,
  startSmtp,
  type CollectingLogger,
  type SmtpAnswer,
} from '../support/notify-fixtures.js';

/**
 * The same Channel contract (src/notify/channel.ts) from both channels: e-mail over SMTP
 * (src/notify/email.ts, against the `smtp-server` package on 127.0.0.1, as test/notify.test.ts does)
 * and the webhook (src/notify/webhook.ts, against a node:http receiver on 127.0.0.1). Each message
 * carries the same facts of the notice and no secret; `deliver` never rejects: a failure that can pass
 * is retried, one that cannot is not, and every outcome is logged without a secret.
 */

const DAY = 86_400_000;
const SMTP_USER = 'mailer';
const SMTP_PASSWORD = 'smtp-password-c0nf0rm4';
const HOOK_SECRET = 'webhook-secret-c0nf0rm4nce';
recordSecret('password', SMTP_PASSWORD);
recordSecret('password', HOOK_SECRET);
const SECRETS = [SMTP_PASSWORD, HOOK_SECRET];

/** How the receiver answers the n-th attempt (0-based). */
type Answer = SmtpAnswer;

/** The facts of a notice that every channel's message carries. */
interface Facts {
  kind: string;
  tokenId: string;
  description: string;
  scope: string;
  to: string;
}

interface Received {
  facts: Facts;
  /** The whole message as it went over the wire (headers and body). */
  raw: string;
}

interface Harness {
  channel: Channel;
  received: Received[];
  /** Attempts the receiver saw, answered or not. */
  attempts(): number;
  answer: (n: number) => Answer;
  /** Takes the receiver away: nothing listens on its port any more. */
  stop(): Promise<void>;
  dispose(): Promise<void>;
}

const logger = collectingLogger;

/** The value after `label` in the e-mail's token lines (src/notify/messages.ts). */
function line(text: string, label: string): string {
  const m = new RegExp(`^ {2}${label}:\\s+(.*)$`, 'm').exec(text);
  return m?.[1]?.trim() ?? '';
}

function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  return list.flatMap((x) => x.value.map((v) => v.address ?? ''));
}

/** A harness around a channel and its receiver; `closeServer` runs once, on the first stop. */
function harness(
  channel: Channel,
  received: Received[],
  attempts: () => number,
  h: { answer: (n: number) => Answer },
  closeServer: () => Promise<void>,
): Harness {
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    await closeServer();
  };
  return {
    channel,
    received,
    attempts,
    get answer() {
      return h.answer;
    },
    set answer(f) {
      h.answer = f;
    },
    stop,
    dispose: async () => {
      await channel.close();
      await stop();
    },
  };
}

async function emailHarness(log: Logger): Promise<Harness> {
  const received: Received[] = [];
  const smtp = await startSmtp(SMTP_USER, SMTP_PASSWORD, (mail, raw) => {
    const text = mail.text ?? '';
    const event = mail.headers.get('x-tokengate-event');
    received.push({
      raw,
      facts: {
        kind: typeof event === 'string' ? event : '',
        tokenId: line(text, 'Id'),
        description: line(text, 'Token'),
        scope: line(text, 'Scope'),
        to: addresses(mail.to).join(','),
      },
    });
  });
  const port = smtp.port;
  const channel = emailChannel(
    {
      host: '127.0.0.1',
      port,
      secure: false,
      user: SMTP_USER,
      password: SMTP_PASSWORD,
      from: 'tokengate@example.com',
    },
    log,
    { backoffMs: 1 },
  );
  return harness(channel, received, smtp.attempts, smtp, smtp.close);
}

async function webhookHarness(log: Logger): Promise<Harness> {
  let attempts = 0;
  const received: Received[] = [];
  const h = { answer: (_n: number): Answer => 'ok' };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const n = attempts++;
      const answer = h.answer(n);
      if (answer === 'ok') {
        const body = Buffer.concat(chunks).toString('utf8');
        const p = JSON.parse(body) as {
          event: string;
          user: { email: string | null };
          token: { id: string; description: string; scope: string };
        };
        received.push({
          raw: `${JSON.stringify(req.headers)}\n${body}`,
          facts: {
            kind: p.event,
            tokenId: p.token.id,
            description: p.token.description,
            scope: p.token.scope,
            to: p.user.email ?? '',
          },
        });
      }
      res.writeHead(answer === 'ok' ? 200 : answer === 'try-later' ? 503 : 400).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/tokengate`;
  const channel = webhookChannel({ url, secret: HOOK_SECRET, maxAttempts: 3, timeoutMs: 5_000 }, log, {
    backoffMs: 1,
    now: Date.now,
  });
  return harness(
    channel,
    received,
    () => attempts,
    h,
    () => {
      server.closeAllConnections();
      return new Promise<void>((r) => server.close(() => r()));
    },
  );
}

const CHANNELS: Array<{ name: string; open: (log: Logger) => Promise<Harness> }> = [
  { name: 'e-mail', open: emailHarness },
  { name: 'webhook', open: webhookHarness },
];

const AT = Date.UTC(2026, 3, 26, 14, 0);
function notice(over: Partial<TokenNotice> = {}): TokenNotice {
  return {
    kind: 'token.expiring',
    at: AT,
    owner: { username: 'alice', displayName: 'Alice Example', email: 'alice@example.com' },
    token: { id: 'tok_conf01', description: 'ci deploy', scope: 'write', expiresAt: AT + 5 * DAY },
    ...over,
  };
}

const live = (): AbortSignal => new AbortController().signal;

function assertNoSecret(text: string, where: string): void {
  for (const s of SECRETS) assert.ok(!text.includes(s), `a secret in ${where}`);
}

for (const c of CHANNELS) {
  describe(`notification channel conformance: ${c.name}`, () => {
    let log: CollectingLogger;
    let h: Harness;
    beforeEach(async () => {
      log = logger();
      h = await c.open(log);
    });
    afterEach(async () => {
      await h.dispose();
      for (const [i, r] of h.received.entries())
        recordArtifact('log', `${c.name} conformance message ${i}`, r.raw);
      recordArtifact('log', `${c.name} conformance log`, log.lines.join('\n'));
      for (const l of log.lines) assertNoSecret(l, `the log: ${l}`);
    });

    it('delivers each kind of notice once, with the same facts: kind, token id, description, scope, owner', async () => {
      const notices: TokenNotice[] = [
        notice(),
        notice({
          kind: 'token.leaked',
          token: { id: 'tok_conf02', description: 'laptop', scope: 'read', expiresAt: null },
          leak: { url: 'https://gist.example.test/x', source: 'scanner' },
          revoked: true,
        }),
        notice({
          kind: 'token.reused',
          token: { id: 'tok_conf03', description: 'bot', scope: 'write', expiresAt: null },
        }),
      ];
      for (const n of notices) await h.channel.deliver(n, live());
      assert.deepEqual(
        h.received.map((r) => r.facts),
        notices.map((n) => ({
          kind: n.kind,
          tokenId: n.token.id,
          description: n.token.description,
          scope: n.token.scope,
          to: 'alice@example.com',
        })),
      );
      assert.equal(h.attempts(), 3);
      assert.equal(log.lines.filter((l) => l.startsWith('INFO ')).length, 3, log.lines.join('\n'));
      assert.ok(
        log.lines.every((l) => l.startsWith('INFO ')),
        log.lines.join('\n'),
      );
    });

    it('puts no secret in the message: not the SMTP password, not the webhook key', async () => {
      await h.channel.deliver(notice(), live());
      assert.equal(h.received.length, 1);
      for (const r of h.received) assertNoSecret(r.raw, 'the message');
    });

    it('retries a failure that can pass, and delivers once', async () => {
      h.answer = (n) => (n === 0 ? 'try-later' : 'ok');
      await h.channel.deliver(notice(), live());
      assert.equal(h.attempts(), 2);
      assert.equal(h.received.length, 1);
      assert.equal(h.received[0]?.facts.tokenId, 'tok_conf01');
      assert.equal(log.lines.filter((l) => l.startsWith('WARN ')).length, 1, log.lines.join('\n'));
      assert.match(log.lines.at(-1) ?? '', /^INFO .*tok_conf01/);
    });

    it('does not retry a refusal that will not change; never rejects; logs the failure', async () => {
      h.answer = () => 'refuse';
      await h.channel.deliver(notice(), live());
      assert.equal(h.attempts(), 1);
      assert.equal(h.received.length, 0);
      const errors = log.lines.filter((l) => l.startsWith('ERROR '));
      assert.equal(errors.length, 1, log.lines.join('\n'));
      assert.match(errors[0] ?? '', /tok_conf01/);
    });

    it('gives up on a receiver that is gone after its attempts; never rejects; logs the failure', async () => {
      await h.stop();
      await h.channel.deliver(notice(), live());
      assert.equal(h.received.length, 0);
      const errors = log.lines.filter((l) => l.startsWith('ERROR '));
      assert.equal(errors.length, 1, log.lines.join('\n'));
      assert.match(errors[0] ?? '', /tok_conf01.*(failed|giving up)/);
      // Every attempt but the last was announced as retried.
      assert.equal(log.lines.filter((l) => l.startsWith('WARN ')).length, 2, log.lines.join('\n'));
    });

    it('makes no further attempt once the delivery is stopped', async () => {
      h.answer = () => 'try-later';
      const stopping = new AbortController();
      stopping.abort();
      await h.channel.deliver(notice(), stopping.signal);
      assert.ok(h.attempts() <= 1, String(h.attempts()));
      assert.equal(h.received.length, 0);
      assert.equal(log.lines.filter((l) => l.startsWith('ERROR ')).length, 1, log.lines.join('\n'));
    });
  });
}
