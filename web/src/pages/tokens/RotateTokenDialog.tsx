import { useState, type SyntheticEvent } from 'react';
import { ApiError, type CreatedToken, type RotateTokenBody, type Token } from '../../api';
import { Dialog, FormButtons } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { Notice } from '../../components/States';
import { formatDuration } from '../../format';
import { useSession } from '../../session';
import { errorMessage } from '../../useAsync';
import { NewTokenDialog, type Rotation } from './NewTokenDialog';
import { TokenDetails } from './TokenDetails';

/** Grace periods offered besides the policy's own: none, an hour, a day, a week. */
const GRACE_PRESETS = [0, 3_600, 86_400, 604_800];

export interface GraceOption {
  seconds: number;
  label: string;
}

/** The grace choices, the policy's tokens.rotationGraceSeconds among them and marked as the default. */
export function graceOptions(policyGrace: number): GraceOption[] {
  const seconds = [...new Set([...GRACE_PRESETS, policyGrace])].sort((a, b) => a - b);
  return seconds.map((s) => {
    const label = s === 0 ? 'No time: it stops working at once' : formatDuration(s);
    return { seconds: s, label: s === policyGrace ? `${label} (default)` : label };
  });
}

interface RotateTokenDialogProps {
  token: Token;
  /** Rotates it: POST /tokens/{id}/rotate, or /admin/tokens/{id}/rotate for a token manager. */
  rotate: (id: string, body: RotateTokenBody) => Promise<CreatedToken>;
  /** The new secret was issued (the list behind the dialog can refresh). */
  onRotated: (created: CreatedToken) => void;
  onClose: () => void;
}

/**
 * Replaces a token's secret: asks how long the old secret may keep working, then shows the new
 * secret once (the creation flow's NewTokenDialog). API errors stay in the first dialog.
 */
export function RotateTokenDialog({ token, rotate, onRotated, onClose }: RotateTokenDialogProps) {
  const { policy } = useSession();
  const [grace, setGrace] = useState(String(policy.rotationGraceSeconds));
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [graceError, setGraceError] = useState<string | null>(null);
  const [done, setDone] = useState<{ created: CreatedToken; rotation: Rotation } | null>(null);

  if (done) return <NewTokenDialog created={done.created} rotation={done.rotation} onClose={onClose} />;

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    const graceSeconds = Number(grace);
    setBusy(true);
    setError(null);
    setGraceError(null);
    try {
      const created = await rotate(token.id, { graceSeconds });
      const rotation: Rotation = {
        oldSecretUntil: graceSeconds > 0 ? new Date(Date.now() + graceSeconds * 1000).toISOString() : null,
      };
      setDone({ created, rotation });
      onRotated(created);
    } catch (err) {
      setBusy(false);
      const problem =
        err instanceof ApiError
          ? err.fieldProblems.find((p) => p.field.replace(/^body\./, '') === 'graceSeconds')
          : undefined;
      if (problem) setGraceError(problem.message);
      else setError(errorMessage(err));
    }
  };

  return (
    <Dialog
      title="Rotate this token?"
      onClose={onClose}
      busy={busy}
      testId="rotate-dialog"
      footer={
        <FormButtons
          form="rotate-form"
          onCancel={onClose}
          busy={busy}
          label="Rotate token"
          busyLabel="Rotating…"
          testId="rotate-submit"
          cancelTestId="rotate-cancel"
        />
      }
    >
      <p>
        A new secret replaces the current one; it is shown once, after this step. The token keeps its id,
        description, scope, expiry, allowed IP addresses and rate limit. Every script that uses the current
        secret needs the new one.
      </p>
      {error ? (
        <Notice kind="error" testId="rotate-error">
          {error}
        </Notice>
      ) : null}
      <form id="rotate-form" onSubmit={(e) => void submit(e)} noValidate className="form-grid">
        <Field
          label="Keep the old secret working for"
          error={graceError}
          testId="rotate-grace"
          hint="Time to roll the new secret out everywhere it is used. After that, the old secret is refused."
        >
          {(p) => (
            <select
              {...p}
              className="input"
              value={grace}
              onChange={(e) => setGrace(e.target.value)}
              data-autofocus
              data-testid="rotate-grace"
            >
              {graceOptions(policy.rotationGraceSeconds).map((o) => (
                <option key={o.seconds} value={o.seconds}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </Field>
      </form>
      <TokenDetails token={token} />
    </Dialog>
  );
}
