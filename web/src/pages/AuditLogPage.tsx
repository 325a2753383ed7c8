import { Fragment, useEffect, useState, type SyntheticEvent } from 'react';
import { api, ApiError, AUDIT_CATEGORIES, type AuditFilter, type AuditRecord, type Page } from '../api';
import { Field, type FieldErrors } from '../components/Field';
import { Empty, ErrorState, Notice, SkeletonRows } from '../components/States';
import { formatDateTimeZone, formatUtc, localDateTimeToIso, localZoneName } from '../format';
import { useAsync } from '../useAsync';
import { AuditDetails } from './audit/AuditDetails';
import { ChainStatus } from './audit/ChainStatus';

const PAGE_SIZE = 50;
const KNOWN_ACTIONS = [
  'token.created',
  'token.updated',
  'token.revoked',
  'token.deleted',
  'user.created',
  'user.updated',
  'user.disabled',
  'user.enabled',
  'user.deleted',
  'settings.changed',
  'log.level.changed',
  'auth.success',
  'auth.failed',
  'auth.verification-failed',
  'auth.permission-denied',
  'auth.rate-limited',
];

interface Draft {
  q: string;
  from: string;
  to: string;
  author: string;
  category: string;
  action: string;
  affectedUser: string;
  tokenId: string;
  ip: string;
  nodeId: string;
}

const EMPTY: Draft = {
  q: '',
  from: '',
  to: '',
  author: '',
  category: '',
  action: '',
  affectedUser: '',
  tokenId: '',
  ip: '',
  nodeId: '',
};

function toFilter(d: Draft): AuditFilter {
  const t = (s: string) => s.trim() || undefined;
  return {
    q: t(d.q),
    from: localDateTimeToIso(d.from),
    to: localDateTimeToIso(d.to),
    author: t(d.author),
    category: t(d.category),
    action: t(d.action),
    affectedUser: t(d.affectedUser),
    tokenId: t(d.tokenId),
    ip: t(d.ip),
    nodeId: t(d.nodeId),
  };
}

