import type { AuditEvent } from '../domain/audit/audit.js';
import type { LogContext } from '../log/layout.js';

/**
 * The log line of a change (a token created, revoked or rotated, a user changed, a setting changed):
 * the audit record's summary, then its action, token id and scope, so that a log reader can find the
 * record. Never a secret: the records never hold one.
 */
export function changeMessage(e: AuditEvent): string {
  const facts = [e.action];
  if (e.tokenId !== null) facts.push(`token id ${e.tokenId}`);
  const scope = e.details?.scope;
  if (typeof scope === 'string') facts.push(`scope ${scope}`);
  return `${e.summary} (${facts.join(', ')})`;
}

/** The line's context: the author in the user column, and the request it came with, if any. */
export function changeContext(e: AuditEvent): LogContext {
  return {
    username: e.author,
    ...(e.requestId !== null ? { requestId: e.requestId } : {}),
    ...(e.sourceIp !== null ? { ip: e.sourceIp } : {}),
    ...(e.endpoint !== null ? { url: e.endpoint } : {}),
  };
}
