// Connections: the phone systems feeding this organization, and the ingest URL they post calls to.
// A new one's ingest token is shown once, beside that URL; HEP capture settings (capture id, auth
// key) say which mirrored SIP traffic belongs to it.
import { useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { Connection, CreatedConnection } from '../../api/types';
import { CopyButton } from '../../components/CopyButton';
import { TextField } from '../../components/Field';
import { LoadProblem, ProblemBanner } from '../../components/ProblemBanner';
import { ScrollRegion } from '../../components/ScrollRegion';
import { ShownOnce } from '../../components/ShownOnce';
import { useLoad, useSubmit } from '../../hooks';
import { useOrg } from '../org/org-context';
import { useSession } from '../../session-context';
import { parseCaptureId } from './capture-id';
import { ConnectionRow } from './ConnectionRow';

export function Connections() {
  const { org } = useOrg();
  const list = useLoad(() => call(api.GET('/v1/orgs/{orgId}/connections', { params: { path: { orgId: org.id }, query: { limit: 200 } } })), [org.id]);
  const [created, setCreated] = useState<CreatedConnection | null>(null);
  const rows: Connection[] = list.data?.data ?? [];
  // The API says where its ingest endpoint is (it knows its public address); the page's own origin
  // is the same server until it does.
  const ingestUrl = created?.ingestUrl ?? rows.find((c) => c.ingestUrl)?.ingestUrl ?? `${window.location.origin}/v1/ingest/calls`;
  return (
    <section className="card" id="settings-connections" aria-labelledby="settings-connections-title">
      <h2 id="settings-connections-title">Connections</h2>
      <p className="muted">
        A connection is one phone system (PBX) sending calls to callhook, through the ingest API with its token or as mirrored SIP (HEP) with its capture id.
      </p>
      <div className="secret-row ingest-url">
        <span>Ingest URL</span>
        <code className="secret" data-testid="ingest-url">
          {ingestUrl}
        </code>
        <CopyButton value={ingestUrl} label="Copy URL" />
      </div>
      <LoadProblem problem={list.problem} onRetry={() => void list.reload()} />
      {created ? (
        <ShownOnce title={`Ingest token for ${created.name}`} what="ingest token" value={created.ingestToken} onDone={() => setCreated(null)}>
          <p className="small">
            The phone system posts its calls to <code data-testid="shown-once-ingest-url">{ingestUrl}</code> with this token as <code>Authorization: Bearer …</code>.
          </p>
        </ShownOnce>
      ) : null}
      <ScrollRegion label="Connections">
        <table className="table stack actions-first">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">HEP capture</th>
              <th scope="col">Created</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((c) => (
              <ConnectionRow key={c.id} connection={c} onChanged={list.reload} />
            ))}
            {!list.loading && rows.length === 0 ? (
              <tr>
                <td colSpan={4} className="empty">
                  No connections yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </ScrollRegion>
      <NewConnection
        onCreated={(c) => {
          setCreated(c);
          void list.reload();
        }}
      />
    </section>
  );
}

function NewConnection({ onCreated }: { onCreated: (c: CreatedConnection) => void }) {
  const { org } = useOrg();
  // A capture id decides whose SIP traffic this is, instance-wide: the operator hands them out.
  const operator = useSession().account.role === 'operator';
  const [name, setName] = useState('');
  const [captureId, setCaptureId] = useState('');
  const [authKey, setAuthKey] = useState('');
  const [localError, setLocalError] = useState<string | undefined>();
  const submit = useSubmit();
  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const capture = parseCaptureId(captureId);
    if (typeof capture === 'string') return setLocalError('A whole number, as set in the phone system (e.g. 2001)');
    setLocalError(undefined);
    const result = await submit.run(() =>
      call(
        api.POST('/v1/orgs/{orgId}/connections', {
          params: { path: { orgId: org.id } },
          body: { name: name.trim(), ...(capture !== undefined ? { hep: { captureId: capture, ...(authKey.trim() ? { authKey: authKey.trim() } : {}) } } : {}) },
        }),
      ),
    );
    if (result.ok) {
      setName('');
      setCaptureId('');
      setAuthKey('');
      onCreated(result.data);
    }
  };
  return (
    <form className="form subcard" onSubmit={onSubmit} noValidate aria-labelledby="new-connection-title">
      <h3 id="new-connection-title">New connection</h3>
      <ProblemBanner problem={submit.problem} fields={['name', 'hep']} />
      <div className="grid-3">
        <TextField
          id="conn-new-name"
          label="Connection name"
          value={name}
          onChange={(e) => {
            setName(e.target.value);
            submit.clearField('name');
          }}
          hint="Sent to Ringotel receivers as connection_name, e.g. PBX."
          error={fieldError(submit.problem, 'name')}
        />
        {operator ? (
          <>
            <TextField
              id="conn-new-capture"
              label="HEP capture id (optional)"
              inputMode="numeric"
              value={captureId}
              onChange={(e) => {
                setCaptureId(e.target.value);
                setLocalError(undefined);
                submit.clearField('hep.captureId');
              }}
              hint="Only for SIP mirrored as HEP: the capture (agent) id the PBX sends."
              error={localError ?? fieldError(submit.problem, 'hep.captureId')}
            />
            <TextField
              id="conn-new-authkey"
              label="HEP auth key (optional)"
              autoComplete="off"
              value={authKey}
              onChange={(e) => {
                setAuthKey(e.target.value);
                submit.clearField('hep.authKey');
              }}
              hint="If the PBX sends one, packets without it are refused."
              error={fieldError(submit.problem, 'hep.authKey')}
            />
          </>
        ) : (
          <p className="hint" data-testid="hep-by-operator">
            Sending calls as mirrored SIP (HEP)? Your provider sets the capture id for this connection.
          </p>
        )}
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={submit.busy}>
          Create connection
        </button>
      </div>
    </form>
  );
}
