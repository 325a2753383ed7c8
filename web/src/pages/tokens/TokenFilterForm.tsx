import type { SyntheticEvent } from 'react';
import type { Scope, TokenFilter, TokenStatus } from '../../api';
import { Field, type FieldErrors } from '../../components/Field';
import { localDayEnd, localDayStart } from '../../format';

/** The token manager's filters as typed (strings, local days), before they become a query. */
export interface FilterDraft {
  user: string;
  description: string;
  scope: '' | Scope;
  status: '' | TokenStatus;
  createdFrom: string;
  createdTo: string;
  lastUsedFrom: string;
  lastUsedTo: string;
  expiresFrom: string;
  expiresTo: string;
  limit: string;
}

export const EMPTY_FILTER: FilterDraft = {
  user: '',
  description: '',
  scope: '',
  status: '',
  createdFrom: '',
  createdTo: '',
  lastUsedFrom: '',
  lastUsedTo: '',
  expiresFrom: '',
  expiresTo: '',
  limit: '25',
};

const RANGES: Array<{ key: 'created' | 'lastUsed' | 'expires'; label: string; testId: string }> = [
  { key: 'created', label: 'Created', testId: 'manager-created' },
  { key: 'lastUsed', label: 'Last used', testId: 'manager-lastused' },
  { key: 'expires', label: 'Expires', testId: 'manager-expires' },
];

export function toFilter(d: FilterDraft): TokenFilter {
  return {
    user: d.user.trim() || undefined,
    description: d.description.trim() || undefined,
    scope: d.scope || undefined,
    status: d.status || undefined,
    createdFrom: localDayStart(d.createdFrom),
    createdTo: localDayEnd(d.createdTo),
    lastUsedFrom: localDayStart(d.lastUsedFrom),
    lastUsedTo: localDayEnd(d.lastUsedTo),
    expiresFrom: localDayStart(d.expiresFrom),
    expiresTo: localDayEnd(d.expiresTo),
    limit: Number(d.limit),
  };
}

interface TokenFilterFormProps {
  draft: FilterDraft;
  /** Problems the API reported, by filter name. */
  errors: FieldErrors;
  /** User names to suggest. */
  users: string[] | undefined;
  onChange: (update: (d: FilterDraft) => FilterDraft) => void;
  onApply: (e: SyntheticEvent) => void;
  onClear: () => void;
}

/** The token manager's search form: user, description, scope, status and three date ranges. */
export function TokenFilterForm({ draft, errors, users, onChange, onApply, onClear }: TokenFilterFormProps) {
  const set = (key: keyof FilterDraft) => (value: string) => onChange((d) => ({ ...d, [key]: value }));
  return (
    <form className="filters" onSubmit={onApply} aria-label="Filter tokens" noValidate>
      <div className="filter-grid">
        <Field label="User" error={errors.user}>
          {(p) => (
            <input
              {...p}
              className="input"
              list="manager-users"
              value={draft.user}
              onChange={(e) => set('user')(e.target.value)}
              autoComplete="off"
              data-testid="manager-user"
            />
          )}
        </Field>
        <datalist id="manager-users">
          {(users ?? []).map((u) => (
            <option key={u} value={u} />
          ))}
        </datalist>
        <Field label="Description contains" error={errors.description}>
          {(p) => (
            <input
              {...p}
              className="input"
              value={draft.description}
              onChange={(e) => set('description')(e.target.value)}
              data-testid="manager-description"
            />
          )}
        </Field>
        <Field label="Scope">
          {(p) => (
            <select
              {...p}
              className="input"
              value={draft.scope}
              onChange={(e) => set('scope')(e.target.value)}
              data-testid="manager-scope"
            >
              <option value="">Any</option>
              <option value="read">Read only</option>
              <option value="write">Read &amp; write</option>
            </select>
          )}
        </Field>
        <Field label="Status">
          {(p) => (
            <select
              {...p}
              className="input"
              value={draft.status}
              onChange={(e) => set('status')(e.target.value)}
              data-testid="manager-status"
            >
              <option value="">Any</option>
              <option value="active">Active</option>
              <option value="expired">Expired</option>
              <option value="revoked">Revoked</option>
            </select>
          )}
        </Field>
        {RANGES.map((r) => (
          <fieldset key={r.key} className="range-field">
            <legend>{r.label}</legend>
            <Field label="From" error={errors[`${r.key}From`]}>
              {(p) => (
                <input
                  {...p}
                  type="date"
                  className="input"
                  value={draft[`${r.key}From`]}
                  onChange={(e) => set(`${r.key}From`)(e.target.value)}
                  data-testid={`${r.testId}-from`}
                />
              )}
            </Field>
            <Field label="To" error={errors[`${r.key}To`]}>
              {(p) => (
                <input
                  {...p}
                  type="date"
                  className="input"
                  value={draft[`${r.key}To`]}
                  onChange={(e) => set(`${r.key}To`)(e.target.value)}
                  data-testid={`${r.testId}-to`}
                />
              )}
            </Field>
          </fieldset>
        ))}
      </div>
      <div className="filter-actions">
        <button type="submit" className="button button-primary" data-testid="manager-apply">
          Apply filters
        </button>
        <button type="button" className="button" onClick={onClear} data-testid="manager-reset">
          Clear
        </button>
      </div>
    </form>
  );
}
