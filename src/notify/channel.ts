import type { NoticeChannel, TokenNotice } from './notifier.js';

/** One way of telling an owner: e-mail or the webhook. */
export interface Channel {
  readonly name: NoticeChannel;
  /** Delivers one notice, retries included. Never rejects: outcomes are logged. */
  deliver(notice: TokenNotice, signal: AbortSignal): Promise<void>;
  close(): Promise<void>;
}

/**
 * An error as one log-safe line: its message (and its cause's code), with every configured
 * secret (the SMTP password, the webhook key) blanked out in case a server echoed one back.
 */
export function describeError(err: unknown, secrets: readonly (string | null)[]): string {
  let text: string;
  if (err instanceof Error) {
    const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
    const detail =
      typeof cause?.code === 'string'
        ? cause.code
        : typeof cause?.message === 'string'
          ? cause.message
          : null;
    text = detail !== null && !err.message.includes(detail) ? `${err.message} (${detail})` : err.message;
  } else {
    text = String(err);
  }
  for (const s of secrets) if (s !== null && s.length >= 4) text = text.split(s).join('***');
  return text.replace(/\s+/g, ' ').trim();
}

/** Where a URL points, for logs: origin and path, without credentials or query (either may hold a secret). */
export function safeUrl(url: string): string {
  const u = new URL(url);
  return `${u.origin}${u.pathname}`;
}
