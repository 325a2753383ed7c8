import { useMemo, useState, type SyntheticEvent } from 'react';
import { api, ApiError, type CreatedToken, type CreateTokenBody, type Policy, type Scope } from '../../api';
import { Dialog, FormButtons } from '../../components/Dialog';
import { CheckboxField, Field, type FieldErrors } from '../../components/Field';
import { IpListField } from '../../components/IpListField';
import { Notice } from '../../components/States';
import { CUSTOM_DATE, expiryBody, expiryChoices } from '../../expiry';
import { formatDate } from '../../format';
import { checkIpList } from '../../ip';
import { errorMessage } from '../../useAsync';

const MAX_DESCRIPTION = 255;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const BIDI_OVERRIDES = /[\u202a-\u202e\u2066-\u2069]/;

const WINDOWS: Array<[number, string]> = [
  [1, 'per second'],
  [60, 'per minute'],
  [300, 'per 5 minutes'],
  [3600, 'per hour'],
  [86_400, 'per day'],
];

interface TokenFormDialogProps {
  /** `own`: the caller's token (POST /tokens); `manager`: for any user (POST /admin/users/{user}/tokens). */
  mode: 'own' | 'manager';
  policy: Policy;
  /** User names to suggest in manager mode. */
  users?: string[];
  initialUser?: string;
  onCreated: (created: CreatedToken) => void;
  onClose: () => void;
}

/** Where an API field name belongs in this form. */
function formField(field: string): string {
  const f = field.replace(/^body\./, '');
  if (f === 'expiresAt' || f === 'validityDays') return 'expiry';
  if (f.startsWith('allowedIps')) return 'allowedIps';
  if (f.startsWith('rateLimit')) return f === 'rateLimit.windowSeconds' ? 'rateWindow' : 'rateRequests';
  if (f === 'path.user') return 'user';
  return f;
}

