import { useEffect } from 'react';
import { api } from '../../api';
import { ErrorState, Loading } from '../../components/States';
import { href } from '../../router';
import { useAsync } from '../../useAsync';
import { AuditLoggingTab } from './AuditLoggingTab';
import { AuthenticationTab } from './AuthenticationTab';
import { LogLevelsTab } from './LogLevelsTab';
import { PoliciesTab } from './PoliciesTab';
import type { SettingsTabProps } from './settingsForm';
import { UsersTab } from './UsersTab';

const TABS = [
  { id: 'authentication', label: 'Authentication', testId: 'admin-auth-tab' },
  { id: 'policies', label: 'Token policies & permissions', testId: 'admin-policies-tab' },
  { id: 'audit-logging', label: 'Audit logging', testId: 'admin-audit-tab' },
  { id: 'log-levels', label: 'Log levels', testId: 'admin-loglevels-tab' },
  { id: 'users', label: 'Users', testId: 'admin-users-tab' },
] as const;

/** Administration: one route per tab (#/admin/<tab>), so each can be linked and reloaded. */
export function AdminPage({ tab }: { tab: string }) {
  const active = TABS.find((t) => t.id === tab) ?? TABS[0];
  const needsSettings =
    active.id === 'authentication' || active.id === 'policies' || active.id === 'audit-logging';
  const settings = useAsync(() => Promise.all([api.settings(), api.settingsSchema().catch(() => [])]), []);

  useEffect(() => {
    document.title = `${active.label} · Administration · tokengate`;
  }, [active.label]);

  let body;
  if (!needsSettings) {
    body = active.id === 'users' ? <UsersTab /> : <LogLevelsTab />;
  } else if (settings.error) {
    body = <ErrorState error={settings.error} onRetry={settings.reload} />;
  } else if (!settings.data) {
    body = <Loading label="Loading settings…" />;
  } else {
    const [values, schema] = settings.data;
    const props: SettingsTabProps = {
      settings: values,
      schema,
      onSaved: (s) => settings.setData([s, schema]),
    };
    body =
      active.id === 'authentication' ? (
        <AuthenticationTab {...props} />
      ) : active.id === 'policies' ? (
        <PoliciesTab {...props} />
      ) : (
        <AuditLoggingTab {...props} />
      );
  }

  return (
    <section aria-labelledby="admin-title">
      <div className="page-head">
        <div>
          <h1 id="admin-title">Administration</h1>
          <p className="muted">Settings are stored in the database and shared by every tokengate node.</p>
        </div>
      </div>
      <nav className="tabs" aria-label="Administration sections">
        <ul>
          {TABS.map((t) => (
            <li key={t.id}>
              <a
                href={href(`/admin/${t.id}`)}
                aria-current={t.id === active.id ? 'page' : undefined}
                data-testid={t.testId}
              >
                {t.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      <div className="tab-panel" data-testid={`admin-panel-${active.id}`}>
        {body}
      </div>
    </section>
  );
}
