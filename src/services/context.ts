import type { AuditEvent, RequestContext } from '../domain/audit/audit.js';
import { auditEvent } from '../domain/audit/audit.js';
import type { Store } from '../store/store.js';
import type { ChangeFeed } from './change-feed.js';

/** What every service needs: the store, the change feed, this node's id and a clock. */
export interface ServiceDeps {
  store: Store;
  feed: ChangeFeed;
  nodeId: string;
  now: () => number;
}

/** A request context for work that no HTTP request started (the CLI, timers). */
export function systemContext(author: string): RequestContext {
  return { author, sourceIp: null, proxyIp: null, requestId: null, method: null, endpoint: null };
}

export function makeAudit(
  deps: Pick<ServiceDeps, 'nodeId'>,
  ctx: RequestContext,
  ts: number,
): (e: Parameters<typeof auditEvent>[3]) => AuditEvent {
  return (e) => auditEvent(ctx, deps.nodeId, ts, e);
}