export function TokenFormDialog({
  mode,
  policy,
  users,
  initialUser = '',
  onCreated,
  onClose,
}: TokenFormDialogProps) {
  const choices = useMemo(() => expiryChoices(policy), [policy]);
  const readOnlyForced = mode === 'own' && policy.forceReadOnly;
  const [user, setUser] = useState(initialUser);
  const [description, setDescription] = useState('');
  const [scope, setScope] = useState<Scope>('read');
  const [expiry, setExpiry] = useState(choices.defaultValue);
  const [expiryDate, setExpiryDate] = useState('');
  const [ips, setIps] = useState('');
  const [limitOn, setLimitOn] = useState(false);
  const [requests, setRequests] = useState('100');
  const [windowSeconds, setWindowSeconds] = useState('60');
  const [errors, setErrors] = useState<FieldErrors>({});
  const [formError, setFormError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const validate = (): { body: CreateTokenBody; problems: FieldErrors } => {
    const problems: FieldErrors = {};
    const body: CreateTokenBody = { description: description.trim(), scope };
    if (mode === 'manager' && !user.trim()) problems.user = 'Enter the user the token is for.';
    if (!body.description)
      problems.description = 'Describe what the token is for, e.g. "CI pipeline for repo X".';
    else if (body.description.length > MAX_DESCRIPTION)
      problems.description = `At most ${MAX_DESCRIPTION} characters.`;
    else if (CONTROL_CHARS.test(body.description) || BIDI_OVERRIDES.test(body.description))
      problems.description = 'Control and text-direction characters are not allowed.';
    if (scope === 'write' && readOnlyForced) problems.scope = 'Only read-only tokens are allowed.';
    const exp = expiryBody(expiry, expiryDate, choices);
    if (exp.ok) Object.assign(body, exp.body);
    else problems.expiry = exp.error;
    const ipCheck = checkIpList(ips);
    if (ipCheck.errors.length > 0) problems.allowedIps = ipCheck.errors.join(' ');
    else if (ipCheck.entries.length > 0) body.allowedIps = ipCheck.entries;
    if (limitOn) {
      const r = Number(requests);
      const w = Number(windowSeconds);
      if (!Number.isInteger(r) || r < 1 || r > 1_000_000)
        problems.rateRequests = 'A whole number from 1 to 1,000,000.';
      if (!Number.isInteger(w) || w < 1 || w > 86_400) problems.rateWindow = 'Choose a window.';
      body.rateLimit = { requests: r, windowSeconds: w };
    }
    return { body, problems };
  };

  const submit = async (e: SyntheticEvent) => {
    e.preventDefault();
    const { body, problems } = validate();
    setErrors(problems);
    setFormError(null);
    if (Object.keys(problems).length > 0) return;
    setBusy(true);
    try {
      const created =
        mode === 'own' ? await api.createToken(body) : await api.createTokenFor(user.trim(), body);
      onCreated(created);
    } catch (err) {
      setBusy(false);
      if (!(err instanceof ApiError)) {
        setFormError(errorMessage(err));
        return;
      }
      const fieldErrors: FieldErrors = {};
      for (const p of err.fieldProblems) fieldErrors[formField(p.field)] = p.message;
      if (err.code === 'policy_violation') {
        if (err.limit === 'tokens.maxValidityDays') fieldErrors.expiry = err.message;
        else if (err.limit === 'tokens.forceReadOnly') fieldErrors.scope = err.message;
      }
      if (mode === 'manager' && (err.status === 404 || err.status === 409)) fieldErrors.user = err.message;
      setErrors(fieldErrors);
      if (Object.keys(fieldErrors).length === 0) setFormError(err.message);
    }
  };

  return (
    <Dialog
      title={mode === 'own' ? 'Create an API token' : 'Create a token for a user'}
      onClose={onClose}
      busy={busy}
      testId="token-dialog"
      footer={
        <FormButtons
          form="token-form"
          onCancel={onClose}
          busy={busy}
          label="Create token"
          busyLabel="Creating…"
          testId="token-submit"
          cancelTestId="token-cancel"
        />
      }
    >
      <form id="token-form" onSubmit={(e) => void submit(e)} noValidate className="form-grid">
        {formError ? (
          <Notice kind="error" testId="token-form-error">
            {formError}
          </Notice>
        ) : null}
        {mode === 'manager' ? (
          <Field
            label="User"
            error={errors.user}
            hint="The token belongs to this user and acts as them."
            testId="token-user"
          >
            {(p) => (
              <>
                <input
                  {...p}
                  className="input"
                  list="token-user-list"
                  autoComplete="off"
                  autoCapitalize="off"
                  spellCheck={false}
                  value={user}
                  onChange={(e) => setUser(e.target.value)}
                  data-autofocus
                  data-testid="token-user"
                />
                <datalist id="token-user-list">
                  {(users ?? []).map((u) => (
                    <option key={u} value={u} />
                  ))}
                </datalist>
              </>
            )}
          </Field>
        ) : null}
        <Field
          label="Description"
          error={errors.description}
          hint="What uses this token, so you recognise it later in lists and in the audit log."
          testId="token-description"
        >
          {(p) => (
            <input
              {...p}
              className="input"
              maxLength={MAX_DESCRIPTION}
              autoComplete="off"
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              data-autofocus
              data-testid="token-description"
            />
          )}
        </Field>
        <Field
          label="Scope"
          error={errors.scope}
          testId="token-scope"
          hint={
            readOnlyForced
              ? 'Read & write is not available: an administrator has made self-created tokens read-only (tokens.forceReadOnly). Ask a token manager if you need a write token.'
              : 'Read only: GET, HEAD and OPTIONS requests, plus reads such as git clone. Read & write: every request.'
          }
        >
          {(p) => (
            <select
              {...p}
              className="input"
              value={scope}
              onChange={(e) => setScope(e.target.value as Scope)}
              data-testid="token-scope"
            >
              <option value="read">Read only</option>
              <option value="write" disabled={readOnlyForced}>
                Read &amp; write{readOnlyForced ? ' (not allowed by policy)' : ''}
              </option>
            </select>
          )}
        </Field>
        <Field
          label="Expires"
          error={errors.expiry}
          testId="token-expiry"
          hint={
            policy.maxValidityDays === null
              ? 'There is no maximum validity.'
              : `Tokens may be valid for at most ${policy.maxValidityDays} days (until ${formatDate(`${choices.maxDate ?? ''}T00:00:00Z`)}).`
          }
        >
          {(p) => (
            <select
              {...p}
              className="input"
              value={expiry}
              onChange={(e) => setExpiry(e.target.value)}
              data-testid="token-expiry"
            >
              {choices.options.map((o) => (
                <option key={o.value} value={o.value}>
                  {o.label}
                </option>
              ))}
            </select>
          )}
        </Field>
        {expiry === CUSTOM_DATE ? (
          <Field
            label="Expiry date"
            hint="The token stops working at 00:00 UTC on this day."
            error={errors.expiryDate}
          >
            {(p) => (
              <input
                {...p}
                type="date"
                className="input"
                min={choices.minDate}
                max={choices.maxDate ?? undefined}
                value={expiryDate}
                onChange={(e) => setExpiryDate(e.target.value)}
                data-testid="token-expiry-date"
              />
            )}
          </Field>
        ) : null}
        <IpListField
          label="Allowed IP addresses"
          optional
          value={ips}
          onChange={setIps}
          serverError={errors.allowedIps}
          testId="token-allowed-ips"
          hint="One address or CIDR range per line. Empty: the token works from any address the global rules allow."
        />
        <CheckboxField
          label="Limit the request rate of this token"
          checked={limitOn}
          onChange={setLimitOn}
          testId="token-ratelimit-enabled"
          hint="Requests over the limit get 429 Too Many Requests. Without it, the global rate limit applies, if enabled."
        >
          {limitOn ? (
            <div className="inline-fields">
              <Field label="Requests" error={errors.rateRequests} testId="token-ratelimit-requests">
                {(p) => (
                  <input
                    {...p}
                    type="number"
                    inputMode="numeric"
                    min={1}
                    max={1_000_000}
                    className="input input-narrow"
                    value={requests}
                    onChange={(e) => setRequests(e.target.value)}
                    data-testid="token-ratelimit-requests"
                  />
                )}
              </Field>
              <Field label="Window" error={errors.rateWindow}>
                {(p) => (
                  <select
                    {...p}
                    className="input"
                    value={windowSeconds}
                    onChange={(e) => setWindowSeconds(e.target.value)}
                    data-testid="token-ratelimit-window"
                  >
                    {WINDOWS.map(([s, label]) => (
                      <option key={s} value={s}>
                        {label}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            </div>
          ) : null}
        </CheckboxField>
      </form>
    </Dialog>
  );
}
