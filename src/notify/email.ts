import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { describeError, type Channel } from './channel.js';
import { emailFor } from './messages.js';
import type { TokenNotice } from './notifier.js';
import { withRetries, type Attempt } from './retry.js';

export type SmtpConfig = NonNullable<Config['notifications']['smtp']>;

/** Attempts per e-mail: a mail server that is briefly away, or answers 4xx (try later), gets two more. */
const EMAIL_ATTEMPTS = 3;
/** How long to wait for the connection, the greeting, and any answer of the mail server. */
const CONNECT_TIMEOUT_MS = 10_000;
const SOCKET_TIMEOUT_MS = 30_000;

/**
 * Whether sending again can help: a 4xx answer says "try later", and an error without an SMTP
 * code is the connection (refused, reset, timed out). A 5xx answer, a refused address or failed
 * authentication will answer the same next time.
 */
function transient(err: unknown): boolean {
  const e = err as { responseCode?: unknown; code?: unknown };
  if (typeof e.responseCode === 'number') return e.responseCode >= 400 && e.responseCode < 500;
  return e.code !== 'EAUTH' && e.code !== 'EENVELOPE' && e.code !== 'EMESSAGE';
}

/**
 * E-mail over SMTP with nodemailer: plain text, to the owner's address. An owner without an
 * address gets none (logged at info). STARTTLS is used whenever the server offers it.
 */
export function emailChannel(smtp: SmtpConfig, log: Logger, opts: { backoffMs: number }): Channel {
  // nodemailer is loaded here, when e-mail is configured (at start, not at the first notice): a
  // node without `notifications.smtp` never loads it.
  const transport = import('nodemailer').then(({ default: nodemailer }) =>
    nodemailer.createTransport({
      host: smtp.host,
      port: smtp.port,
      secure: smtp.secure,
      ...(smtp.user !== null && smtp.password !== null
        ? { auth: { user: smtp.user, pass: smtp.password } }
        : {}),
      connectionTimeout: CONNECT_TIMEOUT_MS,
      greetingTimeout: CONNECT_TIMEOUT_MS,
      socketTimeout: SOCKET_TIMEOUT_MS,
      // nodemailer's own logger would write the SMTP dialogue, AUTH included: keep it off.
      logger: false,
      debug: false,
    }),
  );
  // A failed load is reported by each delivery that awaits it, not as an unhandled rejection.
  void transport.catch(() => undefined);
  const secrets = [smtp.password];
  const server = `${smtp.host}:${smtp.port}`;
  return {
    name: 'email',
    deliver: async (notice: TokenNotice, signal: AbortSignal) => {
      const to = notice.owner.email;
      const what = `e-mail ${notice.kind} for token ${notice.token.id} to ${notice.owner.username}`;
      if (to === null || to === '') {
        log.info(`${what}: not sent, the user has no e-mail address`);
        return;
      }
      const { subject, text } = emailFor(notice);
      const attempt = async (): Promise<Attempt> => {
        try {
          const mailer = await transport;
          const info = await mailer.sendMail({
            from: smtp.from,
            to,
            subject,
            text,
            headers: { 'Auto-Submitted': 'auto-generated', 'X-Tokengate-Event': notice.kind },
          });
          return { ok: true, note: info.response };
        } catch (err) {
          return { ok: false, retry: transient(err), reason: describeError(err, secrets) };
        }
      };
      const outcome = await withRetries(
        {
          maxAttempts: EMAIL_ATTEMPTS,
          backoffMs: opts.backoffMs,
          signal,
          onRetry: (n, reason, delay) =>
            log.warn(
              `${what} via ${server}: attempt ${n} of ${EMAIL_ATTEMPTS} failed (${reason}); retrying in ${delay} ms`,
            ),
        },
        attempt,
      );
      if (outcome.ok) log.info(`${what} sent via ${server} (${describeError(outcome.note, secrets)})`);
      else
        log.error(
          `${what} via ${server} failed after ${outcome.attempts} ${outcome.attempts === 1 ? 'attempt' : 'attempts'} (${outcome.reason}); it is not sent again`,
        );
    },
    close: async () => {
      (await transport.catch(() => null))?.close();
    },
  };
}
