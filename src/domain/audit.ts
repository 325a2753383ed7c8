/** Audit categories and actions. The audit issue extends this list; names are part of the export format. */
export const AUDIT_CATEGORIES = ['tokens', 'users', 'settings', 'authentication', 'logging'] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];

export function isAuditCategory(s: string): s is AuditCategory {
  return (AUDIT_CATEGORIES as readonly string[]).includes(s);
}

/**
 * Always-on security events that no change caused. `security.blocked`: a client IP or a user name was
 * blocked for failing to authenticate too often (see src/services/brute-force.ts).
 */
export const SECURITY_BLOCKED = 'security.blocked';

/** One audit record, before storage assigns its id. Never holds a secret or a token hash. */
export interface AuditEvent {
  ts: number;
  category: AuditCategory;
  action: string;
  summary: string;
  /** The real authenticated user, `@cli` for the command line, or `anonymous`. */
  author: string;
  affectedUser: string | null;
  tokenId: string | null;
  tokenDescription: string | null;
  sourceIp: string | null;
  proxyIp: string | null;
  nodeId: string | null;
  requestId: string | null;
  method: string | null;
  endpoint: string | null;
  outcome: string | null;
  details: Record<string, unknown> | null;
}

/** A stored record: the event, its place in the hash chain and its row id. */
export interface AuditRecord extends AuditEvent {
  id: number;
  /** Position in the chain: 1, 2, 3… with no gaps. Newest-first paging uses it. */
  seq: number;
  prevHash: string;
  hash: string;
}

/** Where a change came from: who, and the request it arrived in, if any. */
export interface RequestContext {
  author: string;
  sourceIp: string | null;
  proxyIp: string | null;
  requestId: string | null;
  method: string | null;
  endpoint: string | null;
}

// `(?<![0-9A-Za-z])` rather than `\b`: `_` is a word character (as in the log's redaction).
const TOKEN_LIKE = /(?<![0-9A-Za-z])([a-z][a-z0-9]{1,15})_[0-9A-Za-z]{36}(?![0-9A-Za-z])/g;

/**
 * A client-supplied field (a request id, a path) with anything shaped like a token masked, as the log
 * masks it: a client that put its token in X-Request-Id or in the URL must not have it kept for
 * years in the tamper-evident audit log.
 */
export function maskTokens<T extends string | null>(text: T): T {
  return (text === null ? null : text.replace(TOKEN_LIKE, '$1_***')) as T;
}

/** Builds an event from the request context; the caller supplies what happened. */
export function auditEvent(
  ctx: RequestContext,
  nodeId: string,
  ts: number,
  e: Pick<AuditEvent, 'category' | 'action' | 'summary'> & Partial<AuditEvent>,
): AuditEvent {
  return {
    affectedUser: null,
    tokenId: null,
    tokenDescription: null,
    outcome: 'success',
    details: null,
    ...e,
    ts,
    author: ctx.author,
    sourceIp: ctx.sourceIp,
    proxyIp: ctx.proxyIp,
    nodeId,
    requestId: maskTokens(ctx.requestId),
    method: ctx.method,
    endpoint: maskTokens(ctx.endpoint),
  };
}
