import { useState, type Dispatch, type SetStateAction, type SyntheticEvent } from 'react';
import { api, AUDIT_CATEGORIES, type AuditFilter } from '../../api';
import { Field, type FieldErrors } from '../../components/Field';
import { localZoneName } from '../../format';
import { EMPTY, KNOWN_ACTIONS, localAgo, QUICK_RANGES, type Draft } from './auditFilter';

interface Props {
  draft: Draft;
  setDraft: Dispatch<SetStateAction<Draft>>;
  /** Searches with the draft as typed (the Search button, Enter). */
  onApply: (e?: SyntheticEvent) => void;
  /** Searches with these values at once (quick ranges, Clear), the draft set to them too. */
  onApplyNow: (d: Draft) => void;
  /** The filter applied now, for the export links. */
  filter: AuditFilter;
  fieldErrors: FieldErrors;
  onRefresh: () => void;
}

interface PartProps {
  draft: Draft;
  set: (key: keyof Draft) => (value: string) => void;
  fieldErrors: FieldErrors;
}

/** The always-visible filters: free-text search, the date range in local time, the category. */
function SearchRow({ draft, set, fieldErrors }: PartProps) {
  const zone = localZoneName();
  return (
    <div className="search-row">
      <Field
        label="Search"
        error={fieldErrors.q}
        hint="Summary, token description, author, affected user or details."
      >
        {(p) => (
          <input
            {...p}
            type="search"
            className="input"
            value={draft.q}
            onChange={(e) => set('q')(e.target.value)}
            data-testid="audit-search"
          />
        )}
      </Field>
      <Field label="From" error={fieldErrors.from} hint={`Your time zone: ${zone}`}>
        {(p) => (
          <input
            {...p}
            type="datetime-local"
            className="input"
            value={draft.from}
            onChange={(e) => set('from')(e.target.value)}
            data-testid="audit-from"
          />
        )}
      </Field>
      <Field label="To" error={fieldErrors.to} hint={`Your time zone: ${zone}`}>
        {(p) => (
          <input
            {...p}
            type="datetime-local"
            className="input"
            value={draft.to}
            onChange={(e) => set('to')(e.target.value)}
            data-testid="audit-to"
          />
        )}
      </Field>
      <Field label="Category" error={fieldErrors.category}>
        {(p) => (
          <select
            {...p}
            className="input"
            value={draft.category}
            onChange={(e) => set('category')(e.target.value)}
            data-testid="audit-category"
          >
            <option value="">All</option>
            {AUDIT_CATEGORIES.map((c) => (
              <option key={c} value={c}>
                {c[0]?.toUpperCase()}
                {c.slice(1)}
              </option>
            ))}
          </select>
        )}
      </Field>
    </div>
  );
}

/** The filters behind "More filters": author, action, affected user, token, IP, node. */
function MoreFilters({ draft, set, fieldErrors }: PartProps) {
  const input = (
    key: keyof Draft,
    label: string,
    testId: string,
    extra?: { list?: string; placeholder?: string },
  ) => (
    <Field label={label} error={fieldErrors[key]}>
      {(p) => (
        <input
          {...p}
          className="input"
          value={draft[key]}
          onChange={(e) => set(key)(e.target.value)}
          autoComplete="off"
          autoCapitalize="off"
          spellCheck={false}
          list={extra?.list}
          placeholder={extra?.placeholder}
          data-testid={testId}
        />
      )}
    </Field>
  );

  return (
    <div id="audit-more-filters" className="filter-grid">
      {input('author', 'Author', 'audit-author', { placeholder: 'alice, @cli, anonymous' })}
      {input('action', 'Action', 'audit-action', { list: 'audit-actions' })}
      <datalist id="audit-actions">
        {KNOWN_ACTIONS.map((a) => (
          <option key={a} value={a} />
        ))}
      </datalist>
      {input('affectedUser', 'Affected user', 'audit-affected-user')}
      {input('tokenId', 'Token id', 'audit-token-id', { placeholder: 'tok_…' })}
      {input('ip', 'IP address (source or proxy)', 'audit-ip')}
      {input('nodeId', 'Node', 'audit-node')}
    </div>
  );
}

/** The audit log's filters: search, date range, category, quick ranges, more filters, export. */
export function AuditFilterForm({
  draft,
  setDraft,
  onApply,
  onApplyNow,
  filter,
  fieldErrors,
  onRefresh,
}: Props) {
  const [moreFilters, setMoreFilters] = useState(false);
  const set = (key: keyof Draft) => (value: string) => setDraft((d) => ({ ...d, [key]: value }));

  return (
    <form className="filters" onSubmit={onApply} noValidate aria-label="Filter the audit log">
      <SearchRow draft={draft} set={set} fieldErrors={fieldErrors} />
      <div className="quick-ranges" role="group" aria-label="Quick date ranges">
        {QUICK_RANGES.map(([label, ms]) => (
          <button
            key={label}
            type="button"
            className="chip"
            onClick={() => onApplyNow({ ...draft, from: ms === null ? '' : localAgo(ms), to: '' })}
          >
            {label}
          </button>
        ))}
      </div>
      <button
        type="button"
        className="link-button"
        aria-expanded={moreFilters}
        aria-controls="audit-more-filters"
        onClick={() => setMoreFilters((m) => !m)}
        data-testid="audit-more-filters"
      >
        {moreFilters ? 'Fewer filters' : 'More filters'}
      </button>
      {moreFilters ? <MoreFilters draft={draft} set={set} fieldErrors={fieldErrors} /> : null}
      <div className="filter-actions">
        <button type="submit" className="button button-primary" data-testid="audit-apply">
          Search
        </button>
        <button type="button" className="button" onClick={() => onApplyNow(EMPTY)} data-testid="audit-reset">
          Clear
        </button>
        <span className="spacer" />
        <a
          className="button"
          href={api.auditExportUrl('csv', filter)}
          download
          data-testid="audit-export-csv"
        >
          Export CSV
        </a>
        <a
          className="button"
          href={api.auditExportUrl('jsonl', filter)}
          download
          data-testid="audit-export-jsonl"
        >
          Export JSON lines
        </a>
        <button type="button" className="button" onClick={onRefresh} data-testid="audit-refresh">
          Refresh
        </button>
      </div>
    </form>
  );
}
