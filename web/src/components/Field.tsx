import { useId, type ReactNode } from 'react';

export interface FieldControlProps {
  id: string;
  'aria-invalid': boolean;
  'aria-describedby': string | undefined;
}

interface FieldProps {
  label: ReactNode;
  /** Shown under the control, tied to it with aria-describedby. */
  hint?: ReactNode;
  /** Shown beside the control in red; marks it aria-invalid. */
  error?: string | undefined | null;
  /** Renders the control with the id and ARIA attributes it needs. */
  children: (props: FieldControlProps) => ReactNode;
  className?: string;
  testId?: string;
  optional?: boolean;
}

/** A labelled form field with its hint and its error beside it. */
export function Field({ label, hint, error, children, className, testId, optional }: FieldProps) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy = [hint ? hintId : null, error ? errorId : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`field${error ? ' field-invalid' : ''}${className ? ` ${className}` : ''}`}>
      <label htmlFor={id} className="field-label">
        {label}
        {optional ? <span className="optional"> (optional)</span> : null}
      </label>
      {children({ id, 'aria-invalid': Boolean(error), 'aria-describedby': describedBy })}
      {error ? (
        <p id={errorId} className="field-error" data-testid={testId ? `${testId}-error` : undefined}>
          {error}
        </p>
      ) : null}
      {hint ? (
        <p id={hintId} className="field-hint">
          {hint}
        </p>
      ) : null}
    </div>
  );
}

interface CheckboxFieldProps {
  label: ReactNode;
  checked: boolean;
  onChange: (checked: boolean) => void;
  hint?: ReactNode;
  error?: string | undefined | null;
  disabled?: boolean;
  testId?: string;
  children?: ReactNode;
}

/** A checkbox with its label on the right, a hint and an error. */
export function CheckboxField({
  label,
  checked,
  onChange,
  hint,
  error,
  disabled,
  testId,
  children,
}: CheckboxFieldProps) {
  const id = useId();
  const describedBy =
    [hint ? `${id}-hint` : null, error ? `${id}-error` : null].filter(Boolean).join(' ') || undefined;
  return (
    <div className={`check-field${error ? ' field-invalid' : ''}`}>
      <input
        type="checkbox"
        id={id}
        checked={checked}
        disabled={disabled}
        onChange={(e) => onChange(e.target.checked)}
        aria-describedby={describedBy}
        aria-invalid={Boolean(error)}
        data-testid={testId}
      />
      <div className="check-text">
        <label htmlFor={id} className="field-label">
          {label}
        </label>
        {hint ? (
          <div id={`${id}-hint`} className="field-hint">
            {hint}
          </div>
        ) : null}
        {error ? (
          <p id={`${id}-error`} className="field-error">
            {error}
          </p>
        ) : null}
        {children}
      </div>
    </div>
  );
}

interface PasswordFieldProps {
  label: ReactNode;
  value: string;
  onChange: (value: string) => void;
  /** The input's test id; its error's is `<testId>-error`. */
  testId: string;
  error?: string | undefined | null;
  hint?: ReactNode;
  optional?: boolean;
  /** `current-password` where the user types the one they have. */
  autoComplete?: 'current-password' | 'new-password';
  /** The field the dialog focuses first. */
  autoFocus?: boolean;
  name?: string;
}

/** A labelled password input. */
export function PasswordField({
  label,
  value,
  onChange,
  testId,
  error,
  hint,
  optional,
  autoComplete = 'new-password',
  autoFocus,
  name,
}: PasswordFieldProps) {
  return (
    <Field label={label} error={error} hint={hint} optional={optional} testId={testId}>
      {(p) => (
        <input
          {...p}
          className="input"
          type="password"
          name={name}
          autoComplete={autoComplete}
          value={value}
          onChange={(e) => onChange(e.target.value)}
          data-autofocus={autoFocus || undefined}
          data-testid={testId}
        />
      )}
    </Field>
  );
}

/** Problems keyed by field name, from an API error or from client-side checks. */
export type FieldErrors = Record<string, string>;
