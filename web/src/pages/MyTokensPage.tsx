import { useEffect, useState } from 'react';
import { api, type CreatedToken, type Token, type TokenStatus } from '../api';
import { Empty, ErrorState, Notice } from '../components/States';
import { plural } from '../format';
import { useSession } from '../session';
import { useAsync } from '../useAsync';
import { NewTokenDialog } from './tokens/NewTokenDialog';
import { RenameTokenDialog } from './tokens/RenameTokenDialog';
import { RevokeTokenDialog } from './tokens/RevokeTokenDialog';
import { RotateTokenDialog } from './tokens/RotateTokenDialog';
import { TokenFormDialog } from './tokens/TokenFormDialog';
import { TokenTable } from './tokens/TokenTable';

type Dialogs =
  | { kind: 'none' }
  | { kind: 'create' }
  | { kind: 'created'; created: CreatedToken }
  | { kind: 'revoke'; token: Token }
  | { kind: 'rename'; token: Token }
  | { kind: 'rotate'; token: Token };

export function MyTokensPage() {
  const { me, policy } = useSession();
  const tokens = useAsync(() => api.listTokens().then((r) => r.items), []);
  const [dialog, setDialog] = useState<Dialogs>({ kind: 'none' });
  const [status, setStatus] = useState<'' | TokenStatus>('');
  const [notice, setNotice] = useState<string | null>(null);

  useEffect(() => {
    document.title = 'My API tokens · tokengate';
  }, []);

  const all = tokens.data ?? [];
  const active = all.filter((t) => t.status === 'active').length;
  const shown = status ? all.filter((t) => t.status === status) : all;
  const canCreate = me.permissions.createOwnTokens || me.permissions.admin;
  const atLimit = active >= policy.maxPerUser;
  const close = () => setDialog({ kind: 'none' });

  const createButton = (testId: string) => (
    <button
      type="button"
      className="button button-primary"
      onClick={() => {
        setNotice(null);
        setDialog({ kind: 'create' });
      }}
      disabled={!canCreate || atLimit}
      aria-describedby={!canCreate || atLimit ? 'create-blocked' : undefined}
      data-testid={testId}
    >
      Create token
    </button>
  );

  return (
    <section aria-labelledby="tokens-title">
      <div className="page-head">
        <div>
          <h1 id="tokens-title">My API tokens</h1>
          <p className="muted">
            Tokens let scripts and tools act as you without your password. Send one as{' '}
            <code>Authorization: Bearer &lt;token&gt;</code> or as the password in Basic authentication.
          </p>
        </div>
        <div className="page-actions">{createButton('token-create')}</div>
      </div>
      {!canCreate ? (
        <p id="create-blocked" className="field-hint">
          You may not create tokens yourself. Ask a token manager to create one for you.
        </p>
      ) : atLimit ? (
        <p id="create-blocked" className="field-hint">
          You have {plural(active, 'active token')}, the most allowed. Revoke one to create another.
        </p>
      ) : null}
      {notice ? (
        <Notice kind="success" testId="tokens-notice">
          {notice}
        </Notice>
      ) : null}
      <div className="toolbar">
        <div className="toolbar-field">
          <label htmlFor="token-status-filter">Show</label>
          <select
            id="token-status-filter"
            className="input"
            value={status}
            onChange={(e) => setStatus(e.target.value as '' | TokenStatus)}
            data-testid="token-filter-status"
          >
            <option value="">All tokens</option>
            <option value="active">Active</option>
            <option value="expired">Expired</option>
            <option value="revoked">Revoked</option>
          </select>
        </div>
        <p className="toolbar-note" data-testid="token-count">
          {tokens.data ? `${plural(active, 'active token')} of at most ${policy.maxPerUser}` : '\u00a0'}
        </p>
      </div>
      {tokens.error ? (
        <ErrorState error={tokens.error} onRetry={tokens.reload} />
      ) : tokens.data && shown.length === 0 ? (
        status ? (
          <Empty title={`No ${status} tokens`}>Choose “All tokens” to see the others.</Empty>
        ) : (
          <Empty
            title="You have no API tokens yet"
            action={canCreate ? createButton('token-create-empty') : undefined}
          >
            Create one for each script or tool, so you can revoke it alone when it is no longer needed.
          </Empty>
        )
      ) : (
        <TokenTable
          tokens={shown}
          loading={tokens.loading}
          caption="Your API tokens"
          actions={(t) => (
            <>
              {t.status !== 'revoked' ? (
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => setDialog({ kind: 'rename', token: t })}
                  aria-label={`Rename token ${t.description}`}
                  data-testid="token-rename"
                >
                  Rename
                </button>
              ) : null}
              {t.status === 'active' ? (
                <button
                  type="button"
                  className="button button-small"
                  onClick={() => {
                    setNotice(null);
                    setDialog({ kind: 'rotate', token: t });
                  }}
                  aria-label={`Rotate the secret of token ${t.description}`}
                  data-testid="token-rotate"
                >
                  Rotate
                </button>
              ) : null}
              {t.status !== 'revoked' ? (
                <button
                  type="button"
                  className="button button-small button-danger-outline"
                  onClick={() => {
                    setNotice(null);
                    setDialog({ kind: 'revoke', token: t });
                  }}
                  aria-label={`Revoke token ${t.description}`}
                  data-testid="token-revoke"
                >
                  Revoke
                </button>
              ) : null}
            </>
          )}
        />
      )}
      {dialog.kind === 'create' ? (
        <TokenFormDialog
          mode="own"
          policy={policy}
          onClose={close}
          onCreated={(created) => {
            setDialog({ kind: 'created', created });
            tokens.reload();
          }}
        />
      ) : null}
      {dialog.kind === 'created' ? <NewTokenDialog created={dialog.created} onClose={close} /> : null}
      {dialog.kind === 'revoke' ? (
        <RevokeTokenDialog
          tokens={[dialog.token]}
          revoke={(t) => api.revokeToken(t.id)}
          onClose={close}
          onDone={() => {
            setNotice(
              `Token “${dialog.token.description}” revoked. It no longer works; it stays listed as revoked.`,
            );
            close();
            tokens.reload();
          }}
        />
      ) : null}
      {dialog.kind === 'rotate' ? (
        <RotateTokenDialog
          token={dialog.token}
          rotate={api.rotateToken}
          onRotated={(created) => {
            setNotice(`Token “${created.record.description}” has a new secret.`);
            tokens.reload();
          }}
          onClose={close}
        />
      ) : null}
      {dialog.kind === 'rename' ? (
        <RenameTokenDialog
          token={dialog.token}
          onClose={close}
          onSaved={(t) => {
            close();
            setNotice(`Token renamed to “${t.description}”.`);
            tokens.reload();
          }}
        />
      ) : null}
    </section>
  );
}
