import { useEffect, useState, type SyntheticEvent } from 'react';
import { api, ApiError, type CreatedToken, type Token } from '../api';
import type { FieldErrors } from '../components/Field';
import { Empty, ErrorState, Notice } from '../components/States';
import { plural } from '../format';
import { useSession } from '../session';
import { useAsync } from '../useAsync';
import { NewTokenDialog } from './tokens/NewTokenDialog';
import { RevokeTokenDialog } from './tokens/RevokeTokenDialog';
import { RevokeUserTokensDialog } from './tokens/RevokeUserTokensDialog';
import { RotateTokenDialog } from './tokens/RotateTokenDialog';
import { EMPTY_FILTER, TokenFilterForm, toFilter, type FilterDraft } from './tokens/TokenFilterForm';
import { TokenFormDialog } from './tokens/TokenFormDialog';
import { TokenTable } from './tokens/TokenTable';

type Dialogs =
  | { kind: 'none' }
  | { kind: 'create' }
  | { kind: 'created'; created: CreatedToken }
  | { kind: 'revoke'; tokens: Token[] }
  | { kind: 'rotate'; token: Token }
  | { kind: 'revoke-user' };

/** Every user's tokens: search, page, create for someone, revoke one, several or all of a user. */
export function TokenManagerPage() {
  const { me, policy } = useSession();
  const [draft, setDraft] = useState<FilterDraft>(EMPTY_FILTER);
  const [applied, setApplied] = useState<FilterDraft>(EMPTY_FILTER);
  const [cursors, setCursors] = useState<Array<string | undefined>>([undefined]);
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [dialog, setDialog] = useState<Dialogs>({ kind: 'none' });
  const [notice, setNotice] = useState<string | null>(null);
  const cursor = cursors[cursors.length - 1];

  useEffect(() => {
    document.title = 'Token manager · tokengate';
  }, []);

  const page = useAsync(() => api.searchTokens({ ...toFilter(applied), cursor }), [applied, cursor]);
  const users = useAsync(
    () =>
      me.permissions.admin
        ? api.listUsers().then((r) => r.items.map((u) => u.username))
        : Promise.resolve([]),
    [me.permissions.admin],
  );

  useEffect(() => setSelected(new Set()), [page.data]);

  const filterErrors: FieldErrors = {};
  if (page.error instanceof ApiError) {
    for (const p of page.error.fieldProblems) filterErrors[p.field.replace(/^query\./, '')] = p.message;
  }
  const hasFilterErrors = Object.keys(filterErrors).length > 0;

  const apply = (e?: SyntheticEvent) => {
    e?.preventDefault();
    setNotice(null);
    setApplied({ ...draft });
    setCursors([undefined]);
  };
  const items = page.data?.items ?? [];
  const selectedTokens = items.filter((t) => selected.has(t.id));
  const close = () => setDialog({ kind: 'none' });
  const afterChange = (message: string) => {
    close();
    setNotice(message);
    page.reload();
  };

  return (
    <section aria-labelledby="manager-title">
      <div className="page-head">
        <div>
          <h1 id="manager-title">Token manager</h1>
          <p className="muted">
            Every user's tokens. Find, create, rotate and revoke tokens on anyone's behalf.
          </p>
        </div>
        <div className="page-actions">
          <button
            type="button"
            className="button"
            onClick={() => setDialog({ kind: 'revoke-user' })}
            data-testid="manager-revoke-user"
          >
            Revoke all tokens of a user…
          </button>
          <button
            type="button"
            className="button button-primary"
            onClick={() => setDialog({ kind: 'create' })}
            data-testid="manager-create"
          >
            Create token for a user
          </button>
        </div>
      </div>

      <TokenFilterForm
        draft={draft}
        errors={filterErrors}
        users={users.data}
        onChange={setDraft}
        onApply={apply}
        onClear={() => {
          setDraft(EMPTY_FILTER);
          setApplied(EMPTY_FILTER);
          setCursors([undefined]);
        }}
      />

      {notice ? (
        <Notice kind="success" testId="manager-notice">
          {notice}
        </Notice>
      ) : null}

      <div className="toolbar">
        <div className="toolbar-group">
          <button
            type="button"
            className="button button-danger-outline"
            disabled={selectedTokens.length === 0}
            onClick={() => setDialog({ kind: 'revoke', tokens: selectedTokens })}
            data-testid="manager-revoke-selected"
          >
            Revoke selected{selectedTokens.length > 0 ? ` (${selectedTokens.length})` : ''}
          </button>
        </div>
        <div className="toolbar-field">
          <label htmlFor="manager-limit">Per page</label>
          <select
            id="manager-limit"
            className="input"
            value={draft.limit}
            onChange={(e) => {
              const limit = e.target.value;
              setDraft((d) => ({ ...d, limit }));
              setApplied((a) => ({ ...a, limit }));
              setCursors([undefined]);
            }}
            data-testid="manager-limit"
          >
            {['10', '25', '50', '100'].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </div>
      </div>

      {page.error && !hasFilterErrors ? (
        <ErrorState error={page.error} onRetry={page.reload} />
      ) : page.data && items.length === 0 ? (
        <Empty title={cursors.length > 1 ? 'No more tokens' : 'No tokens match these filters'}>
          {cursors.length > 1 ? 'Go back to the previous page.' : 'Clear or widen the filters to see more.'}
        </Empty>
      ) : (
        <TokenTable
          tokens={items}
          loading={page.loading}
          showUser
          caption="Tokens of all users"
          testId="manager-table"
          selected={selected}
          onSelect={(id, on) =>
            setSelected((s) => {
              const next = new Set(s);
              if (on) next.add(id);
              else next.delete(id);
              return next;
            })
          }
          onSelectAll={(on) =>
            setSelected(
              on ? new Set(items.filter((t) => t.status !== 'revoked').map((t) => t.id)) : new Set(),
            )
          }
          actions={(t) => (
            <>
              {t.status === 'active' ? (
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => {
                    setNotice(null);
                    setDialog({ kind: 'rotate', token: t });
                  }}
                  aria-label={`Rotate the secret of token ${t.description} of ${t.user}`}
                  data-testid="token-rotate"
                >
                  Rotate
                </button>
              ) : null}
              {t.status !== 'revoked' ? (
                <button
                  type="button"
                  className="button button-small button-danger-outline"
                  onClick={() => setDialog({ kind: 'revoke', tokens: [t] })}
                  aria-label={`Revoke token ${t.description} of ${t.user}`}
                  data-testid="token-revoke"
                >
                  Revoke
                </button>
              ) : null}
            </>
          )}
        />
      )}

      <nav className="pager" aria-label="Pages">
        <button
          type="button"
          className="button"
          disabled={cursors.length <= 1 || page.loading}
          onClick={() => setCursors((c) => c.slice(0, -1))}
          data-testid="manager-prev"
        >
          ← Previous
        </button>
        <span className="pager-info" aria-live="polite">
          Page {cursors.length}
          {page.loading ? ' · loading…' : ''}
        </span>
        <button
          type="button"
          className="button"
          disabled={!page.data?.nextCursor || page.loading}
          onClick={() => {
            const next = page.data?.nextCursor;
            if (next) setCursors((c) => [...c, next]);
          }}
          data-testid="manager-next"
        >
          Next →
        </button>
      </nav>

      {dialog.kind === 'create' ? (
        <TokenFormDialog
          mode="manager"
          policy={policy}
          users={users.data}
          initialUser={applied.user}
          onClose={close}
          onCreated={(created) => {
            setDialog({ kind: 'created', created });
            page.reload();
          }}
        />
      ) : null}
      {dialog.kind === 'created' ? <NewTokenDialog created={dialog.created} onClose={close} /> : null}
      {dialog.kind === 'revoke' ? (
        <RevokeTokenDialog
          tokens={dialog.tokens}
          revoke={(t) => api.revokeAnyToken(t.id)}
          onClose={close}
          onDone={(n) => afterChange(`${plural(n, 'token')} revoked. They stay listed as revoked.`)}
        />
      ) : null}
      {dialog.kind === 'rotate' ? (
        <RotateTokenDialog
          token={dialog.token}
          rotate={api.rotateAnyToken}
          onRotated={(created) => {
            setNotice(`Token “${created.record.description}” of ${created.record.user} has a new secret.`);
            page.reload();
          }}
          onClose={close}
        />
      ) : null}
      {dialog.kind === 'revoke-user' ? (
        <RevokeUserTokensDialog
          initialUser={applied.user}
          users={users.data}
          onClose={close}
          onDone={(user, n) =>
            afterChange(
              n === 0 ? `${user} had no tokens to revoke.` : `${plural(n, 'token')} of ${user} revoked.`,
            )
          }
        />
      ) : null}
    </section>
  );
}
