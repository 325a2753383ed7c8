/**
 * Notices to a token's owner: its expiry is near, it was found leaked, or a rotated secret of it was
 * used. Delivered by e-mail (SMTP) and/or a signed webhook, as the config file's `notifications:`
 * section says; with neither configured, notices are only logged.
 */
export type NoticeKind = 'token.expiring' | 'token.leaked' | 'token.reused';

/** The ways a notice can reach an owner. */
export type NoticeChannel = 'email' | 'webhook';

export interface TokenNotice {
  kind: NoticeKind;
  /** When it happened, epoch ms. */
  at: number;
  owner: { username: string; displayName: string; email: string | null };
  token: { id: string; description: string; scope: 'read' | 'write'; expiresAt: number | null };
  /** token.leaked: where the secret was found, and by which scanner. */
  leak?: { url: string | null; source: string | null };
  /** token.reused / token.leaked: whether the token was revoked because of it. */
  revoked?: boolean;
}

export interface Notifier {
  /**
   * The channels configured, when the notifier knows them: an empty list means a notice reaches
   * nobody (the token life cycle then sends no expiry warnings, rather than record ones nobody got).
   * Absent: unknown, taken as "delivers".
   */
  readonly channels?: readonly NoticeChannel[];
  /**
   * Sends a notice on every configured channel. Resolves once each channel has accepted the
   * notice for delivery; retries and back-off happen in the background. Never rejects, and never
   * puts a secret in a message.
   */
  notify(notice: TokenNotice): Promise<void>;
  /** Waits for deliveries in progress (retries included, up to a bound), then stops. */
  close(): Promise<void>;
}

/** No channel configured: the notice goes nowhere (the caller's audit record remains). */
export const noNotifier: Notifier = {
  channels: [],
  notify: () => Promise.resolve(),
  close: () => Promise.resolve(),
};
