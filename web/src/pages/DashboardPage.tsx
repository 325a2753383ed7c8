import { useEffect, useState } from 'react';
import { api, ApiError, type Stats, type Token } from '../api';
import { BarList, TimeSeriesChart, type Series } from '../components/Charts';
import { Empty, ErrorState, Loading, Notice } from '../components/States';
import { daysUntil, expiresSoon, formatDateTime, formatNumber, formatRelative, plural } from '../format';
import { href } from '../router';
import { useSession } from '../session';
import { useAsync } from '../useAsync';

const RANGES = [
  { hours: 24, label: 'Last 24 hours' },
  { hours: 168, label: 'Last 7 days' },
];

/** Outcomes drawn on the chart. `failed` only when the server counts it apart from denials. */
function outcomeSeries(stats: Stats): Series[] {
  const s: Series[] = [{ key: 'authenticated', label: 'Success', colorClass: 'series-1' }];
  if (stats.buckets.some((b) => typeof b.failed === 'number'))
    s.push({ key: 'failed', label: 'Failed', colorClass: 'series-4' });
  s.push({ key: 'denied', label: 'Denied', colorClass: 'series-2' });
  s.push({ key: 'rateLimited', label: 'Rate limited', colorClass: 'series-3' });
  return s;
}

export function DashboardPage() {
  const { me } = useSession();
  // The installation-wide figures are for token managers (GET /admin/stats); others see their own tokens.
  const showStats = me.permissions.manageAllTokens || me.permissions.admin;
  useEffect(() => {
    document.title = 'Dashboard · tokengate';
  }, []);
  return (
    <section aria-labelledby="dash-title">
      <div className="page-head">
        <div>
          <h1 id="dash-title">Dashboard</h1>
          <p className="muted">
            {showStats
              ? 'How tokens are used across this installation, and what needs attention.'
              : 'Your tokens at a glance.'}
          </p>
        </div>
      </div>
      {showStats ? <InstallationStats /> : null}
      <OwnTokens />
    </section>
  );
}

function InstallationStats() {
  const warningDays = useSession().policy.expiryWarningDays;
  const [hours, setHours] = useState(24);
  const stats = useAsync(() => api.stats(hours), [hours]);

  if (stats.error instanceof ApiError && stats.error.status === 403) return null;
  if (stats.error instanceof ApiError && stats.error.status === 404) {
    return <Notice kind="info">Authentication statistics are not available from this server version.</Notice>;
  }
  const data = stats.data;
  const sum = (key: 'authenticated' | 'denied' | 'rateLimited' | 'anonymous' | 'passedOn' | 'failed') =>
    (data?.buckets ?? []).reduce((n, b) => n + (b[key] ?? 0), 0);

  return (
    <div className="dash-section" data-testid="dashboard-stats">
      <div className="section-head">
        <h2>Authentication</h2>
        <div className="segmented" role="group" aria-label="Time range">
          {RANGES.map((r) => (
            <button
              key={r.hours}
              type="button"
              aria-pressed={hours === r.hours}
              onClick={() => setHours(r.hours)}
              data-testid={`dashboard-range-${r.hours}`}
            >
              {r.label}
            </button>
          ))}
        </div>
      </div>
      {stats.error ? (
        <ErrorState error={stats.error} onRetry={stats.reload} />
      ) : !data ? (
        <Loading label="Loading statistics…" />
      ) : (
        <>
          <div className="stat-cards">
            <StatCard label="Successful" value={sum('authenticated')} tone="success" testId="stat-success" />
            <StatCard
              label="Failed or denied"
              value={sum('denied') + sum('failed')}
              tone="danger"
              testId="stat-denied"
            />
            <StatCard
              label="Rate limited"
              value={sum('rateLimited')}
              tone="warning"
              testId="stat-ratelimited"
            />
            <StatCard
              label="Anonymous or passed on"
              value={sum('anonymous') + sum('passedOn')}
              tone="neutral"
              testId="stat-other"
            />
          </div>
          <div className="dash-grid">
            <div className="card card-wide">
              {data.buckets.length === 0 ? (
                <Empty title="No requests in this period">Requests through the gateway show up here.</Empty>
              ) : (
                <TimeSeriesChart
                  title="Authentication outcomes over time"
                  testId="chart-outcomes"
                  series={outcomeSeries(data)}
                  points={data.buckets.map((b) => ({
                    start: b.start,
                    values: {
                      authenticated: b.authenticated,
                      failed: b.failed ?? 0,
                      denied: b.denied,
                      rateLimited: b.rateLimited,
                    },
                  }))}
                />
              )}
            </div>
            <div className="card">
              <h3 className="card-title">Most used tokens</h3>
              {data.topTokens.length === 0 ? (
                <Empty title="No token was used">Token uses in this period appear here.</Empty>
              ) : (
                <BarList
                  label="Most used tokens"
                  testId="chart-top-tokens"
                  items={data.topTokens.map((t) => ({
                    key: t.id,
                    label: t.description,
                    sublabel: `${t.user}${t.lastUsedAt ? ` · last ${formatRelative(t.lastUsedAt)}` : ''}`,
                    value: t.uses,
                    valueLabel: `${formatNumber(t.uses)} ${t.uses === 1 ? 'use' : 'uses'}`,
                  }))}
                />
              )}
            </div>
            <div className="card">
              <h3 className="card-title">Expiring within {warningDays} days</h3>
              <ExpiringList
                tokens={data.expiringSoon}
                days={warningDays}
                showUser
                testId="dashboard-expiring"
              />
              <a className="link" href={href('/manager')}>
                Open the token manager
              </a>
            </div>
          </div>
        </>
      )}
    </div>
  );
}

