import type { CreatedToken } from '../../api';
import { CopyButton } from '../../components/CopyButton';
import { Dialog } from '../../components/Dialog';
import { Notice } from '../../components/States';
import { formatDateTime } from '../../format';

/** Single quotes keep the shell from expanding anything; user names and tokens never contain one. */
function shellQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

/** What became of the old secret, when the token is a rotated one. */
export interface Rotation {
  /** Until when the old secret keeps working (ISO); null: it stopped at once. */
  oldSecretUntil: string | null;
}

/**
 * The plain token, shown this once, with ready-to-paste curl examples: after creating a token, and
 * after rotating one (`rotation`), when it is the token's new secret.
 */
export function NewTokenDialog({
  created,
  rotation,
  onClose,
}: {
  created: CreatedToken;
  rotation?: Rotation;
  onClose: () => void;
}) {
  const { token, record } = created;
  const origin = window.location.origin;
  const target = `${origin}/`;
  const bearer = `curl -H ${shellQuote(`Authorization: Bearer ${token}`)} ${shellQuote(target)}`;
  const basic = `curl -u ${shellQuote(`${record.user}:${token}`)} ${shellQuote(target)}`;
  const whoami = `curl -H ${shellQuote(`Authorization: Bearer ${token}`)} ${shellQuote(`${origin}/_tokengate/api/v1/me`)}`;
  return (
    <Dialog
      title={rotation ? 'The new secret of your token' : 'Your new API token'}
      onClose={onClose}
      size="large"
      testId="new-token-dialog"
      footer={
        <button
          type="button"
          className="button button-primary"
          onClick={onClose}
          data-testid="new-token-done"
        >
          I have stored it — done
        </button>
      }
    >
      <Notice kind="warning">
        <strong>{rotation ? 'Copy the new secret now.' : 'Copy the token now.'}</strong> It is shown only this
        once: tokengate stores only a hash of it.
        {rotation
          ? ' If you lose it, rotate the token again.'
          : ' If you lose it, revoke it and create a new one.'}
      </Notice>
      {rotation ? (
        <Notice kind="info" testId="rotated-old-secret">
          {rotation.oldSecretUntil
            ? `The old secret keeps working until ${formatDateTime(rotation.oldSecretUntil)}. Replace it everywhere before then.`
            : 'The old secret has stopped working. Replace it everywhere it is used.'}
        </Notice>
      ) : null}
      <div className="token-reveal">
        <label htmlFor="new-token-value" className="field-label">
          {rotation ? 'New secret' : 'Token'} for “{record.description}”
        </label>
        <div className="copy-row">
          <input
            id="new-token-value"
            className="input mono token-value"
            readOnly
            value={token}
            onFocus={(e) => e.target.select()}
            data-autofocus
            data-testid="new-token-value"
          />
          <CopyButton text={token} label="Copy token" testId="new-token-copy" />
        </div>
        <p className="field-hint">
          {record.scope === 'read' ? 'Read only' : 'Read & write'} ·{' '}
          {record.expiresAt ? `expires ${formatDateTime(record.expiresAt)}` : 'never expires'} · owner{' '}
          <strong>{record.user}</strong>
        </p>
      </div>
      <h3 className="subheading">Use it</h3>
      <p className="muted">
        Send it as a Bearer token, or as the password in Basic authentication with the user name:
      </p>
      <Example label="Bearer" command={bearer} testId="curl-bearer" />
      <Example label="Basic" command={basic} testId="curl-basic" />
      <Example label="Check who the token authenticates as" command={whoami} testId="curl-whoami" />
    </Dialog>
  );
}

function Example({ label, command, testId }: { label: string; command: string; testId: string }) {
  return (
    <div className="example">
      <div className="example-head">
        <span className="example-label">{label}</span>
        <CopyButton text={command} testId={`${testId}-copy`} />
      </div>
      <pre className="code" data-testid={testId}>
        <code>{command}</code>
      </pre>
    </div>
  );
}
