// Portal accounts (operator): who may sign in, as operator or as one organization's admin. The
// operator can give an admin a new password (shown once) and, after making an organization, lands
// here with it chosen (?orgId=…) to add its admin.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { Account } from '../../api/session';
import { Tag } from '../../components/Badge';
import { ConfirmButton } from '../../components/ConfirmButton';
import { SelectField, TextField } from '../../components/Field';
import { LoadProblem, ProblemBanner } from '../../components/ProblemBanner';
import { ScrollRegion } from '../../components/ScrollRegion';
import { ShownOnce } from '../../components/ShownOnce';
import { Time } from '../../components/Time';
import { useLoad, useSubmit } from '../../hooks';
import { useLocation } from '../../router';
import { useSession } from '../../session-context';
import { useTitle } from '../../title';

const FIELDS = ['email', 'name', 'password', 'role', 'orgId'] as const;

export function Accounts() {
  useTitle('Accounts');
  const { account: me } = useSession();
  const { query } = useLocation();
  const accounts = useLoad(() => call(api.GET('/v1/accounts', { params: { query: { limit: 200 } } })), []);
  const orgs = useLoad(() => call(api.GET('/v1/orgs', { params: { query: { limit: 200 } } })), []);
  const orgName = (id: string | null) => (id ? (orgs.data?.data.find((o) => o.id === id)?.name ?? id) : '—');
  const removal = useSubmit();
  const [reset, setReset] = useState<{ email: string; password: string } | null>(null);
  const rows: Account[] = accounts.data?.data ?? [];

  const remove = async (account: Account) => {
    const result = await removal.run(() => call(api.DELETE('/v1/accounts/{accountId}', { params: { path: { accountId: account.id } } })));
    if (result.ok) await accounts.reload();
  };
  const resetPassword = async (account: Account) => {
    setReset(null);
    const result = await removal.run(() => call(api.POST('/v1/accounts/{accountId}/reset-password', { params: { path: { accountId: account.id } } })));
    if (result.ok) setReset({ email: account.email, password: result.data.password });
  };

  return (
    <>
      <h1>Accounts</h1>
      <p className="lead">People who can sign in to this portal. An organization admin manages one organization; an operator manages all of them.</p>
      <LoadProblem problem={accounts.problem} onRetry={() => void accounts.reload()} />
      <ProblemBanner problem={removal.problem} />
      {reset ? (
        <ShownOnce
          title={`New password for ${reset.email}`}
          what="password"
          ifLost="reset it again"
          value={reset.password}
          note="Their other sessions are signed out. Give them this password; they can change it under their account."
          onDone={() => setReset(null)}
        />
      ) : null}
      <div className="card flush">
        <ScrollRegion label="Accounts">
          <table className="table stack actions-first">
            <thead>
              <tr>
                <th scope="col">E-mail</th>
                <th scope="col">Name</th>
                <th scope="col">Role</th>
                <th scope="col">Organization</th>
                <th scope="col">Created</th>
                <th scope="col">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {rows.map((a) => (
                <tr key={a.id} data-testid={`account-${a.id}`}>
                  <td className="wrap">{a.email}</td>
                  <td data-label="Name">{a.name}</td>
                  <td data-label="Role">
                    <Tag>{a.role === 'operator' ? 'Operator' : 'Organization admin'}</Tag>
                  </td>
                  <td data-label="Organization">{orgName(a.orgId)}</td>
                  <td data-label="Created">
                    <Time iso={a.createdAt} />
                  </td>
                  <td className="actions">
                    {a.id === me.id ? (
                      <span className="muted">You</span>
                    ) : (
                      <>
                        <ConfirmButton
                          label="Reset password"
                          question={`Give ${a.email} a new password? The old one stops working and they are signed out.`}
                          confirmLabel="Yes, reset"
                          danger={false}
                          onConfirm={() => resetPassword(a)}
                        />
                        <ConfirmButton label="Delete" question={`Delete ${a.email}? They are signed out at once.`} onConfirm={() => remove(a)} />
                      </>
                    )}
                  </td>
                </tr>
              ))}
              {!accounts.loading && rows.length === 0 ? (
                <tr>
                  <td colSpan={6} className="empty">
                    No accounts.
                  </td>
                </tr>
              ) : null}
            </tbody>
          </table>
        </ScrollRegion>
      </div>
      <NewAccountForm orgs={orgs.data?.data ?? []} forOrg={query.get('orgId')} onCreated={() => void accounts.reload()} />
    </>
  );
}

