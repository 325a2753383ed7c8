import type { TokenNotice } from './notifier.js';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** "2026-05-01 14:00 UTC": readable, and the same for every reader whatever their time zone. */
export function utcMinute(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * How far off the expiry is, in words: whole days from a day on (rounded to the nearest, so a token
 * warned a few minutes after "5 days before" still reads "5 days"), hours below that.
 */
export function timeLeft(expiresAt: number, at: number): string {
  const ms = expiresAt - at;
  if (ms <= 0) return 'now';
  if (ms < DAY_MS) {
    const hours = Math.ceil(ms / HOUR_MS);
    return `in ${hours} ${hours === 1 ? 'hour' : 'hours'}`;
  }
  const days = Math.max(1, Math.round(ms / DAY_MS));
  return `in ${days} ${days === 1 ? 'day' : 'days'}`;
}

/** Whole days left, as the webhook payload carries them (0 on the last day). */
export function daysLeft(expiresAt: number, at: number): number {
  return Math.max(0, Math.round((expiresAt - at) / DAY_MS));
}

export interface EmailText {
  subject: string;
  text: string;
}

function tokenLines(n: TokenNotice): string[] {
  const expiry = n.token.expiresAt === null ? 'never' : utcMinute(n.token.expiresAt);
  return [
    `  Token:       ${n.token.description}`,
    `  Id:          ${n.token.id}`,
    `  Scope:       ${n.token.scope}`,
    `  Expires:     ${expiry}`,
  ];
}

/**
 * The e-mail for a notice: plain text, friendly, and nothing secret. A notice never carries a
 * secret; the token is named by its description and public id only.
 */
export function emailFor(n: TokenNotice): EmailText {
  const name = `"${n.token.description}"`;
  const hello = `Hello ${n.owner.displayName || n.owner.username},`;
  const footer = ['', '-- ', 'tokengate. This message was sent automatically; replies are not read.'];
  switch (n.kind) {
    case 'token.expiring': {
      const when = n.token.expiresAt === null ? 'soon' : timeLeft(n.token.expiresAt, n.at);
      return {
        subject: `Your API token ${name} expires ${when}`,
        text: [
          hello,
          '',
          `your API token ${name} expires ${when}${n.token.expiresAt === null ? '' : `, on ${utcMinute(n.token.expiresAt)}`}.`,
          'After that, requests made with it are refused.',
          '',
          ...tokenLines(n),
          '',
          'If a script or a service still uses it, create a new token before then and put it in',
          'place of this one. If nothing uses it any more, there is nothing to do: it simply stops',
          'working.',
          '',
          'You get this warning once for this token.',
          ...footer,
        ].join('\n'),
      };
    }
    case 'token.leaked': {
      const where = n.leak?.url ? ` at ${n.leak.url}` : '';
      const by = n.leak?.source ? ` (reported by ${n.leak.source})` : '';
      return {
        subject: `Your API token ${name} was found leaked${n.revoked ? ' and has been revoked' : ''}`,
        text: [
          hello,
          '',
          `the secret of your API token ${name} was found in a public place${where}${by}.`,
          n.revoked
            ? 'To protect your account it has been revoked: it no longer works.'
            : 'Revoke it now and create a new one: anyone who saw it can use it.',
          '',
          ...tokenLines(n),
          '',
          'Create a new token for the scripts that used it, and remove the old secret from where',
          'it was published.',
          ...footer,
        ].join('\n'),
      };
    }
    case 'token.reused':
      return {
        subject: `A replaced secret of your API token ${name} was used${n.revoked ? '; the token has been revoked' : ''}`,
        text: [
          hello,
          '',
          `someone used a secret of your API token ${name} that was replaced by a rotation and no`,
          'longer works. It may have been copied before it was replaced.',
          n.revoked
            ? 'To protect your account the token has been revoked: it no longer works.'
            : 'The attempt was refused. If it was not you, revoke the token and create a new one.',
          '',
          ...tokenLines(n),
          ...footer,
        ].join('\n'),
      };
  }
}

/**
 * The webhook body for a notice. Times are ISO 8601 (UTC); `delivery` is the same as the
 * X-Tokengate-Delivery header and stays the same on every retry, so receivers can drop duplicates.
 */
export function webhookPayload(n: TokenNotice, delivery: string): Record<string, unknown> {
  const base: Record<string, unknown> = {
    event: n.kind,
    delivery,
    at: new Date(n.at).toISOString(),
    user: { username: n.owner.username, displayName: n.owner.displayName, email: n.owner.email },
    token: {
      id: n.token.id,
      description: n.token.description,
      scope: n.token.scope,
      expiresAt: n.token.expiresAt === null ? null : new Date(n.token.expiresAt).toISOString(),
    },
  };
  switch (n.kind) {
    case 'token.expiring':
      return {
        ...base,
        expiresInDays: n.token.expiresAt === null ? null : daysLeft(n.token.expiresAt, n.at),
      };
    case 'token.leaked':
      return {
        ...base,
        leak: { url: n.leak?.url ?? null, source: n.leak?.source ?? null },
        revoked: n.revoked ?? false,
      };
    case 'token.reused':
      return { ...base, revoked: n.revoked ?? false };
  }
}
