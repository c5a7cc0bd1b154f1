// Users & extensions: the people on calls. Ringotel receivers get their extension and user id,
// Rinkel receivers their e-mail (answeredBy), their id (userId) and their direct number (Numbers).
import { useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { DirectoryUser } from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { TextField } from '../../components/Field';
import { LoadProblem, ProblemBanner } from '../../components/ProblemBanner';
import { ScrollRegion } from '../../components/ScrollRegion';
import { useLoad, useSubmit } from '../../hooks';
import { useOrg } from '../org/org-context';

const FIELDS = ['id', 'name', 'extension', 'email'] as const;

/** `version` changes when Numbers changed something; `onChange` tells it that the users did. */
export function Users({ version = 0, onChange }: { version?: number; onChange?: () => void }) {
  const { org } = useOrg();
  const list = useLoad(() => call(api.GET('/v1/orgs/{orgId}/users', { params: { path: { orgId: org.id }, query: { limit: 200 } } })), [org.id]);
  const numbers = useLoad(() => call(api.GET('/v1/orgs/{orgId}/numbers', { params: { path: { orgId: org.id }, query: { limit: 200 } } })), [org.id, version]);
  const directNumber = new Map((numbers.data?.data ?? []).flatMap((n) => (n.userId ? [[n.userId, n.number] as const] : [])));
  const mainNumber = numbers.data?.data.find((n) => n.main)?.number ?? null;
  const [editing, setEditing] = useState<string | null>(null);
  const removal = useSubmit();
  const rows: DirectoryUser[] = list.data?.data ?? [];

  const remove = async (u: DirectoryUser) => {
    const result = await removal.run(() => call(api.DELETE('/v1/orgs/{orgId}/users/{userId}', { params: { path: { orgId: org.id, userId: u.id } } })));
    if (result.ok) {
      await list.reload();
      onChange?.();
    }
  };

  return (
    <section className="card" id="settings-users" aria-labelledby="settings-users-title">
      <h2 id="settings-users-title">Users &amp; extensions</h2>
      <p className="muted">
        Who is on a call: calls are matched to users by extension. Webhooks name the user (Ringotel: extension and user id; Rinkel: e-mail and user id). A user’s calls come in on
        and show their direct number, else the main number (set them under Numbers).
      </p>
      <LoadProblem problem={list.problem} onRetry={() => void list.reload()} />
      <ProblemBanner problem={removal.problem} />
      <ScrollRegion label="Users">
        <table className="table stack actions-first">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Extension</th>
              <th scope="col">E-mail</th>
              <th scope="col">Direct number</th>
              <th scope="col">User id</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((u) =>
              editing === u.id ? (
                <tr key={u.id} className="edit-row">
                  <td colSpan={6}>
                    <UserForm
                      user={u}
                      onDone={async () => {
                        setEditing(null);
                        await list.reload();
                        onChange?.();
                      }}
                      onCancel={() => setEditing(null)}
                    />
                  </td>
                </tr>
              ) : (
                <tr key={u.id} data-testid={`user-${u.id}`}>
                  <td>{u.name ?? <span className="muted">—</span>}</td>
                  <td data-label="Extension">{u.extension ?? <span className="muted">—</span>}</td>
                  <td data-label="E-mail" className="wrap">
                    {u.email ?? <span className="muted">—</span>}
                  </td>
                  <td className="mono" data-label="Direct number">
                    {directNumber.get(u.id) ?? <span className="muted">{mainNumber ? `main: ${mainNumber}` : 'none'}</span>}
                  </td>
                  <td className="mono small wrap" data-label="User id">
                    {u.id}
                  </td>
                  <td className="actions">
                    <button type="button" className="secondary small" onClick={() => setEditing(u.id)}>
                      Edit
                    </button>
                    <ConfirmButton label="Delete" question={`Remove ${u.name ?? u.extension ?? u.id}?`} onConfirm={() => remove(u)} />
                  </td>
                </tr>
              ),
            )}
            {!list.loading && rows.length === 0 ? (
              <tr>
                <td colSpan={6} className="empty">
                  No users yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </ScrollRegion>
      <div className="subcard">
        <h3>Add a user</h3>
        <UserForm
          onDone={async () => {
            await list.reload();
            onChange?.();
          }}
        />
      </div>
    </section>
  );
}

function UserForm({ user, onDone, onCancel }: { user?: DirectoryUser; onDone: () => Promise<void>; onCancel?: () => void }) {
  const { org } = useOrg();
  const empty = { name: user?.name ?? '', extension: user?.extension ?? '', email: user?.email ?? '', id: '' };
  const [values, setValues] = useState(empty);
  const submit = useSubmit();
  const set = (v: Partial<typeof empty>) => {
    setValues((old) => ({ ...old, ...v }));
    for (const field of Object.keys(v)) submit.clearField(field);
  };
  const prefix = user ? `user-${user.id}` : 'user-new';

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const name = values.name.trim();
    const extension = values.extension.trim();
    const email = values.email.trim();
    const result = user
      ? await submit.run(() =>
          call(api.PATCH('/v1/orgs/{orgId}/users/{userId}', { params: { path: { orgId: org.id, userId: user.id } }, body: { name: name || null, extension: extension || null, email: email || null } })),
        )
      : await submit.run(() =>
          call(
            api.POST('/v1/orgs/{orgId}/users', {
              params: { path: { orgId: org.id } },
              body: { ...(name ? { name } : {}), ...(extension ? { extension } : {}), ...(email ? { email } : {}), ...(values.id.trim() ? { id: values.id.trim() } : {}) },
            }),
          ),
        );
    if (result.ok) {
      if (!user) setValues({ name: '', extension: '', email: '', id: '' });
      await onDone();
    }
  };

  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label={user ? `Edit user ${user.name ?? user.id}` : 'Add a user'}>
      <ProblemBanner problem={submit.problem} fields={FIELDS} />
      <div className="grid-4">
        <TextField id={`${prefix}-name`} label="Name" value={values.name} onChange={(e) => set({ name: e.target.value })} error={fieldError(submit.problem, 'name')} />
        <TextField id={`${prefix}-extension`} label="Extension" value={values.extension} onChange={(e) => set({ extension: e.target.value })} error={fieldError(submit.problem, 'extension')} />
        <TextField id={`${prefix}-email`} label="E-mail" type="email" value={values.email} onChange={(e) => set({ email: e.target.value })} error={fieldError(submit.problem, 'email')} />
        {!user ? (
          <TextField
            id={`${prefix}-id`}
            label="User id (optional)"
            value={values.id}
            onChange={(e) => set({ id: e.target.value })}
            hint="The phone system's own id for the user, if it has one."
            error={fieldError(submit.problem, 'id')}
          />
        ) : null}
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={submit.busy}>
          {user ? 'Save' : 'Add user'}
        </button>
        {onCancel ? (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
