import { useState, type SyntheticEvent } from 'react';
import { api, ApiError, type Token } from '../../api';
import { Dialog, FormButtons } from '../../components/Dialog';
import { Field } from '../../components/Field';
import { errorMessage } from '../../useAsync';

/** Changes a token's description, the only field that can change after creation. */
export function RenameTokenDialog({
  token,
  onSaved,
  onClose,
}: {
  token: Token;
  onSaved: (t: Token) => void;
  onClose: () => void;
}) {
  const [description, setDescription] = useState(token.description);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    const d = description.trim();
    if (!d) {
      setError('Enter a description.');
      return;
    }
    setBusy(true);
    try {
      onSaved(await api.renameToken(token.id, d));
    } catch (err) {
      setBusy(false);
      setError(
        err instanceof ApiError && err.fieldProblems[0] ? err.fieldProblems[0].message : errorMessage(err),
      );
    }
  };

  return (
    <Dialog
      title="Rename token"
      onClose={onClose}
      busy={busy}
      size="small"
      testId="rename-dialog"
      footer={
        <FormButtons
          form="rename-form"
          onCancel={onClose}
          busy={busy}
          label="Save"
          busyLabel="Saving…"
          testId="rename-submit"
        />
      }
    >
      <form id="rename-form" onSubmit={(e) => void submit(e)} noValidate>
        <Field
          label="Description"
          error={error}
          hint="Scope, expiry and IP addresses cannot change; create a new token instead."
        >
          {(p) => (
            <input
              {...p}
              className="input"
              maxLength={255}
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              data-autofocus
              data-testid="rename-description"
            />
          )}
        </Field>
      </form>
    </Dialog>
  );
}
