import type { Scope, TokenStatus } from '../api';
import { formatDateTime, formatRelative } from '../format';

const STATUS_LABEL: Record<TokenStatus, string> = {
  active: 'Active',
  expired: 'Expired',
  revoked: 'Revoked',
};

export function StatusBadge({ status }: { status: TokenStatus }) {
  return (
    <span className={`badge badge-${status}`} data-testid="token-status" data-status={status}>
      {STATUS_LABEL[status]}
    </span>
  );
}

export function ScopeBadge({ scope }: { scope: Scope }) {
  return (
    <span className={`badge badge-scope-${scope}`} data-testid="token-scope-badge">
      {scope === 'read' ? 'Read only' : 'Read & write'}
    </span>
  );
}

/** Beside an active token's expiry when it is near; the title gives the exact time. */
export function ExpiresSoonBadge({ expiresAt }: { expiresAt: string }) {
  return (
    <span
      className="badge badge-warning"
      data-testid="token-expires-soon"
      title={`Expires ${formatDateTime(expiresAt)} (${formatRelative(expiresAt)})`}
    >
      Expires soon
    </span>
  );
}
