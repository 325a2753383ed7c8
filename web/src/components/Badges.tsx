import type { Scope, TokenStatus } from '../api';
import { daysUntil, EXPIRES_SOON_DAYS } from '../format';

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

export function ExpiresSoonBadge({ expiresAt }: { expiresAt: string }) {
  const days = Math.max(0, Math.ceil(daysUntil(expiresAt)));
  return (
    <span
      className="badge badge-warning"
      data-testid="token-expires-soon"
      title={`Expires within ${EXPIRES_SOON_DAYS} days`}
    >
      {days <= 1 ? 'Expires within a day' : `Expires in ${days} days`}
    </span>
  );
}
