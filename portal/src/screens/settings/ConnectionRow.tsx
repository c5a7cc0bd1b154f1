// One connection in the list: its HEP settings (edited in place, PATCH …/connections/{id}) and Revoke.
import { useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { ConnectionPatch } from '../../api/session';
import type { Connection } from '../../api/types';
import { Badge } from '../../components/Badge';
import { ConfirmButton } from '../../components/ConfirmButton';
import { CheckboxField, TextField } from '../../components/Field';
import { ProblemBanner } from '../../components/ProblemBanner';
import { Time } from '../../components/Time';
import { useSubmit } from '../../hooks';
import { useOrg } from '../org/org-context';
import { useSession } from '../../session-context';
import { parseCaptureId } from './capture-id';

export function ConnectionRow({ connection: c, onChanged }: { connection: Connection; onChanged: () => Promise<void> }) {
  const { org } = useOrg();
  const [editing, setEditing] = useState(false);
  const action = useSubmit();
  const path = { orgId: org.id, connectionId: c.id };

  const revoke = async () => {
    const result = await action.run(() => call(api.DELETE('/v1/orgs/{orgId}/connections/{connectionId}', { params: { path } })));
    if (result.ok) await onChanged();
  };

  return (
    <>
      <tr data-testid={`connection-${c.id}`}>
        <td>
          {c.name} {c.revokedAt ? <Badge tone="muted">Revoked</Badge> : <Badge tone="ok">Active</Badge>}
          <div className="muted small mono">{c.id}</div>
        </td>
        <td data-label="HEP capture">{c.hep ? `id ${c.hep.captureId}${c.hep.authKeySet ? ', auth key set' : ''}` : <span className="muted">off</span>}</td>
        <td data-label="Created">
          <Time iso={c.createdAt} />
        </td>
        <td className="actions">
          {!c.revokedAt ? (
            <>
              <button type="button" className="secondary small" aria-expanded={editing} onClick={() => setEditing(!editing)}>
                Edit
              </button>
              <ConfirmButton label="Revoke" question={`Revoke ${c.name}? Its ingest token stops working at once.`} onConfirm={revoke} />
            </>
          ) : null}
        </td>
      </tr>
      {action.problem ? (
        <tr>
          <td colSpan={4}>
            <ProblemBanner problem={action.problem} />
          </td>
        </tr>
      ) : null}
      {editing ? (
        <tr className="edit-row">
          <td colSpan={4}>
            <ConnectionEdit
              connection={c}
              onDone={async () => {
                setEditing(false);
                await onChanged();
              }}
              onCancel={() => setEditing(false)}
            />
          </td>
        </tr>
      ) : null}
    </>
  );
}

function ConnectionEdit({ connection: c, onDone, onCancel }: { connection: Connection; onDone: () => Promise<void>; onCancel: () => void }) {
  const { org } = useOrg();
  // HEP settings are the operator's (they route SIP instance-wide); an admin renames only.
  const operator = useSession().account.role === 'operator';
  const [name, setName] = useState(c.name);
  const [captureId, setCaptureId] = useState(c.hep ? String(c.hep.captureId) : '');
  const [authKey, setAuthKey] = useState('');
  const [clearKey, setClearKey] = useState(false);
  const [localError, setLocalError] = useState<string | undefined>();
  const submit = useSubmit();
  const id = `conn-${c.id}`;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const capture = parseCaptureId(captureId);
    if (typeof capture === 'string') return setLocalError('A whole number, as set in the phone system (e.g. 2001)');
    setLocalError(undefined);
    // Empty capture id turns HEP off; an empty auth key keeps the one set before (it is never shown).
    const hep: ConnectionPatch['hep'] =
      capture === undefined ? null : { captureId: capture, ...(clearKey ? { authKey: null } : authKey.trim() ? { authKey: authKey.trim() } : {}) };
    const body = operator ? { name: name.trim(), hep } : { name: name.trim() };
    const result = await submit.run(() => call(api.PATCH('/v1/orgs/{orgId}/connections/{connectionId}', { params: { path: { orgId: org.id, connectionId: c.id } }, body })));
    if (result.ok) await onDone();
  };

  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label={`Edit connection ${c.name}`}>
      <ProblemBanner problem={submit.problem} fields={['name', 'hep']} />
      <div className="grid-3">
        <TextField
          id={`${id}-name`}
          label="Connection name"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            submit.clearField('name');
          }}
          error={fieldError(submit.problem, 'name')}
        />
        {operator ? (
          <>
            <TextField
              id={`${id}-capture`}
              label="HEP capture id"
              inputMode="numeric"
              value={captureId}
              onChange={(e) => {
                setCaptureId(e.target.value);
                setLocalError(undefined);
                submit.clearField('hep.captureId');
              }}
              hint="Leave empty to stop taking HEP traffic for this connection."
              error={localError ?? fieldError(submit.problem, 'hep.captureId')}
            />
            <TextField
              id={`${id}-authkey`}
              label="HEP auth key"
              autoComplete="off"
              value={authKey}
              disabled={clearKey}
              placeholder={c.hep?.authKeySet ? 'unchanged' : 'none'}
              onChange={(e) => {
                setAuthKey(e.target.value);
                submit.clearField('hep.authKey');
              }}
              hint={c.hep?.authKeySet ? 'A key is set. Type a new one to replace it.' : 'Optional.'}
              error={fieldError(submit.problem, 'hep.authKey')}
            />
          </>
        ) : null}
      </div>
      {operator && c.hep?.authKeySet ? <CheckboxField id={`${id}-clear`} label="Remove the auth key" checked={clearKey} onChange={(e) => setClearKey(e.target.checked)} /> : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={submit.busy}>
          Save
        </button>
        <button type="button" className="secondary" onClick={onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
