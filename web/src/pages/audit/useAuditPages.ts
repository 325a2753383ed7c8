import { useState } from 'react';
import { api, type AuditRecord, type Page } from '../../api';
import { useAsync } from '../../useAsync';
import { PAGE_SIZE, toFilter, type Draft } from './auditFilter';

/**
 * The audit records for one filter: the first page, loaded whenever `applied` changes, and the
 * pages added with "Load more". Added pages are tied to the first page they continue, so a new
 * search or a refresh drops them.
 */
export function useAuditPages(applied: Draft) {
  const [more, setMore] = useState<{
    after: Page<AuditRecord>;
    items: AuditRecord[];
    next: string | null;
  } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<unknown>(null);

  const filter = toFilter(applied);
  const first = useAsync(() => api.searchAudit({ ...toFilter(applied), limit: PAGE_SIZE }), [applied]);
  const extra = more && more.after === first.data ? more : null;
  const records = [...(first.data?.items ?? []), ...(extra?.items ?? [])];
  const nextCursor = extra ? extra.next : (first.data?.nextCursor ?? null);

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

  return { filter, first, records, nextCursor, loadMore, loadingMore, moreError, setMoreError };
}
