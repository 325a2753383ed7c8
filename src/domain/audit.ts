/** Audit categories and actions. The audit issue extends this list; names are part of the export format. */
export const AUDIT_CATEGORIES = ['tokens', 'users', 'settings', 'authentication', 'logging'] as const;
export type AuditCategory = (typeof AUDIT_CATEGORIES)[number];

export function isAuditCategory(s: string): s is AuditCategory {
  return (AUDIT_CATEGORIES as readonly string[]).includes(s);
}

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
    requestId: ctx.requestId,
    method: ctx.method,
    endpoint: ctx.endpoint,
  };
}
