import type { AuditFilter } from '../../api';
import { localDateTimeToIso } from '../../format';

/** How many records one page of the audit log shows, and "Load more" adds. */
export const PAGE_SIZE = 50;

/** Suggestions for the Action filter; any other action may still be typed. */
export const KNOWN_ACTIONS = [
  'token.created',
  'token.updated',
  'token.revoked',
  'token.deleted',
  'user.created',
  'user.updated',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'settings.changed',
  'log.level.changed',
  'auth.success',
  'auth.failed',
  'auth.verification-failed',
  'auth.permission-denied',
  'auth.rate-limited',
];

/** The filter form as typed: every field a string, dates in the browser's local time. */
export interface Draft {
  q: string;
  from: string;
  to: string;
  author: string;
  category: string;
  action: string;
  affectedUser: string;
  tokenId: string;
  ip: string;
  nodeId: string;
}

export const EMPTY: Draft = {
  q: '',
  from: '',
  to: '',
  author: '',
  category: '',
  action: '',
  affectedUser: '',
  tokenId: '',
  ip: '',
  nodeId: '',
};

export function toFilter(d: Draft): AuditFilter {
  const t = (s: string) => s.trim() || undefined;
  return {
    q: t(d.q),
    from: localDateTimeToIso(d.from),
    to: localDateTimeToIso(d.to),
    author: t(d.author),
    category: t(d.category),
    action: t(d.action),
    affectedUser: t(d.affectedUser),
    tokenId: t(d.tokenId),
    ip: t(d.ip),
    nodeId: t(d.nodeId),
  };
}

/** A `datetime-local` value for a moment `ms` ago. */
export function localAgo(ms: number): string {
  const d = new Date(Date.now() - ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export const QUICK_RANGES: Array<[string, number | null]> = [
  ['Last hour', 3_600_000],
  ['24 hours', 86_400_000],
  ['7 days', 7 * 86_400_000],
  ['30 days', 30 * 86_400_000],
  ['All time', null],
];
