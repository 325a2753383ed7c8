import { useState, type SyntheticEvent } from 'react';
import { api, ApiError, type User } from '../../api';
import { Dialog, FormButtons } from '../../components/Dialog';
import { Field, PasswordField, type FieldErrors } from '../../components/Field';
import { Notice } from '../../components/States';
import { errorMessage } from '../../useAsync';

const USERNAME = /^[a-z0-9][a-z0-9._@-]{0,63}$/;
const GROUP_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const EMAIL = /^[^\s@]+@[^\s@]+$/;
const MIN_PASSWORD = 8;

function splitGroups(text: string): string[] {
  return [
    ...new Set(
      text
        .split(/[\s,]+/)
        .map((g) => g.trim())
        .filter(Boolean),
    ),
  ];
}

function apiErrors(err: unknown): { fields: FieldErrors; form: string | null } {
  if (err instanceof ApiError && err.fieldProblems.length > 0) {
    return {
      fields: Object.fromEntries(
        err.fieldProblems.map((p) => [p.field.replace(/^body\./, '').replace(/\.\d+$/, ''), p.message]),
      ),
      form: null,
    };
  }
  if (err instanceof ApiError && err.code === 'conflict') return { fields: {}, form: err.message };
  return { fields: {}, form: errorMessage(err) };
}

/** Adds a user, or edits one's display name, e-mail and groups. */
export function UserFormDialog({
  user,
  onSaved,
  onClose,
}: {
  user?: User;
  onSaved: (u: User) => void;
  onClose: () => void;
}) {
  const editing = user !== undefined;
  const [username, setUsername] = useState(user?.username ?? '');
  const [displayName, setDisplayName] = useState(user?.displayName ?? '');
  const [email, setEmail] = useState(user?.email ?? '');
  const [groups, setGroups] = useState(user?.groups.join(', ') ?? '');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    const problems: FieldErrors = {};
    const name = username.trim();
    if (!editing && !USERNAME.test(name))
      problems.username =
        'Lower-case letters, digits and . _ @ -, starting with a letter or digit; at most 64.';
    const groupList = splitGroups(groups);
    const bad = groupList.filter((g) => !GROUP_NAME.test(g));
    if (bad.length > 0) problems.groups = `Not a group name: ${bad.join(', ')}`;
    if (email.trim() && !EMAIL.test(email.trim()))
      problems.email = 'Enter an e-mail address, or leave it empty.';
    if (!editing && password && password.length < MIN_PASSWORD)
      problems.password = `At least ${MIN_PASSWORD} characters.`;
    setErrors(problems);
    setFormError(null);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      const saved = editing
        ? await api.updateUser(user.username, {
            displayName: displayName.trim() || user.username,
            email: email.trim() || null,
            groups: groupList,
          })
        : await api.createUser({
            username: name,
            ...(displayName.trim() ? { displayName: displayName.trim() } : {}),
            email: email.trim() || null,
            groups: groupList,
            ...(password ? { password } : {}),
          });
      onSaved(saved);
    } catch (err) {
      setBusy(false);
      const { fields, form } = apiErrors(err);
      setErrors(fields);
      setFormError(form);
    }
  };

  return (
    <Dialog
      title={editing ? `Edit ${user.username}` : 'Add a user'}
      onClose={onClose}
      busy={busy}
      testId="user-dialog"
      footer={
        <FormButtons
          form="user-form"
          onCancel={onClose}
          busy={busy}
          label={editing ? 'Save' : 'Add user'}
          busyLabel="Saving…"
          testId="user-submit"
        />
      }
    >
      <form id="user-form" onSubmit={(e) => void submit(e)} noValidate className="form-grid">
        {formError ? (
          <Notice kind="error" testId="user-form-error">
            {formError}
          </Notice>
        ) : null}
        {!editing ? (
          <Field label="User name" error={errors.username} hint="Cannot be changed later.">
            {(p) => (
              <input
                {...p}
                className="input"
                autoCapitalize="off"
                spellCheck={false}
                autoComplete="off"
                value={username}
                onChange={(e) => setUsername(e.target.value)}
                data-autofocus
                data-testid="user-username"
              />
            )}
          </Field>
        ) : null}
        <Field label="Display name" error={errors.displayName} optional={!editing}>
          {(p) => (
            <input
              {...p}
              className="input"
              value={displayName}
              onChange={(e) => setDisplayName(e.target.value)}
              data-autofocus
              data-testid="user-displayname"
            />
          )}
        </Field>
        <Field label="E-mail" error={errors.email} optional>
          {(p) => (
            <input
              {...p}
              type="email"
              className="input"
              value={email}
              onChange={(e) => setEmail(e.target.value)}
              data-testid="user-email"
            />
          )}
        </Field>
        <Field
          label="Groups"
          error={errors.groups}
          optional
          hint="Separate with commas. The group admin makes the user an administrator."
        >
          {(p) => (
            <input
              {...p}
              className="input"
              autoCapitalize="off"
              spellCheck={false}
              value={groups}
              onChange={(e) => setGroups(e.target.value)}
              data-testid="user-groups"
            />
          )}
        </Field>
        {!editing ? (
          <PasswordField
            label="Password"
            value={password}
            onChange={setPassword}
            error={errors.password}
            optional
            hint={`At least ${MIN_PASSWORD} characters. Without one, the user can only use tokens a token manager creates for them.`}
            testId="user-password"
          />
        ) : null}
      </form>
    </Dialog>
  );
}