function NewAccountForm({ orgs, forOrg, onCreated }: { orgs: Array<{ id: string; name: string }>; forOrg: string | null; onCreated: () => void }) {
  const empty = { email: '', name: '', password: '', role: 'admin' as Account['role'], orgId: forOrg ?? '' };
  const [values, setValues] = useState(empty);
  const [created, setCreated] = useState<string | null>(null);
  const submit = useSubmit();
  const set = (v: Partial<typeof empty>) => {
    setValues((old) => ({ ...old, ...v }));
    for (const field of Object.keys(v)) submit.clearField(field);
  };
  // Sent here to add a new organization's admin: the form is where the work is.
  const emailRef = useRef<HTMLInputElement>(null);
  useEffect(() => {
    if (forOrg) emailRef.current?.focus();
  }, [forOrg]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setCreated(null);
    const result = await submit.run(() =>
      call(
        api.POST('/v1/accounts', {
          body: {
            email: values.email.trim(),
            name: values.name.trim(),
            password: values.password,
            role: values.role,
            ...(values.role === 'admin' && values.orgId ? { orgId: values.orgId } : {}),
          },
        }),
      ),
    );
    if (result.ok) {
      setCreated(result.data.email);
      setValues({ ...empty, orgId: '' });
      onCreated();
    }
  };

  return (
    <section className="card" aria-labelledby="new-account-title">
      <h2 id="new-account-title">New account</h2>
      <form className="form" onSubmit={onSubmit} noValidate>
        <ProblemBanner problem={submit.problem} fields={FIELDS} />
        {created ? (
          <p className="banner banner-ok" role="status">
            Account {created} created. Give them the password; they sign in at this address.
          </p>
        ) : null}
        <div className="grid-2">
          <TextField
            id="account-email"
            ref={emailRef}
            label="E-mail"
            type="email"
            autoComplete="off"
            value={values.email}
            onChange={(e) => set({ email: e.target.value })}
            error={fieldError(submit.problem, 'email')}
          />
          <TextField id="account-name" label="Name" autoComplete="off" value={values.name} onChange={(e) => set({ name: e.target.value })} error={fieldError(submit.problem, 'name')} />
          <TextField
            id="account-password"
            label="Password"
            type="password"
            autoComplete="new-password"
            value={values.password}
            onChange={(e) => set({ password: e.target.value })}
            hint="At least 10 characters and hard to guess."
            error={fieldError(submit.problem, 'password')}
          />
          <SelectField
            id="account-role"
            label="Role"
            value={values.role}
            onChange={(e) => set({ role: e.target.value as Account['role'] })}
            options={[
              { value: 'admin', label: 'Organization admin' },
              { value: 'operator', label: 'Operator' },
            ]}
            error={fieldError(submit.problem, 'role')}
          />
          {values.role === 'admin' ? (
            <SelectField
              id="account-org"
              label="Organization"
              value={values.orgId}
              onChange={(e) => set({ orgId: e.target.value })}
              options={[{ value: '', label: 'Choose an organization…' }, ...orgs.map((o) => ({ value: o.id, label: o.name }))]}
              error={fieldError(submit.problem, 'orgId')}
            />
          ) : null}
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={submit.busy}>
            Create account
          </button>
        </div>
      </form>
    </section>
  );
}
