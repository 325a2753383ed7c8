import type { Token } from '../../api';
import { expiresSoon, formatDateTime, formatRate, formatRelative } from '../../format';
import { ExpiresSoonBadge, ScopeBadge, StatusBadge } from '../../components/Badges';
import { useSession } from '../../session';

/** Every field of a token, as a definition list (used in confirmations and detail views). */
export function TokenDetails({ token, showUser = true }: { token: Token; showUser?: boolean }) {
  const { policy } = useSession();
  return (
    <dl className="details" data-testid="token-details">
      <dt>Description</dt>
      <dd>{token.description}</dd>
      {showUser ? (
        <>
          <dt>Owner</dt>
          <dd>{token.user}</dd>
        </>
      ) : null}
      <dt>Id</dt>
      <dd className="mono">{token.id}</dd>
      <dt>Scope</dt>
      <dd>
        <ScopeBadge scope={token.scope} />
      </dd>
      <dt>Status</dt>
      <dd>
        <StatusBadge status={token.status} />
      </dd>
      <dt>Created</dt>
      <dd>
        {formatDateTime(token.createdAt)}
        {token.createdBy !== token.user ? ` by ${token.createdBy}` : ''}
      </dd>
      <dt>Expires</dt>
      <dd>
        {token.expiresAt
          ? `${formatDateTime(token.expiresAt)} (${formatRelative(token.expiresAt)}) `
          : 'Never'}
        {token.expiresAt && expiresSoon(token, policy.expiryWarningDays) ? (
          <ExpiresSoonBadge expiresAt={token.expiresAt} />
        ) : null}
      </dd>
      {token.rotatedAt ? (
        <>
          <dt>Secret rotated</dt>
          <dd data-testid="token-details-rotated">
            {formatDateTime(token.rotatedAt)} ({formatRelative(token.rotatedAt)})
          </dd>
        </>
      ) : null}
      <dt>Last used</dt>
      <dd>
        {token.lastUsedAt
          ? `${formatDateTime(token.lastUsedAt)}${token.lastUsedIp ? ` from ${token.lastUsedIp}` : ''}`
          : 'Never'}
      </dd>
      <dt>Allowed IPs</dt>
      <dd className="mono">
        {token.allowedIps && token.allowedIps.length > 0 ? token.allowedIps.join(', ') : 'Any'}
      </dd>
      <dt>Rate limit</dt>
      <dd>
        {token.rateLimit
          ? formatRate(token.rateLimit.requests, token.rateLimit.windowSeconds)
          : 'Global setting'}
      </dd>
      {token.revokedAt ? (
        <>
          <dt>Revoked</dt>
          <dd>
            {formatDateTime(token.revokedAt)}
            {token.revokedBy ? ` by ${token.revokedBy}` : ''}
          </dd>
        </>
      ) : null}
    </dl>
  );
}
