import type { AddressInfo } from 'node:net';
import { simpleParser, type ParsedMail } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import type { Logger } from '../../src/log/logger.js';

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
