import { useState } from 'react';
import type { Token } from '../../api';
import { Dialog } from '../../components/Dialog';
import { Notice } from '../../components/States';
import { plural } from '../../format';
import { errorMessage } from '../../useAsync';
import { TokenDetails } from './TokenDetails';

interface RevokeTokenDialogProps {
  tokens: Token[];
  /** Revokes one token; called for each. */
  revoke: (token: Token) => Promise<void>;
  onDone: (revoked: number) => void;
  onClose: () => void;
}

/**
 * Confirms revoking one or several tokens, showing what they are first. Revoked, not deleted: the API
 * keeps a revoked token, listed as revoked, with its history.
 */
export function RevokeTokenDialog({ tokens, revoke, onDone, onClose }: RevokeTokenDialogProps) {
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
      setError(`${done > 0 ? `${plural(done, 'token')} revoked, then: ` : ''}${errorMessage(e)}`);
    }
  };

  return (
    <Dialog
      title={single ? 'Revoke this token?' : `Revoke ${plural(tokens.length, 'token')}?`}
      onClose={onClose}
      busy={busy}
      testId="revoke-dialog"
      footer={
        <>
          <button
            type="button"
            className="button"
            onClick={onClose}
            disabled={busy}
            data-testid="cancel-revoke"
          >
            Cancel
          </button>
          <button
            type="button"
            className="button button-danger"
            onClick={() => void confirm()}
            disabled={busy}
            data-testid="confirm-revoke"
          >
            {busy ? 'Revoking…' : single ? 'Revoke token' : `Revoke ${plural(tokens.length, 'token')}`}
          </button>
        </>
      }
    >
      <p>
        {single ? 'The token stops working at once' : 'The tokens stop working at once'}, for every script
        that uses {single ? 'it' : 'them'}. {single ? 'It stays' : 'They stay'} listed with the status{' '}
        <strong>Revoked</strong>, so you can still see when {single ? 'it was' : 'they were'} last used.
        Revoking cannot be undone.
      </p>
      {error ? <Notice kind="error">{error}</Notice> : null}
      {single ? (
        <TokenDetails token={single} />
      ) : (
        <ul className="plain-list" data-testid="revoke-list">
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
