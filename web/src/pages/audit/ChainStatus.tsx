import { api } from '../../api';
import { formatNumber } from '../../format';
import { useAsync, errorMessage } from '../../useAsync';

/** Whether the audit hash chain is intact, checked when the page opens and on demand. */
export function ChainStatus() {
  const v = useAsync(() => api.verifyAudit(), []);
  const state = v.loading ? 'checking' : v.error ? 'error' : v.data?.ok ? 'ok' : 'broken';
  return (
    <div
      className={`chain chain-${state}`}
      data-testid="chain-status"
      data-state={state}
      role="status"
      aria-live="polite"
    >
      <svg viewBox="0 0 20 20" className="chain-icon" aria-hidden="true">
        {state === 'ok' ? (
          <path d="M5 10.5 8.5 14 15 6.5" />
        ) : state === 'checking' ? (
          <circle cx="10" cy="10" r="6" />
        ) : (
          <path d="M10 5v6M10 14.5v.5" />
        )}
      </svg>
      <div className="chain-text">
        <strong>
          {state === 'checking'
            ? 'Verifying the chain…'
            : state === 'ok'
              ? 'Chain verified'
              : state === 'error'
                ? 'Chain not checked'
                : 'Chain broken'}
        </strong>
        <span className="chain-sub">
          {state === 'ok' && v.data
            ? `${formatNumber(v.data.checked)} records intact${v.data.fromSeq > 0 ? ` since #${v.data.fromSeq}` : ''}`
            : state === 'broken' && v.data?.problem
              ? `${v.data.problem.kind} at #${v.data.problem.seq}: ${v.data.problem.message}`
              : state === 'error'
                ? errorMessage(v.error)
                : '\u00a0'}
        </span>
      </div>
      <button
        type="button"
        className="button button-small"
        onClick={v.reload}
        disabled={v.loading}
        data-testid="chain-verify"
      >
        Verify again
      </button>
    </div>
  );
}
