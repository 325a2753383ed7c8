import { Fragment } from 'react';
import type { AuditRecord } from '../../api';
import { SkeletonRows } from '../../components/States';
import { formatDateTimeZone, formatUtc } from '../../format';
import { AuditDetails } from './AuditDetails';

/** One record's row; a click anywhere but a button or link opens or closes its details. */
function AuditRow({ r, isOpen, toggle }: { r: AuditRecord; isOpen: boolean; toggle: (seq: number) => void }) {
  return (
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
        <time dateTime={r.time} title={`Your time: ${formatDateTimeZone(r.time)}`} data-testid="audit-time">
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
  );
}

interface Props {
  records: AuditRecord[];
  loading: boolean;
  /** The records whose details panel is open, by sequence number. */
  open: ReadonlySet<number>;
  toggle: (seq: number) => void;
}

/** The audit records, newest first, each with a details panel that opens below its row. */
export function AuditTable({ records, loading, open, toggle }: Props) {
  return (
    <div className="table-wrap">
      <table className="table audit-table responsive-table" data-testid="audit-table" aria-busy={loading}>
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
          {loading && records.length === 0 ? <SkeletonRows columns={9} rows={6} /> : null}
          {records.map((r) => {
            const isOpen = open.has(r.seq);
            return (
              <Fragment key={r.seq}>
                <AuditRow r={r} isOpen={isOpen} toggle={toggle} />
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
  );
}