/** A `datetime-local` value for a moment `ms` ago. */
function localAgo(ms: number): string {
  const d = new Date(Date.now() - ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const QUICK_RANGES: Array<[string, number | null]> = [
  ['Last hour', 3_600_000],
  ['24 hours', 86_400_000],
  ['7 days', 7 * 86_400_000],
  ['30 days', 30 * 86_400_000],
  ['All time', null],
];

/** The audit log: search, filters, a details panel per record, export, and the hash-chain check. */
export function AuditLogPage() {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [applied, setApplied] = useState<Draft>(EMPTY);
  const [moreFilters, setMoreFilters] = useState(false);
  // Pages loaded with "Load more", tied to the first page they continue.
  const [more, setMore] = useState<{
    after: Page<AuditRecord>;
    items: AuditRecord[];
    next: string | null;
  } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());

  useEffect(() => {
    document.title = 'Audit log · tokengate';
  }, []);

  const filter = toFilter(applied);
  const zone = localZoneName();
  const first = useAsync(() => api.searchAudit({ ...toFilter(applied), limit: PAGE_SIZE }), [applied]);
  const extra = more && more.after === first.data ? more : null;
  const records = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const nextCursor = extra ? extra.next : (first.data?.nextCursor ?? null);

  const fieldErrors: FieldErrors = {};
  if (first.error instanceof ApiError) {
    for (const p of first.error.fieldProblems) fieldErrors[p.field.replace(/^query\./, '')] = p.message;
  }
  const hasFieldErrors = Object.keys(fieldErrors).length > 0;

  const apply = (e?: SyntheticEvent) => {
    e?.preventDefault();
    setApplied({ ...draft });
    setOpen(new Set());
    setMoreError(null);
  };
  const set = (key: keyof Draft) => (value: string) => setDraft((d) => ({ ...d, [key]: value }));

  const loadMore = async () => {
    const base = first.data;
    if (!nextCursor || !base) return;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await api.searchAudit({ ...filter, limit: PAGE_SIZE, cursor: nextCursor });
      setMore({ after: base, items: [...(extra?.items ?? []), ...page.items], next: page.nextCursor });
    } catch (e) {
      setMoreError(e);
    } finally {
      setLoadingMore(false);
    }
  };

  const toggle = (seq: number) =>
    setOpen((o) => {
      const next = new Set(o);
      if (next.has(seq)) next.delete(seq);
      else next.add(seq);
      return next;
    });

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
    <section aria-labelledby="audit-title">
      <div className="page-head">
        <div>
          <h1 id="audit-title">Audit log</h1>
          <p className="muted">
            Who changed what, from where, newest first by the time it happened (shown in UTC). Records are
            chained by hashes, so any edit or deletion shows.
          </p>
        </div>
        <div className="page-actions">
          <ChainStatus />
        </div>
      </div>

      <form className="filters" onSubmit={apply} noValidate aria-label="Filter the audit log">
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
        <div className="quick-ranges" role="group" aria-label="Quick date ranges">
          {QUICK_RANGES.map(([label, ms]) => (
            <button
              key={label}
              type="button"
              className="chip"
              onClick={() => {
                const next = { ...draft, from: ms === null ? '' : localAgo(ms), to: '' };
                setDraft(next);
                setApplied(next);
              }}
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
        {moreFilters ? (
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
        ) : null}
        <div className="filter-actions">
          <button type="submit" className="button button-primary" data-testid="audit-apply">
            Search
          </button>
          <button
            type="button"
            className="button"
            onClick={() => {
              setDraft(EMPTY);
              setApplied(EMPTY);
            }}
            data-testid="audit-reset"
          >
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
          <button type="button" className="button" onClick={() => first.reload()} data-testid="audit-refresh">
            Refresh
          </button>
        </div>
      </form>

      {first.error && !hasFieldErrors ? (
        <ErrorState error={first.error} onRetry={first.reload} />
      ) : first.data && records.length === 0 && !first.loading ? (
        <Empty title="No audit records match" testId="audit-empty">
          Widen the date range or clear the filters. Authentication events appear only when they are turned on
          under Administration → Audit logging.
        </Empty>
      ) : (
        <div className="table-wrap">
          <table
            className="table audit-table responsive-table"
            data-testid="audit-table"
            aria-busy={first.loading}
          >
            <caption className="visually-hidden">Audit records, newest first by time</caption>
            <thead>
              <tr>
                <th scope="col" className="col-toggle">
                  <span className="visually-hidden">Details</span>
                </th>
                <th scope="col" data-testid="audit-time-header">
                  Time (UTC)
                </th>
                <th scope="col">Author</th>
                <th scope="col">Category</th>
                <th scope="col">Summary</th>
                <th scope="col">Affected objects</th>
                <th scope="col">Source IP</th>
                <th scope="col">Proxy IP</th>
                <th scope="col">Node</th>
              </tr>
            </thead>
            <tbody>
              {first.loading && records.length === 0 ? <SkeletonRows columns={9} rows={6} /> : null}
              {records.map((r) => {
                const isOpen = open.has(r.seq);
                return (
                  <Fragment key={r.seq}>
                    <tr
                      className={`audit-row${isOpen ? ' open' : ''}${r.outcome && r.outcome !== 'success' ? ' row-failed' : ''}`}
                      data-testid="audit-row"
                      data-seq={r.seq}
                      data-action={r.action}
                      onClick={(e) => {
                        if ((e.target as HTMLElement).closest('button, a')) return;
                        toggle(r.seq);
                      }}
                    >
                      <td className="col-toggle" data-label="Details">
                        <button
                          type="button"
                          className="icon-button"
                          aria-expanded={isOpen}
                          aria-controls={`audit-details-${r.seq}`}
                          aria-label={`Details of record ${r.seq}`}
                          onClick={() => toggle(r.seq)}
                          data-testid="audit-row-toggle"
                        >
                          <span aria-hidden="true" className={`chevron${isOpen ? ' chevron-open' : ''}`}>
                            ›
                          </span>
                        </button>
                      </td>
                      <td data-label="Time (UTC)" className="nowrap">
                        <time
                          dateTime={r.time}
                          title={`Your time: ${formatDateTimeZone(r.time)}`}
                          data-testid="audit-time"
                        >
                          {formatUtc(r.time)}
                        </time>
                      </td>
                      <td data-label="Author" data-testid="audit-author-cell">
                        {r.author}
                      </td>
                      <td data-label="Category">
                        <span className={`badge badge-cat-${r.category}`}>{r.category}</span>
                      </td>
                      <td data-label="Summary" data-testid="audit-summary">
                        {r.summary}
                      </td>
                      <td data-label="Affected objects">
                        {r.affectedUser ? <span className="cell-main">User {r.affectedUser}</span> : null}
                        {r.tokenId ? (
                          <span className="cell-sub">
                            Token {r.tokenDescription ? `“${r.tokenDescription}” ` : ''}
                            <span className="mono">{r.tokenId}</span>
                          </span>
                        ) : null}
                        {!r.affectedUser && !r.tokenId ? <span className="muted">—</span> : null}
                      </td>
                      <td data-label="Source IP" className="mono">
                        {r.sourceIp ?? '—'}
                      </td>
                      <td data-label="Proxy IP" className="mono">
                        {r.proxyIp ?? '—'}
                      </td>
                      <td data-label="Node" className="mono">
                        {r.nodeId ?? '—'}
                      </td>
                    </tr>
                    {isOpen ? (
                      <tr className="details-row" id={`audit-details-${r.seq}`}>
                        <td colSpan={9}>
                          <AuditDetails record={r} />
                        </td>
                      </tr>
                    ) : null}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
      {moreError ? (
        <Notice kind="error">
          {moreError instanceof Error ? moreError.message : 'Could not load more.'}
        </Notice>
      ) : null}
      {nextCursor && records.length > 0 ? (
        <div className="pager">
          <button
            type="button"
            className="button"
            onClick={() => void loadMore()}
            disabled={loadingMore}
            data-testid="audit-load-more"
          >
            {loadingMore ? 'Loading…' : `Load ${PAGE_SIZE} more`}
          </button>
        </div>
      ) : records.length > 0 ? (
        <p className="pager-info center">End of the log for these filters · {records.length} records</p>
      ) : null}
    </section>
  );
}
