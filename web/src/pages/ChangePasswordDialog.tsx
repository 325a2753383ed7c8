import { useState, type SyntheticEvent } from 'react';
import { api, ApiError } from '../api';
import { Dialog, FormButtons } from '../components/Dialog';
import { PasswordField, type FieldErrors } from '../components/Field';
import { Notice } from '../components/States';
import { errorMessage } from '../useAsync';

/** The server's rules for a password (src/domain/user.ts), checked here first for a quick answer. */
const MIN_PASSWORD_LENGTH = 8;
const MAX_PASSWORD_LENGTH = 1024;

/** The API's field names for this form's fields. */
const FIELDS: Record<string, 'current' | 'next'> = { currentPassword: 'current', newPassword: 'next' };

interface Props {
  onClose: () => void;
  /** The server could not sign this browser in again: back to the sign-in page with this message. */
  onSignedOut: (message: string) => void;
}

/**
 * The signed-in user changes their own password (`PUT /me/password`): the current one, the new one
 * twice. Every other session of the user ends; this one is replaced by a new session.
 */
export function ChangePasswordDialog({ onClose, onSignedOut }: Props) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [done, setDone] = useState(false);

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    const problems: FieldErrors = {};
    if (!current) problems.current = 'Enter your current password.';
    if (next.length < MIN_PASSWORD_LENGTH) problems.next = `Use at least ${MIN_PASSWORD_LENGTH} characters.`;
    else if (next.length > MAX_PASSWORD_LENGTH)
      problems.next = `Use at most ${MAX_PASSWORD_LENGTH} characters.`;
    else if (current && next === current) problems.next = 'Choose a password other than the current one.';
    if (!problems.next && repeat !== next) problems.repeat = 'The two new passwords differ.';
    setErrors(problems);
    setFormError(null);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      const r = await api.changePassword(current, next);
      if (!r.session) {
        onSignedOut('Your password has been changed. Sign in with the new password.');
        return;
      }
      setDone(true);
    } catch (err) {
      if (err instanceof ApiError && err.fieldProblems.length > 0) {
        setErrors(
          Object.fromEntries(
            err.fieldProblems.map((p) => [FIELDS[p.field.replace(/^body\./, '')] ?? 'next', p.message]),
          ),
        );
        if (err.fieldProblems.some((p) => p.field.endsWith('currentPassword'))) setCurrent('');
      } else if (err instanceof ApiError && err.status === 429) {
        const d = err.details as { retryAfterSeconds?: unknown } | undefined;
        const wait =
          typeof d?.retryAfterSeconds === 'number' ? ` in ${Math.ceil(d.retryAfterSeconds / 60)} min` : '';
        setFormError(`Too many wrong passwords. Try again${wait}.`);
      } else {
        setFormError(errorMessage(err));
      }
    } finally {
      setBusy(false);
    }
  };

  if (done) {
    return (
      <Dialog
        title="Password changed"
        onClose={onClose}
        testId="password-dialog"
        footer={
          <button
            type="button"
            className="button button-primary"
            onClick={onClose}
            data-testid="password-done"
            data-autofocus
          >
            Done
          </button>
        }
      >
        <Notice kind="success" testId="password-changed">
          Your password has been changed. You are still signed in here; every other session of yours has been
          signed out. Scripts that send your password must use the new one; your API tokens keep working.
        </Notice>
      </Dialog>
    );
  }

  return (
    <Dialog
      title="Change your password"
      onClose={onClose}
      busy={busy}
      testId="password-dialog"
      footer={
        <FormButtons
          form="password-form"
          onCancel={onClose}
          busy={busy}
          label="Change password"
          busyLabel="Changing…"
          testId="password-submit"
        />
      }
    >
      {formError ? (
        <Notice kind="error" testId="password-error">
          {formError}
        </Notice>
      ) : null}
      <form id="password-form" onSubmit={(e) => void submit(e)} noValidate>
        <PasswordField
          label="Current password"
          value={current}
          onChange={setCurrent}
          error={errors.current}
          autoComplete="current-password"
          autoFocus
          testId="password-current"
        />
        <PasswordField
          label="New password"
          value={next}
          onChange={setNext}
          error={errors.next}
          hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}
          testId="password-new"
        />
        <PasswordField
          label="Repeat the new password"
          value={repeat}
          onChange={setRepeat}
          error={errors.repeat}
          testId="password-repeat"
        />
        <p className="field-hint">Changing it signs you out everywhere else. Your API tokens keep working.</p>
      </form>
    </Dialog>
  );
}
