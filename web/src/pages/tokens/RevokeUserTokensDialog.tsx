import { useState, type SyntheticEvent } from 'react';
import { api, ApiError, type Token } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { Notice } from '../../components/States';
import { formatDate, plural } from '../../format';
import { errorMessage } from '../../useAsync';

interface Props {
  initialUser?: string;
  users?: string[] | undefined;
  onDone: (user: string, revoked: number) => void;
  onClose: () => void;
}

/** Revokes every token of one user at once (a lost laptop), after showing which tokens that is. */
export function RevokeUserTokensDialog({ initialUser = '', users, onDone, onClose }: Props) {
  const [user, setUser] = useState(initialUser);
  const [preview, setPreview] = useState<{ user: string; tokens: Token[]; more: boolean } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const check = async (e: SyntheticEvent) => {
    e.preventDefault();
    const name = user.trim();
    if (!name) {
      setError('Enter a user name.');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const page = await api.searchTokens({ user: name, limit: 500 });
      setPreview({
        user: name,
        tokens: page.items.filter((t) => t.status !== 'revoked'),
        more: page.nextCursor !== null,
      });
    } catch (err) {
      setError(
        err instanceof ApiError && err.fieldProblems[0] ? err.fieldProblems[0].message : errorMessage(err),
      );
    } finally {
      setBusy(false);
    }
  };

  const confirm = async () => {
    if (!preview) return;
    setBusy(true);
    setFormError(null);
    try {
      const r = await api.revokeAllTokensOf(preview.user);
      onDone(preview.user, r.revoked);
    } catch (err) {
      setBusy(false);
      setFormError(
        err instanceof ApiError && err.status === 404
          ? `There is no user “${preview.user}”.`
          : errorMessage(err),
      );
    }
  };

  return (
    <Dialog
      title="Revoke all tokens of a user"
      onClose={onClose}
      busy={busy}
      testId="revoke-user-dialog"
      footer={
        <>
          <button
            type="button"
            className="button"
            onClick={preview ? () => setPreview(null) : onClose}
            disabled={busy}
          >
            {preview ? 'Back' : 'Cancel'}
          </button>
          {preview ? (
            <button
              type="button"
              className="button button-danger"
              onClick={() => void confirm()}
              disabled={busy || preview.tokens.length === 0}
              data-testid="confirm-revoke-user"
            >
              {busy
                ? 'Revoking…'
                : `Revoke ${preview.more ? 'all' : plural(preview.tokens.length, 'token')} of ${preview.user}`}
            </button>
          ) : (
            <button
              type="submit"
              form="revoke-user-form"
              className="button button-primary"
              disabled={busy}
              data-testid="revoke-user-continue"
            >
              {busy ? 'Looking…' : 'Continue'}
            </button>
          )}
        </>
      }
    >
      {formError ? <Notice kind="error">{formError}</Notice> : null}
      {preview ? (
        preview.tokens.length === 0 ? (
          <Notice kind="info">{preview.user} has no tokens that can still be revoked.</Notice>
        ) : (
          <>
            <p>
              These tokens of <strong>{preview.user}</strong> stop working at once. They stay listed as
              revoked.
            </p>
            <ul className="plain-list" data-testid="revoke-user-list">
              {preview.tokens.map((t) => (
                <li key={t.id}>
                  <strong>{t.description}</strong>{' '}
                  <span className="muted">
                    ({t.scope}, {t.status}, created {formatDate(t.createdAt)})
                  </span>
                </li>
              ))}
              {preview.more ? <li className="muted">…and more</li> : null}
            </ul>
          </>
        )
      ) : (
        <form id="revoke-user-form" onSubmit={(e) => void check(e)} noValidate>
          <Field
            label="User"
            error={error}
            hint="Every token of this user that is not revoked yet, active or expired."
          >
            {(p) => (
              <>
                <input
                  {...p}
                  className="input"
                  list="revoke-user-list-names"
                  autoComplete="off"
                  value={user}
                  onChange={(e) => setUser(e.target.value)}
                  data-autofocus
                  data-testid="revoke-user-input"
                />
                <datalist id="revoke-user-list-names">
                  {(users ?? []).map((u) => (
                    <option key={u} value={u} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
        </form>
      )}
    </Dialog>
  );
}
