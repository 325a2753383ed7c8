import type { ReactNode } from 'react';
import { checkIpList } from '../ip';
import { Field } from './Field';

interface IpListFieldProps {
  label: string;
  value: string;
  onChange: (value: string) => void;
  hint?: ReactNode;
  /** A problem the server reported for this field. */
  serverError?: string | undefined;
  testId: string;
  optional?: boolean;
  placeholder?: string;
}

/**
 * A list of IP addresses and CIDR ranges, one per line, checked as you type with the server's rules.
 * Shows how each entry will be stored (a bare address becomes /32 or /128).
 */
export function IpListField({
  label,
  value,
  onChange,
  hint,
  serverError,
  testId,
  optional,
  placeholder,
}: IpListFieldProps) {
  const check = checkIpList(value);
  const error = check.errors.length > 0 ? check.errors.join(' ') : serverError;
  return (
    <Field label={label} hint={hint} error={error} testId={testId} optional={optional}>
      {(p) => (
        <>
          <textarea
            {...p}
            className="input mono"
            rows={3}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            placeholder={placeholder ?? 'One per line, for example:\n203.0.113.7\n10.20.0.0/16'}
            value={value}
            onChange={(e) => onChange(e.target.value)}
            data-testid={testId}
          />
          {check.errors.length === 0 && check.entries.length > 0 ? (
            <p className="field-ok" data-testid={`${testId}-ok`}>
              <span aria-hidden="true">✓ </span>
              {check.entries.length === 1 ? '1 entry' : `${check.entries.length} entries`}:{' '}
              <span className="mono">{check.entries.join(', ')}</span>
            </p>
          ) : null}
        </>
      )}
    </Field>
  );
}