function StatCard({
  label,
  value,
  tone,
  testId,
}: {
  label: string;
  value: number;
  tone: string;
  testId: string;
}) {
  return (
    <div className={`stat-card stat-${tone}`} data-testid={testId}>
      <span className="stat-value">{formatNumber(value)}</span>
      <span className="stat-label">{label}</span>
    </div>
  );
}

function ExpiringList({
  tokens,
  days: within,
  showUser,
  testId,
}: {
  tokens: Token[];
  /** What "soon" means here, in days. */
  days: number;
  showUser?: boolean;
  testId: string;
}) {
  if (tokens.length === 0) {
    return (
      <Empty title="Nothing expires soon" testId={`${testId}-empty`}>
        No active token expires in the next {within} days.
      </Empty>
    );
  }
  const sorted = [...tokens].sort((a, b) => (a.expiresAt ?? '').localeCompare(b.expiresAt ?? ''));
  return (
    <BarList
      label="Tokens that expire soon"
      testId={testId}
      colorClass="series-3"
      items={sorted.map((t) => {
        const days = t.expiresAt ? Math.max(0, daysUntil(t.expiresAt)) : 0;
        return {
          key: t.id,
          label: t.description,
          sublabel: `${showUser ? `${t.user} · ` : ''}${formatDateTime(t.expiresAt)}`,
          // Fuller bars for sooner expiry: what needs attention first stands out.
          value: within - Math.min(within, days) + 0.2,
          valueLabel: t.expiresAt ? formatRelative(t.expiresAt) : '',
        };
      })}
    />
  );
}

function OwnTokens() {
  const warningDays = useSession().policy.expiryWarningDays;
  const tokens = useAsync(() => api.listTokens().then((r) => r.items), []);
  if (tokens.error) return <ErrorState error={tokens.error} onRetry={tokens.reload} />;
  if (!tokens.data) return <Loading label="Loading your tokens…" />;
  const all = tokens.data;
  const count = (s: string) => all.filter((t) => t.status === s).length;
  const soon = all.filter((t) => expiresSoon(t, warningDays));
  const used = all
    .filter((t) => t.status === 'active' && t.lastUsedAt)
    .sort((a, b) => (b.lastUsedAt ?? '').localeCompare(a.lastUsedAt ?? ''))
    .slice(0, 5);
  const withCounts = used.some((t) => typeof t.useCount === 'number');

  return (
    <div className="dash-section" data-testid="dashboard-own">
      <div className="section-head">
        <h2>Your tokens</h2>
        <a className="button button-small" href={href('/tokens')}>
          Manage your tokens
        </a>
      </div>
      {all.length === 0 ? (
        <Empty
          title="You have no API tokens yet"
          action={
            <a className="button button-primary" href={href('/tokens')}>
              Create a token
            </a>
          }
        >
          Tokens let scripts act as you without your password.
        </Empty>
      ) : (
        <>
          <div className="stat-cards">
            <StatCard label="Active" value={count('active')} tone="success" testId="stat-own-active" />
            <StatCard
              label={`Expire within ${warningDays} days`}
              value={soon.length}
              tone="warning"
              testId="stat-own-soon"
            />
            <StatCard label="Expired" value={count('expired')} tone="neutral" testId="stat-own-expired" />
            <StatCard label="Revoked" value={count('revoked')} tone="neutral" testId="stat-own-revoked" />
          </div>
          <div className="dash-grid">
            <div className="card">
              <h3 className="card-title">Expiring soon</h3>
              <ExpiringList tokens={soon} days={warningDays} testId="dashboard-own-expiring" />
            </div>
            <div className="card">
              <h3 className="card-title">Recently used</h3>
              {used.length === 0 ? (
                <Empty title="None of your tokens was used yet" />
              ) : withCounts ? (
                <BarList
                  label="Your most used tokens"
                  items={used.map((t) => ({
                    key: t.id,
                    label: t.description,
                    sublabel: `last ${formatRelative(t.lastUsedAt)}${t.lastUsedIp ? ` from ${t.lastUsedIp}` : ''}`,
                    value: t.useCount ?? 0,
                    valueLabel: `${formatNumber(t.useCount ?? 0)} uses`,
                  }))}
                />
              ) : (
                <ul className="plain-list" data-testid="dashboard-own-recent">
                  {used.map((t) => (
                    <li key={t.id}>
                      <strong>{t.description}</strong>{' '}
                      <span className="muted">
                        {formatRelative(t.lastUsedAt)}
                        {t.lastUsedIp ? ` from ${t.lastUsedIp}` : ''}
                      </span>
                    </li>
                  ))}
                </ul>
              )}
              <p className="field-hint">
                {plural(all.length, 'token')} in total, including expired and revoked ones.
              </p>
            </div>
          </div>
        </>
      )}
    </div>
  );
}
