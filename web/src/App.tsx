import { useCallback, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { api, setSessionLostHandler, type Me } from './api';
import { Loading, ErrorState } from './components/States';
import { AdminPage } from './pages/admin/AdminPage';
import { AuditLogPage } from './pages/AuditLogPage';
import { ChangePasswordDialog } from './pages/ChangePasswordDialog';
import { DashboardPage } from './pages/DashboardPage';
import { MyTokensPage } from './pages/MyTokensPage';
import { SignInPage } from './pages/SignInPage';
import { TokenManagerPage } from './pages/TokenManagerPage';
import { href, navigate, useHashPath } from './router';
import { policyOf, SessionContext, type SessionContextValue } from './session';

type AuthState =
  | { state: 'loading' }
  | { state: 'error'; error: unknown }
  | { state: 'signed-out'; message?: string }
  | { state: 'signed-in'; me: Me };

export function App() {
  const [auth, setAuth] = useState<AuthState>({ state: 'loading' });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    setSessionLostHandler(() =>
      setAuth((a) =>
        a.state === 'signed-in'
          ? { state: 'signed-out', message: 'Your session has ended. Please sign in again.' }
          : a,
      ),
    );
    return () => setSessionLostHandler(null);
  }, []);

  useEffect(() => {
    let current = true;
    (async () => {
      const session = await api.session();
      if (!session) return { state: 'signed-out' } as const;
      return { state: 'signed-in', me: await api.me() } as const;
    })().then(
      (a) => current && setAuth(a),
      (error: unknown) => current && setAuth({ state: 'error', error }),
    );
    return () => {
      current = false;
    };
  }, [attempt]);

  const onSignedIn = useCallback((me: Me) => setAuth({ state: 'signed-in', me }), []);

  if (auth.state === 'loading') {
    return (
      <div className="center-page">
        <Loading label="Starting tokengate…" />
      </div>
    );
  }
  if (auth.state === 'error') {
    return (
      <div className="center-page">
        <ErrorState error={auth.error} onRetry={() => setAttempt((a) => a + 1)} />
      </div>
    );
  }
  if (auth.state === 'signed-out') return <SignInPage message={auth.message} onSignedIn={onSignedIn} />;
  return (
    <SignedIn
      me={auth.me}
      onMe={(me) => setAuth({ state: 'signed-in', me })}
      onSignedOut={(message = 'You have signed out.') => setAuth({ state: 'signed-out', message })}
    />
  );
}

interface NavItem {
  path: string;
  label: string;
  testId: string;
  allowed: boolean;
}

