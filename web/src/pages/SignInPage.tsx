import { useEffect, useRef, useState, type SyntheticEvent } from 'react';
import { api, ApiError, type Me } from '../api';
import { Field, PasswordField, type FieldErrors } from '../components/Field';
import { Notice } from '../components/States';
import { errorMessage } from '../useAsync';

export function SignInPage({
  message,
  onSignedIn,
}: {
  message?: string | undefined;
  onSignedIn: (me: Me) => void;
}) {
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const userRef = useRef<HTMLInputElement>(null);
  const oidc = api.oidcSignIn();

  useEffect(() => {
    document.title = 'Sign in · tokengate';
    userRef.current?.focus();
  }, []);

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    const problems: FieldErrors = {};
    if (!username.trim()) problems.username = 'Enter your user name.';
    if (!password) problems.password = 'Enter your password.';
    setErrors(problems);
    setFormError(null);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      await api.signIn(username.trim(), password);
      onSignedIn(await api.me());
    } catch (err) {
      setBusy(false);
      if (err instanceof ApiError && err.fieldProblems.length > 0) {
        setErrors(
          Object.fromEntries(err.fieldProblems.map((p) => [p.field.replace(/^body\./, ''), p.message])),
        );
      } else if (err instanceof ApiError && err.status === 401) {
        setFormError('The user name or password is wrong, or the account is disabled.');
      } else if (err instanceof ApiError && err.status === 429) {
        setFormError('Too many sign-in attempts. Wait a moment and try again.');
      } else {
        setFormError(errorMessage(err));
      }
      setPassword('');
    }
  };

  return (
    <div className="signin-page">
      <main className="signin-card">
        <div className="signin-brand">
          <svg viewBox="0 0 24 24" className="brand-mark brand-mark-large" aria-hidden="true">
            <path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Z" className="brand-shield" />
            <path d="M9 12.5 11 14.5 15.5 10" className="brand-check" />
          </svg>
          <h1>Sign in to tokengate</h1>
          <p className="muted">Manage your personal API tokens.</p>
        </div>
        {message ? <Notice kind="info">{message}</Notice> : null}
        {formError ? (
          <Notice kind="error" testId="signin-error">
            {formError}
          </Notice>
        ) : null}
        <form onSubmit={(e) => void submit(e)} noValidate>
          <Field label="User name" error={errors.username}>
            {(p) => (
              <input
                {...p}
                ref={userRef}
                className="input"
                name="username"
                autoComplete="username"
                autoCapitalize="off"
                spellCheck={false}
                value={username}
                onChange={(e) => setUsername(e.target.value)}
                data-testid="signin-username"
              />
            )}
          </Field>
          <PasswordField
            label="Password"
            name="password"
            value={password}
            onChange={setPassword}
            error={errors.password}
            autoComplete="current-password"
            testId="signin-password"
          />
          <button
            type="submit"
            className="button button-primary button-block"
            disabled={busy}
            data-testid="signin-submit"
          >
            {busy ? 'Signing in…' : 'Sign in'}
          </button>
        </form>
        {oidc ? (
          <>
            <div className="signin-or muted">or</div>
            <a
              className="button button-block"
              href={`${oidc.loginUrl}?returnTo=${encodeURIComponent(window.location.pathname + window.location.hash)}`}
              onClick={() => api.markOidcSession()}
              data-testid="signin-oidc"
            >
              Sign in with {oidc.displayName}
            </a>
          </>
        ) : null}
        <p className="signin-foot muted">
          Scripts do not sign in here: they send a token with <code>Authorization: Bearer</code>.
        </p>
      </main>
    </div>
  );
}
