import { Notice } from '../../components/States';
import { PAGE_SIZE } from './auditFilter';

interface Props {
  /** Records shown so far. */
  count: number;
  /** Whether the log has more records for these filters. */
  hasMore: boolean;
  loadingMore: boolean;
  /** Why the last "Load more" failed, or null. */
  moreError: unknown;
  onLoadMore: () => void;
}

/** Below the table: a failed "Load more", then the button, or the end of the log and its count. */
export function AuditPager({ count, hasMore, loadingMore, moreError, onLoadMore }: Props) {
  return (
    <>
      {moreError ? (
        <Notice kind="error">
          {moreError instanceof Error ? moreError.message : 'Could not load more.'}
        </Notice>
      ) : null}
      {hasMore && count > 0 ? (
        <div className="pager">
          <button
            type="button"
            className="button"
            onClick={onLoadMore}
            disabled={loadingMore}
            data-testid="audit-load-more"
          >
            {loadingMore ? 'Loading…' : `Load ${PAGE_SIZE} more`}
          </button>
        </div>
      ) : count > 0 ? (
        <p className="pager-info center">End of the log for these filters · {count} records</p>
      ) : null}
    </>
  );
}
