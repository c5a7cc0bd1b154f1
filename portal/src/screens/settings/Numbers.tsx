// Numbers: the organization's phone numbers (E.164), where its inbound calls land.
import { useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { PhoneNumber } from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { TextField } from '../../components/Field';
import { LoadProblem, ProblemBanner } from '../../components/ProblemBanner';
import { useLoad, useSubmit } from '../../hooks';
import { useOrg } from '../org/org-context';

export function Numbers() {
  const { org } = useOrg();
  const list = useLoad(() => call(api.GET('/v1/orgs/{orgId}/numbers', { params: { path: { orgId: org.id }, query: { limit: 200 } } })), [org.id]);
  const [number, setNumber] = useState('');
  const [label, setLabel] = useState('');
  const submit = useSubmit();
  const removal = useSubmit();
  const rows: PhoneNumber[] = list.data?.data ?? [];

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const result = await submit.run(() =>
      call(api.POST('/v1/orgs/{orgId}/numbers', { params: { path: { orgId: org.id } }, body: { number: number.trim().replace(/[\s()-]/g, ''), ...(label.trim() ? { label: label.trim() } : {}) } })),
    );
    if (result.ok) {
      setNumber('');
      setLabel('');
      await list.reload();
    }
  };
  const remove = async (n: PhoneNumber) => {
    const result = await removal.run(() => call(api.DELETE('/v1/orgs/{orgId}/numbers/{numberId}', { params: { path: { orgId: org.id, numberId: n.id } } })));
    if (result.ok) await list.reload();
  };

  return (
    <section className="card" id="settings-numbers" aria-labelledby="settings-numbers-title">
      <h2 id="settings-numbers-title">Numbers</h2>
      <p className="muted">Phone numbers of this organization. Calls to them count as incoming calls.</p>
      <LoadProblem problem={list.problem} onRetry={() => void list.reload()} />
      <ProblemBanner problem={removal.problem} />
      <div className="table-wrap">
        <table className="table">
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Label</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((n) => (
              <tr key={n.id} data-testid={`number-${n.id}`}>
                <td className="mono">{n.number}</td>
                <td>{n.label ?? <span className="muted">—</span>}</td>
                <td className="actions">
                  <ConfirmButton label="Delete" question={`Remove ${n.number}?`} onConfirm={() => remove(n)} />
                </td>
              </tr>
            ))}
            {!list.loading && rows.length === 0 ? (
              <tr>
                <td colSpan={3} className="empty">
                  No numbers yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </div>
      <form className="form subcard" onSubmit={onSubmit} noValidate aria-labelledby="new-number-title">
        <h3 id="new-number-title">Add a number</h3>
        <ProblemBanner problem={submit.problem} fields={['number', 'label']} />
        <div className="grid-2">
          <TextField
            id="number-new"
            label="Phone number"
            type="tel"
            placeholder="+31850609000"
            value={number}
            onChange={(e) => setNumber(e.target.value)}
            hint="International format with + and country code."
            error={fieldError(submit.problem, 'number')}
          />
          <TextField id="number-new-label" label="Label (optional)" value={label} onChange={(e) => setLabel(e.target.value)} error={fieldError(submit.problem, 'label')} />
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={submit.busy}>
            Add number
          </button>
        </div>
      </form>
    </section>
  );
}
