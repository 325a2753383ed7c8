import type { AuditRecord } from '../../api';
import { formatDateTimeZone, localZoneName } from '../../format';

function show(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'string') return v;
  return JSON.stringify(v);
}

/** Everything one audit record holds: the request it came from, its details and its place in the chain. */
export function AuditDetails({ record: r }: { record: AuditRecord }) {
  const details = r.details ? Object.entries(r.details) : [];
  const oldNew = r.details && 'oldValue' in r.details && 'newValue' in r.details;
  return (
    <div className="audit-details" data-testid="audit-details">
      <div className="details-columns">
        <dl className="details">
          <dt>Time (UTC)</dt>
          <dd className="mono">{r.time}</dd>
          <dt>Your time ({localZoneName()})</dt>
          <dd>{formatDateTimeZone(r.time)}</dd>
          <dt>Action</dt>
          <dd className="mono">{r.action}</dd>
          <dt>Outcome</dt>
          <dd>{r.outcome ?? '—'}</dd>
          <dt>Author</dt>
          <dd>{r.author}</dd>
          <dt>Affected user</dt>
          <dd>{r.affectedUser ?? '—'}</dd>
          <dt>Token</dt>
          <dd>
            {r.tokenId ? (
              <>
                <span className="mono">{r.tokenId}</span>
                {r.tokenDescription ? ` (“${r.tokenDescription}”)` : ''}
              </>
            ) : (
              '—'
            )}
          </dd>
        </dl>
        <dl className="details">
          <dt>Request</dt>
          <dd className="mono">
            {r.method || r.endpoint ? `${r.method ?? ''} ${r.endpoint ?? ''}`.trim() : '—'}
          </dd>
          <dt>Request id</dt>
          <dd className="mono">{r.requestId ?? '—'}</dd>
          <dt>Source IP</dt>
          <dd className="mono">{r.sourceIp ?? '—'}</dd>
          <dt>Proxy IP</dt>
          <dd className="mono">{r.proxyIp ?? '— (direct)'}</dd>
          <dt>Node</dt>
          <dd className="mono">{r.nodeId ?? '—'}</dd>
          <dt>Chain position</dt>
          <dd className="mono">
            #{r.seq} (row {r.id})
          </dd>
        </dl>
      </div>
      {details.length > 0 ? (
        <>
          <h3 className="subheading">Details</h3>
          {oldNew ? (
            <div className="diff">
              <div>
                <span className="diff-label">Before</span>
                <pre className="code">{JSON.stringify(r.details?.oldValue, null, 2)}</pre>
              </div>
              <div>
                <span className="diff-label">After</span>
                <pre className="code">{JSON.stringify(r.details?.newValue, null, 2)}</pre>
              </div>
            </div>
          ) : null}
          <dl className="details details-kv">
            {details
              .filter(([k]) => !oldNew || (k !== 'oldValue' && k !== 'newValue'))
              .map(([k, v]) => (
                <Fragment2 key={k} k={k} v={v} />
              ))}
          </dl>
        </>
      ) : null}
      <details className="hashes">
        <summary>Hashes</summary>
        <dl className="details">
          <dt>Hash</dt>
          <dd className="mono break">{r.hash}</dd>
          <dt>Previous hash</dt>
          <dd className="mono break">{r.prevHash}</dd>
        </dl>
      </details>
    </div>
  );
}

function Fragment2({ k, v }: { k: string; v: unknown }) {
  return (
    <>
      <dt className="mono">{k}</dt>
      <dd className="mono break">{show(v)}</dd>
    </>
  );
}
