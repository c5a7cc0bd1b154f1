// The sign-in page: e-mail and password; a wrong pair or too many tries is said right on the form.
// It takes over index.html's static form: what was typed there, and where the caret was.
import { useLayoutEffect, useRef, useState, type FormEvent } from 'react';
import { api, call, type Problem } from '../../api/client';
import type { Account } from '../../api/session';
import { TextField } from '../../components/Field';
import type { EarlyInput } from '../../early-input';
import { useTitle } from '../../title';

function messageOf(problem: Problem): string {
  if (problem.status === 429) return `Too many attempts, try again in ${problem.retryAfterS ?? 60} s`;
  if (problem.status === 401) return 'Wrong e-mail or password.';
  return problem.detail || problem.title;
}

export function SignIn({ onSignedIn, early = null }: { onSignedIn: (account: Account) => void; early?: EarlyInput | null }) {
  useTitle('Sign in');
  const [email, setEmail] = useState(early?.email ?? '');
  const [password, setPassword] = useState(early?.password ?? '');
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const emailRef = useRef<HTMLInputElement>(null);
  const passwordRef = useRef<HTMLInputElement>(null);
  // Before the first paint: focus (and caret) where the person was typing, else on the e-mail.
  useLayoutEffect(() => {
    const target = early?.focus?.id === 'signin-password' ? passwordRef.current : emailRef.current;
    if (!target) return;
    target.focus();
    if (early?.focus && early.focus.start !== null && target.type !== 'email') target.setSelectionRange(early.focus.start, early.focus.end ?? early.focus.start);
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  // 401 and 429 are about the pair or the pace, said once in the banner; 422 names a field.
  const fieldProblem = problem && problem.status === 422 ? problem : null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    const result = await call(api.POST('/v1/session', { body: { email: email.trim(), password } }));
    setBusy(false);
    if (result.ok) onSignedIn(result.data.account);
    else setProblem(result.problem);
  };

  return (
    <main className="signin">
      <div className="card signin-card">
        <h1>
          <span className="brand-mark" aria-hidden="true">
            ☎
          </span>{' '}
          Sign in to callhook
        </h1>
        <p className="muted">Manage your organization's call webhooks.</p>
        <form onSubmit={submit} noValidate>
          {problem && !(fieldProblem && Object.keys(fieldProblem.fieldErrors).length > 0) ? (
            <div className="banner banner-error" role="alert" data-testid="signin-error">
              {messageOf(problem)}
            </div>
          ) : null}
          <TextField
            id="signin-email"
            label="E-mail"
            type="email"
            autoComplete="username"
            required
            ref={emailRef}
            value={email}
            onChange={(e) => setEmail(e.target.value)}
            error={fieldProblem?.fieldErrors.email}
          />
          <TextField
            id="signin-password"
            label="Password"
            type="password"
            autoComplete="current-password"
            required
            ref={passwordRef}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
            error={fieldProblem?.fieldErrors.password}
          />
          <button type="submit" className="primary wide" disabled={busy}>
            Sign in
          </button>
        </form>
      </div>
    </main>
  );
}
