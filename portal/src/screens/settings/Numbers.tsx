// Numbers: the organization's phone numbers (E.164). One is the main number; a number given to a
// user is their direct number. A call to or from an extension comes in on / presents the user's
// direct number, else the main number — what Rinkel receivers get as `to` / `from`. With a default
// country, a national number may be typed; the form says the E.164 number it will store.
import { useEffect, useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { DirectoryUser, PhoneNumber } from '../../api/types';
import { Tag } from '../../components/Badge';
import { ConfirmButton } from '../../components/ConfirmButton';
import { SelectField, TextField } from '../../components/Field';
import { LoadProblem, ProblemBanner } from '../../components/ProblemBanner';
import { ScrollRegion } from '../../components/ScrollRegion';
import { useLoad, useSubmit } from '../../hooks';
import { useOrg } from '../org/org-context';
import { loadPhoneLib, toE164 } from './phone-input';

const NOBODY = '';

function userLabel(u: DirectoryUser): string {
  const name = u.name ?? u.email ?? u.id;
  return u.extension ? `${name} (${u.extension})` : name;
}

/** `version` changes when Users changed something; `onChange` tells it that the numbers did. */
export function Numbers({ version = 0, onChange }: { version?: number; onChange?: () => void }) {
  const { org } = useOrg();
  const list = useLoad(() => call(api.GET('/v1/orgs/{orgId}/numbers', { params: { path: { orgId: org.id }, query: { limit: 200 } } })), [org.id, version]);
  const users = useLoad(() => call(api.GET('/v1/orgs/{orgId}/users', { params: { path: { orgId: org.id }, query: { limit: 200 } } })), [org.id, version]);
  const [number, setNumber] = useState('');
  const [label, setLabel] = useState('');
  const [userId, setUserId] = useState(NOBODY);
  const [numberError, setNumberError] = useState<string | undefined>();
  const [phone, setPhone] = useState<Awaited<ReturnType<typeof loadPhoneLib>> | null>(null);
  useEffect(() => {
    void loadPhoneLib().then(setPhone);
  }, []);
  const submit = useSubmit();
  const rowAction = useSubmit();
  const rows: PhoneNumber[] = list.data?.data ?? [];
  const people: DirectoryUser[] = users.data?.data ?? [];
  const userOptions = [{ value: NOBODY, label: 'Nobody' }, ...people.map((u) => ({ value: u.id, label: userLabel(u) }))];

  // What will be stored, as it is typed: a national number shows the E.164 number it becomes.
  const preview = phone && number.trim() && !number.trim().startsWith('+') ? toE164(number, org.defaultCountry, phone) : null;
  const how = org.defaultCountry
    ? `International (+ and country code), or national: read as a number in ${org.defaultCountry}.`
    : 'International format with + and country code (set a default country above to type national numbers).';
  const numberHint = `${preview?.ok ? `Saved as ${preview.number}. ` : ''}${how}${rows.length === 0 ? ' The first number is the main number.' : ''}`;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const parsed = toE164(number, org.defaultCountry, await loadPhoneLib());
    if (!parsed.ok) return setNumberError(parsed.message);
    setNumberError(undefined);
    const body = { number: parsed.number, ...(label.trim() ? { label: label.trim() } : {}), ...(userId ? { userId } : {}) };
    const result = await submit.run(() => call(api.POST('/v1/orgs/{orgId}/numbers', { params: { path: { orgId: org.id } }, body })));
    if (result.ok) {
      setNumber('');
      setLabel('');
      setUserId(NOBODY);
      await list.reload();
      onChange?.();
    }
  };
  const change = async (n: PhoneNumber, body: { userId?: string | null; main?: boolean }) => {
    const result = await rowAction.run(() => call(api.PATCH('/v1/orgs/{orgId}/numbers/{numberId}', { params: { path: { orgId: org.id, numberId: n.id } }, body })));
    await list.reload(); // on a refusal too: the select shows what is stored again
    if (result.ok) onChange?.();
  };
  const remove = async (n: PhoneNumber) => {
    const result = await rowAction.run(() => call(api.DELETE('/v1/orgs/{orgId}/numbers/{numberId}', { params: { path: { orgId: org.id, numberId: n.id } } })));
    if (result.ok) {
      await list.reload();
      onChange?.();
    }
  };

  return (
    <section className="card" id="settings-numbers" aria-labelledby="settings-numbers-title">
      <h2 id="settings-numbers-title">Numbers</h2>
      <p className="muted">
        Phone numbers of this organization. A call to or from an extension comes in on (or shows) the user’s direct number, else the main number. Rinkel webhooks need one: a
        call with no number is not sent to them.
      </p>
      <LoadProblem problem={list.problem} onRetry={() => void list.reload()} />
      <ProblemBanner problem={rowAction.problem} />
      <ScrollRegion label="Numbers">
        <table className="table stack">
          <thead>
            <tr>
              <th scope="col">Number</th>
              <th scope="col">Label</th>
              <th scope="col">Direct number of</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((n) => (
              <tr key={n.id} data-testid={`number-${n.id}`}>
                <td className="mono">
                  {n.number} {n.main ? <Tag>Main number</Tag> : null}
                </td>
                <td data-label="Label">{n.label ?? <span className="muted">—</span>}</td>
                <td data-label="Direct number of">
                  <label className="sr-only" htmlFor={`number-${n.id}-user`}>
                    Direct number of (for {n.number})
                  </label>
                  <select id={`number-${n.id}-user`} value={n.userId ?? NOBODY} disabled={rowAction.busy} onChange={(e) => void change(n, { userId: e.target.value || null })}>
                    {userOptions.map((o) => (
                      <option key={o.value} value={o.value}>
                        {o.label}
                      </option>
                    ))}
                  </select>
                </td>
                <td className="actions">
                  {!n.main ? (
                    <button type="button" className="secondary small" disabled={rowAction.busy} onClick={() => void change(n, { main: true })}>
                      Make main
                    </button>
                  ) : null}
                  <ConfirmButton label="Delete" question={`Remove ${n.number}?`} onConfirm={() => remove(n)} />
                </td>
              </tr>
            ))}
            {!list.loading && rows.length === 0 ? (
              <tr>
                <td colSpan={4} className="empty">
                  No numbers yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </ScrollRegion>
      <form className="form subcard" onSubmit={onSubmit} noValidate aria-labelledby="new-number-title">
        <h3 id="new-number-title">Add a number</h3>
        <ProblemBanner problem={submit.problem} fields={['number', 'label', 'userId']} />
        <div className="grid-3">
          <TextField
            id="number-new"
            label="Phone number"
            type="tel"
            placeholder={org.defaultCountry ? `+31850609000 or a number in ${org.defaultCountry}` : '+31850609000'}
            value={number}
            onChange={(e) => {
              setNumber(e.target.value);
              setNumberError(undefined);
              submit.clearField('number');
            }}
            hint={numberHint}
            error={numberError ?? fieldError(submit.problem, 'number')}
          />
          <TextField
            id="number-new-label"
            label="Label (optional)"
            value={label}
            onChange={(e) => {
              setLabel(e.target.value);
              submit.clearField('label');
            }}
            error={fieldError(submit.problem, 'label')}
          />
          <SelectField
            id="number-new-user"
            label="Direct number of (optional)"
            options={userOptions}
            value={userId}
            onChange={(e) => {
              setUserId(e.target.value);
              submit.clearField('userId');
            }}
            error={fieldError(submit.problem, 'userId')}
          />
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
