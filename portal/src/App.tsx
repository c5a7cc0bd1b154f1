// The session gate: asks the server who is signed in (only when this browser may have a session),
// shows the sign-in page until someone is, and drops back to it when any API call says the session
// is gone.
import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { api, call, SIGNED_OUT_EVENT, type Problem } from './api/client';
import type { Account } from './api/session';
import { LoadProblem } from './components/ProblemBanner';
import { maybeSignedIn, rememberSignedIn, type EarlyInput } from './early-input';
import { SessionContext } from './session-context';
import { SignIn } from './screens/signin/SignIn';
import { Shell } from './screens/shell/Shell';
import { Routes } from './screens/Routes';

type State = { kind: 'checking' } | { kind: 'signed-out' } | { kind: 'signed-in'; account: Account } | { kind: 'error'; problem: Problem };

export function App({ early = null }: { early?: EarlyInput | null }) {
  const [state, setState] = useState<State>(() => (maybeSignedIn() ? { kind: 'checking' } : { kind: 'signed-out' }));
  // What was typed before the app ran fills the first sign-in form only, never one after signing out.
  const earlyRef = useRef(early);

  const check = useCallback(async () => {
    const result = await call(api.GET('/v1/session'));
    if (result.ok) setState({ kind: 'signed-in', account: result.data.account });
    else if (result.problem.status === 401) setState({ kind: 'signed-out' });
    else setState({ kind: 'error', problem: result.problem });
  }, []);

  useEffect(() => {
    if (maybeSignedIn()) void check();
    const onSignedOut = () => setState({ kind: 'signed-out' });
    window.addEventListener(SIGNED_OUT_EVENT, onSignedOut);
    return () => window.removeEventListener(SIGNED_OUT_EVENT, onSignedOut);
  }, [check]);

  useEffect(() => {
    if (state.kind === 'signed-in') {
      rememberSignedIn(true);
      earlyRef.current = null;
    }
    if (state.kind === 'signed-out') rememberSignedIn(false);
  }, [state.kind]);

  const signOut = useCallback(async () => {
    const result = await call(api.DELETE('/v1/session'));
    // Only a session the server ended is over: on a shared computer "signed out" must be true.
    setState(result.ok || result.problem.status === 401 ? { kind: 'signed-out' } : { kind: 'error', problem: result.problem });
  }, []);

  const session = useMemo(() => (state.kind === 'signed-in' ? { account: state.account, signOut } : null), [state, signOut]);

  if (state.kind === 'checking') return <p className="page-loading">Loading…</p>;
  if (state.kind === 'error') {
    return (
      <main className="signin">
        <LoadProblem problem={state.problem} onRetry={() => void check()} />
      </main>
    );
  }
  if (state.kind === 'signed-out' || !session) return <SignIn early={earlyRef.current} onSignedIn={(account) => setState({ kind: 'signed-in', account })} />;
  return (
    <SessionContext.Provider value={session}>
      <Shell>
        <Routes />
      </Shell>
    </SessionContext.Provider>
  );
}
