import { randomUUID } from 'node:crypto';
import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import { VERSION } from '../version.js';
import { describeError, safeUrl, type Channel } from './channel.js';
import { webhookPayload } from './messages.js';
import type { TokenNotice } from './notifier.js';
import { withRetries, type Attempt } from './retry.js';
import { signWebhook } from './signature.js';

export type WebhookConfig = NonNullable<Config['notifications']['webhook']>;

/** 429 (slow down) and 5xx are worth another try; any other answer will not change. */
function retryable(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * The webhook: one JSON POST per notice, signed with HMAC-SHA256 over the exact body
 * (`X-Tokengate-Signature: sha256=<hex>`), with the event, a delivery id that stays the same on
 * every retry, and the attempt's time in seconds. Redirects are not followed: a receiver that
 * moved is a configuration error, and following one would send the notice where nobody checked.
 */
export function webhookChannel(
  config: WebhookConfig,
  log: Logger,
  opts: { backoffMs: number; now: () => number },
): Channel {
  const target = safeUrl(config.url);
  const secrets = [config.secret];
  return {
    name: 'webhook',
    deliver: async (notice: TokenNotice, signal: AbortSignal) => {
      const delivery = randomUUID();
      const body = JSON.stringify(webhookPayload(notice, delivery));
      const signature = signWebhook(config.secret, body);
      const what = `webhook ${notice.kind} for token ${notice.token.id} (delivery ${delivery})`;
      const attempt = async (n: number): Promise<Attempt> => {
        let res: Response;
        try {
          res = await fetch(config.url, {
            method: 'POST',
            redirect: 'manual',
            headers: {
              'content-type': 'application/json',
              'user-agent': `tokengate/${VERSION}`,
              'x-tokengate-event': notice.kind,
              'x-tokengate-delivery': delivery,
              'x-tokengate-timestamp': String(Math.floor(opts.now() / 1000)),
              'x-tokengate-attempt': String(n),
              'x-tokengate-signature': signature,
            },
            body,
            signal: AbortSignal.any([signal, AbortSignal.timeout(config.timeoutMs)]),
          });
        } catch (err) {
          if (signal.aborted)
            return { ok: false, retry: false, reason: 'stopped (tokengate is shutting down)' };
          const timedOut = err instanceof Error && err.name === 'TimeoutError';
          return {
            ok: false,
            retry: true,
            reason: timedOut ? `no answer within ${config.timeoutMs} ms` : describeError(err, secrets),
          };
        }
        // The answer's body is not needed; reading it to the end frees the connection.
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return { ok: true, note: `HTTP ${res.status}` };
        return { ok: false, retry: retryable(res.status), reason: `HTTP ${res.status}` };
      };
      const outcome = await withRetries(
        {
          maxAttempts: config.maxAttempts,
          backoffMs: opts.backoffMs,
          signal,
          onRetry: (n, reason, delay) =>
            log.warn(
              `${what} to ${target}: attempt ${n} of ${config.maxAttempts} failed (${reason}); retrying in ${delay} ms`,
            ),
        },
        attempt,
      );
      if (outcome.ok) {
        log.info(`${what} delivered to ${target} (${outcome.note}, attempt ${outcome.attempts})`);
      } else if (outcome.gaveUp) {
        log.error(
          `${what} to ${target} failed after ${outcome.attempts} attempts (${outcome.reason}); giving up, it is not sent again`,
        );
      } else {
        log.error(`${what} to ${target} refused (${outcome.reason}); not retried, it is not sent again`);
      }
    },
    close: () => Promise.resolve(),
  };
}