function SignedIn({
  me,
  onMe,
  onSignedOut,
}: {
  me: Me;
  onMe: (me: Me) => void;
  onSignedOut: (message?: string) => void;
}) {
  const path = useHashPath();
  const [menuOpen, setMenuOpen] = useState(false);
  const [changingPassword, setChangingPassword] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  const refreshMe = useCallback(async () => onMe(await api.me()), [onMe]);
  const ctx = useMemo<SessionContextValue>(() => ({ me, policy: policyOf(me), refreshMe }), [me, refreshMe]);

  const p = me.permissions;
  const nav: NavItem[] = [
    { path: '/dashboard', label: 'Dashboard', testId: 'nav-dashboard', allowed: true },
    { path: '/tokens', label: 'My API tokens', testId: 'nav-tokens', allowed: true },
    {
      path: '/manager',
      label: 'Token manager',
      testId: 'nav-manager',
      allowed: p.manageAllTokens || p.admin,
    },
    { path: '/audit', label: 'Audit log', testId: 'nav-audit', allowed: p.admin },
    { path: '/admin', label: 'Administration', testId: 'nav-admin', allowed: p.admin },
  ];
  const section = `/${path.split('/')[1] ?? ''}`;

  // After navigation, start at the top of the new page, and move focus to it so keyboard and
  // screen-reader users start there too. Focus must not scroll: on a page taller than the window the
  // browser would align <main> with the window's top, under the sticky top bar.
  useEffect(() => {
    setMenuOpen(false);
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    window.scrollTo(0, 0);
    mainRef.current?.focus({ preventScroll: true });
  }, [section]);

  const signOut = async () => {
    setSigningOut(true);
    try {
      const providerLogout = await api.signOut();
      // The provider's own sign-out; it sends the browser back to the UI's sign-in page.
      if (providerLogout !== null) {
        window.location.assign(providerLogout);
        return;
      }
    } catch {
      // Signed out locally either way: the cookie expires on its own.
    }
    navigate('/dashboard');
    onSignedOut();
  };

  let page: ReactNode;
  const allowed = (testId: string) => nav.find((n) => n.testId === testId)?.allowed ?? false;
  switch (section) {
    case '/':
    case '/dashboard':
      page = <DashboardPage />;
      break;
    case '/tokens':
      page = <MyTokensPage />;
      break;
    case '/manager':
      page = allowed('nav-manager') ? <TokenManagerPage /> : <Forbidden what="The token manager" />;
      break;
    case '/audit':
      page = allowed('nav-audit') ? <AuditLogPage /> : <Forbidden what="The audit log" />;
      break;
    case '/admin':
      page = allowed('nav-admin') ? (
        <AdminPage tab={path.split('/')[2] ?? ''} />
      ) : (
        <Forbidden what="Administration" />
      );
      break;
    default:
      page = <NotFound />;
  }

  return (
    <SessionContext.Provider value={ctx}>
      <a
        className="skip-link"
        href="#main"
        onClick={(e) => {
          e.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to content
      </a>
      <header className="topbar">
        <a className="brand" href={href('/dashboard')} aria-label="tokengate, dashboard">
          <svg viewBox="0 0 24 24" className="brand-mark" aria-hidden="true">
            <path d="M12 2 4 5v6c0 5 3.4 9.4 8 11 4.6-1.6 8-6 8-11V5l-8-3Z" className="brand-shield" />
            <path d="M9 12.5 11 14.5 15.5 10" className="brand-check" />
          </svg>
          <span>tokengate</span>
        </a>
        <button
          type="button"
          className="menu-toggle"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((o) => !o)}
          data-testid="nav-toggle"
        >
          <span aria-hidden="true">☰</span> Menu
        </button>
        <nav id="main-nav" className={`mainnav${menuOpen ? ' open' : ''}`} aria-label="Main">
          <ul>
            {nav
              .filter((n) => n.allowed)
              .map((n) => (
                <li key={n.path}>
                  <a
                    href={href(n.path)}
                    data-testid={n.testId}
                    aria-current={
                      section === n.path || (n.path === '/dashboard' && section === '/') ? 'page' : undefined
                    }
                  >
                    {n.label}
                  </a>
                </li>
              ))}
          </ul>
          <div className="usermenu">
            <span className="user-name" data-testid="current-user" title={me.user.username}>
              {me.user.displayName}
              {p.admin ? <span className="badge badge-neutral">admin</span> : null}
            </span>
            {me.user.hasPassword ? (
              <button
                type="button"
                className="button button-small"
                onClick={() => setChangingPassword(true)}
                aria-label="Change your password"
                title="Change your password"
                data-testid="change-password"
              >
                Password
              </button>
            ) : null}
            <button
              type="button"
              className="button button-small"
              onClick={() => void signOut()}
              disabled={signingOut}
              data-testid="signout"
            >
              {signingOut ? 'Signing out…' : 'Sign out'}
            </button>
          </div>
        </nav>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1} className="main">
        {page}
      </main>
      {changingPassword ? (
        <ChangePasswordDialog
          onClose={() => setChangingPassword(false)}
          onSignedOut={(message) => {
            navigate('/dashboard');
            onSignedOut(message);
          }}
        />
      ) : null}
    </SessionContext.Provider>
  );
}

function Forbidden({ what }: { what: string }) {
  useEffect(() => {
    document.title = 'Not allowed · tokengate';
  }, []);
  return (
    <div className="state state-error page-state" data-testid="forbidden">
      <h1>Not allowed</h1>
      <p className="state-text">{what} is only for administrators and users with the matching permission.</p>
      <a className="button" href={href('/tokens')}>
        Go to my API tokens
      </a>
    </div>
  );
}

function NotFound() {
  return (
    <div className="state page-state" data-testid="not-found">
      <h1>Page not found</h1>
      <a className="button" href={href('/dashboard')}>
        Go to the dashboard
      </a>
    </div>
  );
}
