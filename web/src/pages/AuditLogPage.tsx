import { useEffect, useState, type SyntheticEvent } from 'react';
import { ApiError } from '../api';
import type { FieldErrors } from '../components/Field';
import { Empty, ErrorState } from '../components/States';
import { AuditFilterForm } from './audit/AuditFilterForm';
import { AuditPager } from './audit/AuditPager';
import { AuditTable } from './audit/AuditTable';
import { ChainStatus } from './audit/ChainStatus';
import { EMPTY, type Draft } from './audit/auditFilter';
import { useAuditPages } from './audit/useAuditPages';

/** The audit log: search, filters, a details panel per record, export, and the hash-chain check. */
export function AuditLogPage() {
  const [draft, setDraft] = useState<Draft>(EMPTY);
  const [applied, setApplied] = useState<Draft>(EMPTY);
  const [open, setOpen] = useState<ReadonlySet<number>>(new Set());
  const { filter, first, records, nextCursor, loadMore, loadingMore, moreError, setMoreError } =
    useAuditPages(applied);

  useEffect(() => {
    document.title = 'Audit log · tokengate';
  }, []);

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
  const applyNow = (next: Draft) => {
    setDraft(next);
    setApplied(next);
  };

  const toggle = (seq: number) =>
    setOpen((o) => {
      const next = new Set(o);
      if (next.has(seq)) next.delete(seq);
      else next.add(seq);
      return next;
    });

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

      <AuditFilterForm
        draft={draft}
        setDraft={setDraft}
        onApply={apply}
        onApplyNow={applyNow}
        filter={filter}
        fieldErrors={fieldErrors}
        onRefresh={() => first.reload()}
      />

      {first.error && !hasFieldErrors ? (
        <ErrorState error={first.error} onRetry={first.reload} />
      ) : first.data && records.length === 0 && !first.loading ? (
        <Empty title="No audit records match" testId="audit-empty">
          Widen the date range or clear the filters. Authentication events appear only when they are turned on
          under Administration → Audit logging.
        </Empty>
      ) : (
        <AuditTable records={records} loading={first.loading} open={open} toggle={toggle} />
      )}
      <AuditPager
        count={records.length}
        hasMore={Boolean(nextCursor)}
        loadingMore={loadingMore}
        moreError={moreError}
        onLoadMore={() => void loadMore()}
      />
    </section>
  );
}
