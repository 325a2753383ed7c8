import type { Config } from '../config/config.js';
import type { Logger } from '../log/logger.js';
import type { Channel } from './channel.js';
import { emailChannel } from './email.js';
import type { Notifier, TokenNotice } from './notifier.js';
import { webhookChannel } from './webhook.js';

export type { NoticeChannel, NoticeKind, Notifier, TokenNotice } from './notifier.js';
export { noNotifier } from './notifier.js';
export { signWebhook, verifyWebhookSignature, SIGNATURE_HEADER } from './signature.js';

/** The first pause between attempts; it doubles after each (1 s, 2 s, 4 s…). */
export const DEFAULT_BACKOFF_MS = 1_000;
/** How long `close` waits for deliveries still in progress before it abandons them. */
export const DEFAULT_CLOSE_TIMEOUT_MS = 15_000;

export interface NotifierOptions {
  /** The first back-off pause in ms (tests shorten it). Default {@link DEFAULT_BACKOFF_MS}. */
  backoffMs?: number;
  /** Epoch ms, for the webhook's timestamp header. Default Date.now. */
  now?: () => number;
  /** Default {@link DEFAULT_CLOSE_TIMEOUT_MS}. */
  closeTimeoutMs?: number;
}

/**
 * The notifier the config file's `notifications:` section describes: e-mail, webhook, both, or
 * neither (then notices are only logged). `log` should be the logger named `notify`: every
 * delivery and every failure is written there, never a secret.
 *
 * `notify` hands the notice to each channel and returns at once; sending, retries and back-off go
 * on in the background, tracked so that `close` can wait for them.
 */
export function createNotifier(
  config: Config['notifications'],
  log: Logger,
  opts: NotifierOptions = {},
): Notifier {
  const backoffMs = opts.backoffMs ?? DEFAULT_BACKOFF_MS;
  const channels: Channel[] = [];
  if (config.smtp) channels.push(emailChannel(config.smtp, log, { backoffMs }));
  if (config.webhook)
    channels.push(webhookChannel(config.webhook, log, { backoffMs, now: opts.now ?? Date.now }));
  const names = channels.map((c) => c.name);
  const stopping = new AbortController();
  const inFlight = new Set<Promise<void>>();
  let closed = false;

  const notify = (notice: TokenNotice): Promise<void> => {
    if (closed) {
      log.warn(`notice ${notice.kind} for token ${notice.token.id} dropped: notifications are stopped`);
      return Promise.resolve();
    }
    if (channels.length === 0) {
      log.info(
        `notice ${notice.kind} for token ${notice.token.id} of ${notice.owner.username} not sent: no e-mail or webhook is configured (notifications:)`,
      );
      return Promise.resolve();
    }
    for (const channel of channels) {
      const p = channel
        .deliver(notice, stopping.signal)
        .catch((err: unknown) => log.error(`${channel.name} notice ${notice.kind} failed`, err))
        .finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    return Promise.resolve();
  };

  const close = async (): Promise<void> => {
    if (closed) return;
    closed = true;
    if (inFlight.size > 0) {
      let timer: NodeJS.Timeout | undefined;
      const bound = new Promise<'timeout'>((r) => {
        timer = setTimeout(() => r('timeout'), opts.closeTimeoutMs ?? DEFAULT_CLOSE_TIMEOUT_MS);
      });
      const done = await Promise.race([Promise.allSettled([...inFlight]).then(() => 'done' as const), bound]);
      clearTimeout(timer);
      if (done === 'timeout') {
        log.warn(`stopping with ${inFlight.size} notice deliveries still in progress; they are abandoned`);
        stopping.abort();
        await Promise.allSettled([...inFlight]);
      }
    }
    await Promise.allSettled(channels.map((c) => c.close()));
  };

  return { channels: names, notify, close };
}
