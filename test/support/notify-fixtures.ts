import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { simpleParser, type AddressObject, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Config } from '../../src/config/config.js';
import type { Logger } from '../../src/log/logger.js';
import type { TokenNotice } from '../../src/notify/notifier.js';
import { recordSecret } from './artifacts.js';

/** A logger that keeps its lines (`LEVEL message[: error]`), for asserting what the notifier logged. */
export interface CollectingLogger extends Logger {
  lines: string[];
}

export function collectingLogger(): CollectingLogger {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m, err) =>
      lines.push(
        `ERROR ${m}${err instanceof Error ? `: ${err.message}` : err === undefined ? '' : ': (error)'}`,
      ),
  };
}

/** How an SMTP listener answers the n-th message (0-based): take it, 451 (try later) or 550 (refuse). */
export type SmtpAnswer = 'ok' | 'try-later' | 'refuse';

export interface SmtpListener {
  port: number;
  /** The messages taken, parsed, and as they came over the wire. */
  mails: ParsedMail[];
  raw: string[];
  /** The users that logged in. */
  logins: string[];
  /** Messages sent, answered or not. */
  attempts(): number;
  answer: (n: number) => SmtpAnswer;
  close(): Promise<void>;
}

/**
 * An SMTP server (the `smtp-server` package) on 127.0.0.1 that takes one account, answers each
 * message as `answer` says, and keeps what it took (`onMail` sees each one as it is taken).
 */
export async function startSmtp(
  user: string,
  password: string,
  onMail: (mail: ParsedMail, raw: string) => void = () => {},
): Promise<SmtpListener> {
  let attempts = 0;
  const server = new SMTPServer({
    // Plain SMTP on loopback: no certificate to trust, so no STARTTLS.
    disabledCommands: ['STARTTLS'],
    allowInsecureAuth: true,
    authOptional: true,
    logger: false,
    onAuth(auth, _session, cb) {
      if (auth.username === user && auth.password === password) {
        listener.logins.push(auth.username ?? '');
        cb(null, { user: auth.username });
      } else cb(new Error('Invalid username or password'));
    },
    onData(stream, _session, cb) {
      const n = attempts++;
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const answer = listener.answer(n);
        if (answer !== 'ok') {
          const code = answer === 'try-later' ? 451 : 550;
          cb(Object.assign(new Error(`${code} not now`), { responseCode: code }));
          return;
        }
        const text = Buffer.concat(chunks).toString('utf8');
        listener.raw.push(text);
        simpleParser(text)
          .then((m) => {
            listener.mails.push(m);
            onMail(m, text);
            cb();
          })
          .catch((err: unknown) => cb(err as Error));
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const listener: SmtpListener = {
    port: (server.server.address() as AddressInfo).port,
    mails: [],
    raw: [],
    logins: [],
    attempts: () => attempts,
    answer: () => 'ok',
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
  return listener;
}

// What the notify tests send and where: the accounts, a notice, a webhook receiver and its check.

export const DAY = 86_400_000;
export const SMTP_USER = 'mailer';
export const SMTP_PASSWORD = 'smtp-password-8f3kq9';
export const HOOK_SECRET = 'webhook-secret-k29dj3lq0';
/** Shaped like a token; it must never reach a message (notices carry none: this proves it). */
export const FAKE_TOKEN = 'tg_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789';
// Recorded on import, so that every notify test file has them scanned for in its artifacts.
recordSecret('password', SMTP_PASSWORD);
recordSecret('password', HOOK_SECRET);
recordSecret('token', FAKE_TOKEN);

export function notice(over: Partial<TokenNotice> = {}): TokenNotice {
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
export const smtpServer = (): Promise<SmtpListener> => startSmtp(SMTP_USER, SMTP_PASSWORD);

export interface Hit {
  at: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Receiver {
  url: string;
  hits: Hit[];
  /** The status for the n-th request (0-based); default 200. */
  answer: (n: number) => number;
  close(): Promise<void>;
}

export async function startReceiver(): Promise<Receiver> {
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
export function receiverAccepts(hit: Hit, secret: string): boolean {
  const header = hit.headers['x-tokengate-signature'];
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  const expected = createHmac('sha256', secret).update(hit.body).digest();
  const given = Buffer.from(header.slice('sha256='.length), 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function smtpConfig(port: number, auth = true): NonNullable<Config['notifications']['smtp']> {
  return {
    host: '127.0.0.1',
    port,
    secure: false,
    user: auth ? SMTP_USER : null,
    password: auth ? SMTP_PASSWORD : null,
    from: 'tokengate@example.com',
  };
}

export function hookConfig(url: string, over: Partial<NonNullable<Config['notifications']['webhook']>> = {}) {
  return { url, secret: HOOK_SECRET, maxAttempts: 5, timeoutMs: 2000, ...over };
}

export function addresses(a: AddressObject | AddressObject[] | undefined): string[] {
  const list = Array.isArray(a) ? a : a ? [a] : [];
  return list.flatMap((x) => x.value.map((v) => v.address ?? ''));
}

export function assertNoSecret(text: string, where: string): void {
  for (const s of [SMTP_PASSWORD, HOOK_SECRET, FAKE_TOKEN, FAKE_TOKEN.slice(3)])
    assert.ok(!text.includes(s), `a secret in ${where}`);
}