/** Sets a new password, or removes it so that the user can only use tokens. */
export function PasswordDialog({
  user,
  onSaved,
  onClose,
}: {
  user: User;
  onSaved: (u: User, removed: boolean) => void;
  onClose: () => void;
}) {
  const [password, setPassword] = useState('');
  const [repeat, setRepeat] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const run = async (value: string | null) => {
    setBusy(true);
    setFormError(null);
    try {
      onSaved(await api.updateUser(user.username, { password: value }), value === null);
    } catch (err) {
      setBusy(false);
      const { fields, form } = apiErrors(err);
      setErrors(fields);
      setFormError(form);
    }
  };

  const submit = (e: SyntheticEvent) => {
    e.preventDefault();
    const problems: FieldErrors = {};
    if (password.length < MIN_PASSWORD) problems.password = `At least ${MIN_PASSWORD} characters.`;
    else if (password !== repeat) problems.repeat = 'The two passwords differ.';
    setErrors(problems);
    if (Object.keys(problems).length === 0) void run(password);
  };

  return (
    <Dialog
      title={`Reset the password of ${user.username}`}
      onClose={onClose}
      busy={busy}
      size="small"
      testId="password-dialog"
      footer={
        <FormButtons
          form="password-form"
          onCancel={onClose}
          busy={busy}
          label="Set password"
          busyLabel="Saving…"
          testId="password-submit"
        >
          {user.hasPassword ? (
            <button
              type="button"
              className="button button-danger-outline"
              onClick={() => void run(null)}
              disabled={busy}
              data-testid="password-remove"
            >
              Remove password
            </button>
          ) : null}
        </FormButtons>
      }
    >
      <form id="password-form" onSubmit={submit} noValidate className="form-grid">
        {formError ? <Notice kind="error">{formError}</Notice> : null}
        <p className="muted">
          The old password stops working at once. Tell the user the new one through a safe channel.
        </p>
        <PasswordField
          label="New password"
          value={password}
          onChange={setPassword}
          error={errors.password}
          autoFocus
          testId="password-new"
        />
        <PasswordField
          label="Repeat the new password"
          value={repeat}
          onChange={setRepeat}
          error={errors.repeat}
          testId="password-repeat"
        />
      </form>
    </Dialog>
  );
}
