import type { ReactNode } from 'react';
import type { Token } from '../../api';
import { ExpiresSoonBadge, ScopeBadge, StatusBadge } from '../../components/Badges';
import { SkeletonRows } from '../../components/States';
import { expiresSoon, formatDate, formatDateTime, formatRelative } from '../../format';
import { useSession } from '../../session';

interface TokenTableProps {
  tokens: Token[];
  loading?: boolean;
  showUser?: boolean;
  caption: string;
  /** Row selection for bulk actions. */
  selected?: ReadonlySet<string>;
  onSelect?: (id: string, selected: boolean) => void;
  onSelectAll?: (selected: boolean) => void;
  actions: (token: Token) => ReactNode;
  testId?: string;
}

/** Tokens as a table; on narrow screens each row becomes a card (see .responsive-table in styles.css). */
export function TokenTable({
  tokens,
  loading,
  showUser,
  caption,
  selected,
  onSelect,
  onSelectAll,
  actions,
  testId,
}: TokenTableProps) {
  const { policy } = useSession();
  const selectable = selected !== undefined && onSelect !== undefined;
  const selectableIds = tokens.filter((t) => t.status !== 'revoked').map((t) => t.id);
  const allSelected = selectable && selectableIds.length > 0 && selectableIds.every((id) => selected.has(id));
  const columns = 7 + (showUser ? 1 : 0) + (selectable ? 1 : 0);
  return (
    <div className="table-wrap">
      <table className="table responsive-table" data-testid={testId ?? 'token-table'} aria-busy={loading}>
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            {selectable ? (
              <th scope="col" className="col-check">
                <input
                  type="checkbox"
                  aria-label="Select all tokens on this page that can be revoked"
                  checked={allSelected}
                  disabled={selectableIds.length === 0}
                  onChange={(e) => onSelectAll?.(e.target.checked)}
                  data-testid="token-select-all"
                />
              </th>
            ) : null}
            <th scope="col">Description</th>
            {showUser ? <th scope="col">User</th> : null}
            <th scope="col">Scope</th>
            <th scope="col">Created</th>
            <th scope="col">Expires</th>
            <th scope="col">Last used</th>
            <th scope="col">Status</th>
            <th scope="col" className="col-actions">
              <span className="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {loading && tokens.length === 0 ? <SkeletonRows columns={columns} /> : null}
          {tokens.map((t) => (
            <tr
              key={t.id}
              data-testid="token-row"
              data-token-id={t.id}
              data-status={t.status}
              className={t.status !== 'active' ? 'row-dim' : undefined}
            >
              {selectable ? (
                <td className="col-check" data-label="Select">
                  <input
                    type="checkbox"
                    aria-label={`Select token ${t.description}`}
                    checked={selected.has(t.id)}
                    disabled={t.status === 'revoked'}
                    onChange={(e) => onSelect(t.id, e.target.checked)}
                    data-testid="token-select"
                  />
                </td>
              ) : null}
              <td data-label="Description">
                <span className="cell-main" data-testid="token-description-cell">
                  {t.description}
                </span>
                <span className="cell-sub mono">{t.id}</span>
              </td>
              {showUser ? (
                <td data-label="User" data-testid="token-user-cell">
                  {t.user}
                </td>
              ) : null}
              <td data-label="Scope">
                <ScopeBadge scope={t.scope} />
              </td>
              <td data-label="Created">
                <span title={formatDateTime(t.createdAt)}>{formatDate(t.createdAt)}</span>
                {t.createdBy !== t.user ? <span className="cell-sub">by {t.createdBy}</span> : null}
                {t.rotatedAt ? (
                  <span className="cell-sub" title={formatDateTime(t.rotatedAt)} data-testid="token-rotated">
                    secret rotated {formatRelative(t.rotatedAt)}
                  </span>
                ) : null}
              </td>
              <td data-label="Expires">
                {t.expiresAt ? (
                  <>
                    <span title={formatDateTime(t.expiresAt)}>{formatDate(t.expiresAt)}</span>
                    {expiresSoon(t, policy.expiryWarningDays) ? (
                      <ExpiresSoonBadge expiresAt={t.expiresAt} />
                    ) : null}
                  </>
                ) : (
                  <span className="muted">Never</span>
                )}
              </td>
              <td data-label="Last used">
                {t.lastUsedAt ? (
                  <>
                    <span title={formatDateTime(t.lastUsedAt)}>{formatRelative(t.lastUsedAt)}</span>
                    {t.lastUsedIp ? <span className="cell-sub mono">from {t.lastUsedIp}</span> : null}
                  </>
                ) : (
                  <span className="muted">Never used</span>
                )}
              </td>
              <td data-label="Status">
                <StatusBadge status={t.status} />
                {t.revokedAt ? (
                  <span className="cell-sub" title={formatDateTime(t.revokedAt)} data-testid="token-revoked">
                    revoked {formatRelative(t.revokedAt)}
                    {t.revokedBy ? ` by ${t.revokedBy}` : ''}
                  </span>
                ) : null}
              </td>
              <td className="col-actions" data-label="Actions">
                <div className="row-actions">{actions(t)}</div>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
