// The frame around every signed-in screen: who is signed in, Sign out, and (for the operator)
// the top-level places.
import { useLayoutEffect, useRef, type ReactNode } from 'react';
import { Link, useLocation } from '../../router';
import { useSession } from '../../session-context';

export function Shell({ children }: { children: ReactNode }) {
  const { account, signOut } = useSession();
  const { path } = useLocation();
  // After moving to another screen, focus goes to its content (as a page load would), so keyboard
  // and screen-reader users start at the top of what changed. Not on the first render. A layout
  // effect: it runs before the screens' own effects, so a screen that focuses a field keeps it.
  const first = useRef(true);
  useLayoutEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    document.getElementById('main')?.focus({ preventScroll: true });
  }, [path]);
  const here = (prefix: string) => (path === prefix || path.startsWith(`${prefix}/`) ? 'page' : undefined);
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <div className="topbar-inner">
          <Link to="/" className="brand">
            <span className="brand-mark" aria-hidden="true">
              ☎
            </span>{' '}
            callhook
          </Link>
          {account.role === 'operator' ? (
            <nav aria-label="Main" className="mainnav">
              <Link to="/orgs" aria-current={here('/orgs')}>
                Organizations
              </Link>
              <Link to="/accounts" aria-current={here('/accounts')}>
                Accounts
              </Link>
            </nav>
          ) : null}
          <div className="whoami">
            <Link to="/account" className="whoami-email" data-testid="account-email" aria-current={here('/account')} title={`${account.name} (${account.role === 'operator' ? 'operator' : 'organization admin'}): your account`}>
              {account.email}
            </Link>
            <button type="button" className="secondary small" onClick={() => void signOut()}>
              Sign out
            </button>
          </div>
        </div>
      </header>
      <main id="main" className="page" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
