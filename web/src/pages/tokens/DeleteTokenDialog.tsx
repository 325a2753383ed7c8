import { useState } from 'react';
import type { Token } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Notice } from '../../components/States';
import { plural } from '../../format';
import { errorMessage } from '../../useAsync';
import { TokenDetails } from './TokenDetails';

interface DeleteTokenDialogProps {
  tokens: Token[];
  /** Revokes one token; called for each. */
  revoke: (token: Token) => Promise<void>;
  onDone: (revoked: number) => void;
  onClose: () => void;
}

/** Confirms deleting (revoking) one or several tokens, showing what they are first. */
export function DeleteTokenDialog({ tokens, revoke, onDone, onClose }: DeleteTokenDialogProps) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const single = tokens.length === 1 ? tokens[0] : undefined;

  const confirm = async () => {
    setBusy(true);
    setError(null);
    let done = 0;
    try {
      for (const t of tokens) {
        await revoke(t);
        done++;
      }
      onDone(done);
    } catch (e) {
      setBusy(false);
      setError(`${done > 0 ? `${plural(done, 'token')} deleted, then: ` : ''}${errorMessage(e)}`);
    }
  };

  return (
    <Dialog
      title={single ? 'Delete this token?' : `Delete ${plural(tokens.length, 'token')}?`}
      onClose={onClose}
      busy={busy}
      testId="delete-dialog"
      footer={
        <>
          <button
            type="button"
            className="button"
            onClick={onClose}
            disabled={busy}
            data-testid="cancel-delete"
          >
            Cancel
          </button>
          <button
            type="button"
            className="button button-danger"
            onClick={() => void confirm()}
            disabled={busy}
            data-testid="confirm-delete"
          >
            {busy ? 'Deleting…' : single ? 'Delete token' : `Delete ${plural(tokens.length, 'token')}`}
          </button>
        </>
      }
    >
      <p>
        {single ? 'The token stops working at once' : 'The tokens stop working at once'}, for every script
        that uses {single ? 'it' : 'them'}. {single ? 'It stays' : 'They stay'} listed as <em>revoked</em>, so
        you can still see when {single ? 'it was' : 'they were'} last used. This cannot be undone.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {single ? (
        <TokenDetails token={single} />
      ) : (
        <ul className="plain-list" data-testid="delete-list">
          {tokens.map((t) => (
            <li key={t.id}>
              <strong>{t.description}</strong>{' '}
              <span className="muted">
                ({t.user}, {t.scope}, <span className="mono">{t.id}</span>)
              </span>
            </li>
          ))}
        </ul>
      )}
    </Dialog>
  );
}
