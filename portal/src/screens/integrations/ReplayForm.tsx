// Replay: send a webhook's failed or held deliveries again, those made since a chosen time
// (POST …/webhooks/{id}/replay). With several webhooks to choose from it asks which one.
import { useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { Webhook } from '../../api/types';
import { SelectField, TextField } from '../../components/Field';
import { ProblemBanner } from '../../components/ProblemBanner';
import { useSubmit } from '../../hooks';
import { webhookName } from './webhook-api';

/** `datetime-local` wants local "YYYY-MM-DDTHH:MM". */
function localInputValue(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

export function ReplayForm({ orgId, webhooks, fixed, onReplayed }: { orgId: string; webhooks: Webhook[]; fixed?: Webhook; onReplayed?: (count: number) => void }) {
  const [webhookId, setWebhookId] = useState(fixed?.id ?? webhooks[0]?.id ?? '');
  const [since, setSince] = useState(localInputValue(Date.now() - 24 * 3_600_000));
  const [failed, setFailed] = useState(true);
  const [held, setHeld] = useState(true);
  const [done, setDone] = useState<string>('');
  const [localError, setLocalError] = useState<string | undefined>();
  const submit = useSubmit();
  const prefix = fixed ? 'replay-wh' : 'replay';

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setDone('');
    const at = new Date(since);
    if (Number.isNaN(at.getTime())) return setLocalError('Choose a date and time');
    const statuses = [...(failed ? ['failed' as const] : []), ...(held ? ['held' as const] : [])];
    if (statuses.length === 0) return setLocalError('Tick failed, held or both');
    setLocalError(undefined);
    const result = await submit.run(() =>
      call(api.POST('/v1/orgs/{orgId}/webhooks/{webhookId}/replay', { params: { path: { orgId, webhookId } }, body: { since: at.toISOString(), statuses } })),
    );
    if (result.ok) {
      setDone(result.data.replayed === 0 ? 'Nothing to replay: no matching deliveries since then.' : deliveriesQueued(result.data.replayed));
      onReplayed?.(result.data.replayed);
    }
  };

  return (
    <form className="form" onSubmit={onSubmit} noValidate aria-label="Replay deliveries">
      <ProblemBanner problem={submit.problem} fields={['since', 'statuses']} />
      <div className="grid-2">
        {!fixed ? (
          <SelectField
            id={`${prefix}-webhook`}
            label="Webhook"
            value={webhookId}
            onChange={(e) => setWebhookId(e.target.value)}
            options={webhooks.map((w) => ({ value: w.id, label: `${webhookName(w)} (${w.format})` }))}
          />
        ) : null}
        <TextField
          id={`${prefix}-since`}
          label="Since"
          type="datetime-local"
          value={since}
          onChange={(e) => {
            setSince(e.target.value);
            setLocalError(undefined);
            submit.clearField('since');
          }}
          hint="Deliveries made at or after this time (your local time)."
          error={localError ?? fieldError(submit.problem, 'since') ?? fieldError(submit.problem, 'statuses')}
        />
      </div>
      <fieldset className="field">
        <legend>Which deliveries</legend>
        <div className="checks">
          <label className="check">
            <input type="checkbox" checked={failed} onChange={(e) => (setFailed(e.target.checked), setLocalError(undefined), submit.clearField('statuses'))} /> Failed (gave up after all retries)
          </label>
          <label className="check">
            <input type="checkbox" checked={held} onChange={(e) => (setHeld(e.target.checked), setLocalError(undefined), submit.clearField('statuses'))} /> Held (kept while the webhook was disabled)
          </label>
        </div>
      </fieldset>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={submit.busy || !webhookId}>
          Replay
        </button>
        <span className="form-status" role="status" data-testid="replay-result">
          {done}
        </span>
      </div>
    </form>
  );
}

export function deliveriesQueued(count: number, kind = ''): string {
  return `${count} ${kind}${count === 1 ? 'delivery' : 'deliveries'} queued to be sent again.`;
}
