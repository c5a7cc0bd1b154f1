// The signed-in person's own account: who they are, and a new password (POST /v1/session/password,
// which also ends their sessions in other browsers).
import { useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import { TextField } from '../../components/Field';
import { ProblemBanner } from '../../components/ProblemBanner';
import { useSubmit } from '../../hooks';
import { useSession } from '../../session-context';
import { useTitle } from '../../title';

export function AccountPage() {
  useTitle('Your account');
  const { account } = useSession();
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [saved, setSaved] = useState(false);
  const submit = useSubmit();

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setSaved(false);
    const result = await submit.run(() => call(api.POST('/v1/session/password', { body: { currentPassword: current, newPassword: next } })));
    if (result.ok) {
      setCurrent('');
      setNext('');
      setSaved(true);
    }
  };

  return (
    <>
      <h1>Your account</h1>
      <section className="card" aria-labelledby="account-facts-title">
        <h2 id="account-facts-title">Signed in as</h2>
        <dl className="facts">
          <dt>E-mail</dt>
          <dd>{account.email}</dd>
          <dt>Name</dt>
          <dd>{account.name}</dd>
          <dt>Role</dt>
          <dd>{account.role === 'operator' ? 'Operator (all organizations)' : 'Organization admin'}</dd>
        </dl>
      </section>
      <section className="card" aria-labelledby="account-password-title">
        <h2 id="account-password-title">Change password</h2>
        <form className="form" onSubmit={onSubmit} noValidate aria-label="Change password">
          <ProblemBanner problem={submit.problem} fields={['currentPassword', 'newPassword']} />
          <TextField
            id="account-current"
            label="Current password"
            type="password"
            autoComplete="current-password"
            value={current}
            onChange={(e) => {
              setCurrent(e.target.value);
              submit.clearField('currentPassword');
            }}
            error={fieldError(submit.problem, 'currentPassword')}
          />
          <TextField
            id="account-new"
            label="New password"
            type="password"
            autoComplete="new-password"
            value={next}
            onChange={(e) => {
              setNext(e.target.value);
              submit.clearField('newPassword');
            }}
            hint="At least 10 characters and hard to guess: a few unrelated words work well. Your other browsers are signed out when it changes."
            error={fieldError(submit.problem, 'newPassword')}
          />
          <div className="form-actions">
            <button type="submit" className="primary" disabled={submit.busy}>
              Change password
            </button>
            <span className="form-status" role="status">
              {saved ? 'Password changed. Other browsers signed in as you are signed out.' : ''}
            </span>
          </div>
        </form>
      </section>
    </>
  );
}
