// API keys: for the organization's own scripts and Rinkel-compatible clients. A new key is shown
// once (stored hashed); revoking one stops it at once.
import { useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { ApiKey, CreatedApiKey } from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { TextField } from '../../components/Field';
import { LoadProblem, ProblemBanner } from '../../components/ProblemBanner';
import { ScrollRegion } from '../../components/ScrollRegion';
import { ShownOnce } from '../../components/ShownOnce';
import { Time } from '../../components/Time';
import { useLoad, useSubmit } from '../../hooks';
import { useOrg } from '../org/org-context';

export function ApiKeys() {
  const { org } = useOrg();
  const list = useLoad(() => call(api.GET('/v1/orgs/{orgId}/api-keys', { params: { path: { orgId: org.id }, query: { limit: 200 } } })), [org.id]);
  const [name, setName] = useState('');
  const [created, setCreated] = useState<CreatedApiKey | null>(null);
  const submit = useSubmit();
  const removal = useSubmit();
  const rows: ApiKey[] = list.data?.data ?? [];

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const result = await submit.run(() => call(api.POST('/v1/orgs/{orgId}/api-keys', { params: { path: { orgId: org.id } }, body: { name: name.trim() } })));
    if (result.ok) {
      setName('');
      setCreated(result.data);
      await list.reload();
    }
  };
  const revoke = async (k: ApiKey) => {
    const result = await removal.run(() => call(api.DELETE('/v1/orgs/{orgId}/api-keys/{keyId}', { params: { path: { orgId: org.id, keyId: k.id } } })));
    if (result.ok) await list.reload();
  };

  return (
    <section className="card" id="settings-keys" aria-labelledby="settings-keys-title">
      <h2 id="settings-keys-title">API keys</h2>
      <p className="muted">
        For your own scripts and apps: send a key as <code>Authorization: Bearer …</code>, or as <code>x-rinkel-api-key</code> to the Rinkel-compatible API.
      </p>
      <LoadProblem problem={list.problem} onRetry={() => void list.reload()} />
      <ProblemBanner problem={removal.problem} />
      {created ? <ShownOnce title={`API key ${created.name}`} what="API key" value={created.key} onDone={() => setCreated(null)} /> : null}
      <ScrollRegion label="API keys">
        <table className="table stack actions-first">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Starts with</th>
              <th scope="col">Created</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((k) => (
              <tr key={k.id} data-testid={`api-key-${k.id}`}>
                <td>{k.name}</td>
                <td className="mono" data-label="Starts with">
                  {k.prefix}…
                </td>
                <td data-label="Created">
                  <Time iso={k.createdAt} />
                </td>
                <td data-label="Last used">
                  <Time iso={k.lastUsedAt} />
                </td>
                <td className="actions">
                  <ConfirmButton label="Revoke" question={`Revoke ${k.name}? Apps using it stop working at once.`} onConfirm={() => revoke(k)} />
                </td>
              </tr>
            ))}
            {!list.loading && rows.length === 0 ? (
              <tr>
                <td colSpan={5} className="empty">
                  No API keys.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </ScrollRegion>
      <form className="form subcard" onSubmit={onSubmit} noValidate aria-labelledby="new-key-title">
        <h3 id="new-key-title">New API key</h3>
        <ProblemBanner problem={submit.problem} fields={['name']} />
        <TextField id="key-new-name" label="Key name" value={name} onChange={(e) => {
            setName(e.target.value);
            submit.clearField('name');
          }}
          hint="What uses it, e.g. CRM sync." error={fieldError(submit.problem, 'name')} />
        <div className="form-actions">
          <button type="submit" className="primary" disabled={submit.busy}>
            Create API key
          </button>
        </div>
      </form>
    </section>
  );
}
