// The Ringotel-style Webhook card: "Enable Integration", then a URL and an optional API token,
// "Save & Continue". It is one webhook, format ringotel, for all events (DESIGN.md); the API token
// travels in each request body as `api_token`. Its health shows on the card; it can be switched
// off and on, and removed.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { Webhook } from '../../api/types';
import { Badge } from '../../components/Badge';
import { ConfirmButton } from '../../components/ConfirmButton';
import { TextField } from '../../components/Field';
import { ProblemBanner } from '../../components/ProblemBanner';
import { TestResultView } from '../../components/TestResultView';
import { useSubmit } from '../../hooks';
import { Link, seg } from '../../router';
import { useOrg } from '../org/org-context';
import { healthOf, HealthBadge, HealthLine } from './Health';
import { ringotelWebhooks, useWebhookTest } from './webhook-api';

export function RingotelCard({ webhooks, onChanged }: { webhooks: Webhook[]; onChanged: () => Promise<void> }) {
  const { org, base } = useOrg();
  const all = ringotelWebhooks(webhooks);
  const current = all[0] ?? null;
  const [open, setOpen] = useState(false);
  const [url, setUrl] = useState(current?.url ?? '');
  const [token, setToken] = useState(current?.apiToken ?? '');
  const [note, setNote] = useState('');
  const submit = useSubmit();
  const action = useSubmit();
  const test = useWebhookTest();
  const urlRef = useRef<HTMLInputElement>(null);

  // When the list reloads with a (new) saved webhook, the form shows what is stored.
  useEffect(() => {
    if (current) {
      setUrl(current.url);
      setToken(current.apiToken ?? '');
    }
  }, [current?.id, current?.url, current?.apiToken]);
  useEffect(() => {
    if (open) urlRef.current?.focus();
  }, [open]);

  const onSubmit = async (event: FormEvent) => {
    event.preventDefault();
    setNote('');
    const apiToken = token.trim() || null;
    const result = current
      ? await submit.run(() => call(api.PATCH('/v1/orgs/{orgId}/webhooks/{webhookId}', { params: { path: { orgId: org.id, webhookId: current.id } }, body: { url: url.trim(), apiToken } })))
      : // No `events`: the API's default is every event, so the integration also gets events added later.
        await submit.run(() => call(api.POST('/v1/orgs/{orgId}/webhooks', { params: { path: { orgId: org.id } }, body: { url: url.trim(), apiToken, format: 'ringotel', contentType: 'application/json' } })));
    if (result.ok) {
      // Saving changes the settings, not the switch: a disabled webhook stays off until re-enabled.
      setNote(result.data.enabled ? `Saved. Calls are now sent to ${result.data.url}.` : `Saved, and still disabled: calls are held, not sent to ${result.data.url}. Enable it to send them.`);
      setOpen(false);
      await onChanged();
    }
  };

  const setEnabled = async (enabled: boolean) => {
    if (!current) return;
    const path = { orgId: org.id, webhookId: current.id };
    const result = enabled
      ? await action.run(() => call(api.POST('/v1/orgs/{orgId}/webhooks/{webhookId}/enable', { params: { path } })))
      : await action.run(() => call(api.POST('/v1/orgs/{orgId}/webhooks/{webhookId}/disable', { params: { path }, body: { reason: 'disabled in the portal' } })));
    if (result.ok) {
      setNote(enabled ? 'Enabled. New calls are sent again; calls held meanwhile can be replayed from the webhook’s page.' : 'Disabled. New calls are held, not sent, until you enable it again.');
      await onChanged();
    }
  };
  const remove = async () => {
    if (!current) return;
    const result = await action.run(() => call(api.DELETE('/v1/orgs/{orgId}/webhooks/{webhookId}', { params: { path: { orgId: org.id, webhookId: current.id } } })));
    if (result.ok) {
      setNote('Removed. Calls are no longer sent to it.');
      setUrl('');
      setToken('');
      test.clear();
      await onChanged();
    }
  };

  // What is on screen is tested: the saved webhook (its real secret) when nothing was changed.
  const runTest = () => {
    submit.setProblem(null); // what was said about the last save does not hold for what is tested now
    return current && url.trim() === current.url && (token.trim() || null) === current.apiToken
      ? test.run({ kind: 'saved', orgId: org.id, webhookId: current.id, event: 'call.incoming' })
      : test.run({ kind: 'unsaved', orgId: org.id, url: url.trim(), event: 'call.incoming', format: 'ringotel', contentType: 'application/json', apiToken: token.trim() || null });
  };

  const showForm = open || current !== null;
  const detail = current ? `${base}/integrations/webhooks/${seg(current.id)}` : '';
  const health = current ? healthOf(current) : null;
  return (
    <section className="card integration-card" aria-labelledby="ringotel-title" data-testid="ringotel-card">
      <div className="card-head">
        <h2 id="ringotel-title">Webhook</h2>
        {current ? <HealthBadge webhook={current} /> : <Badge tone="muted">Not enabled</Badge>}
      </div>
      <p>
        Sends an HTTP request to your URL whenever a call starts (inbound or outbound), ends, or its recording is ready — in the Ringotel webhook format
        (StartCallActivity, StopCallActivity, UpdateCallRecording).
      </p>
      {current && health?.state === 'disabled' ? (
        <p className="banner banner-error">
          This webhook is disabled: {current.disabledReason ?? 'no reason given'}. <Link to={detail}>Open it to re-enable</Link>.
        </p>
      ) : null}
      {current && health?.state === 'failing' ? (
        <div className="banner banner-error" data-testid="ringotel-failing">
          <strong>This webhook is failing.</strong>
          <HealthLine webhook={current} />
          <Link to={`${base}/deliveries?webhookId=${encodeURIComponent(current.id)}`}>See its deliveries</Link>
        </div>
      ) : null}
      {current && health?.state === 'healthy' ? <HealthLine webhook={current} /> : null}
      {!showForm ? (
        <button type="button" className="primary" onClick={() => setOpen(true)}>
          Enable Integration
        </button>
      ) : (
        <form className="form" onSubmit={onSubmit} noValidate>
          <ProblemBanner problem={submit.problem} fields={['url', 'apiToken']} />
          <TextField
            id="ringotel-url"
            ref={urlRef}
            label="URL"
            type="url"
            inputMode="url"
            placeholder="https://example.com/callhook"
            required
            value={url}
            onChange={(e) => {
              setUrl(e.target.value);
              submit.clearField('url');
              test.clear();
            }}
            hint="Where callhook posts each call event: your receiver’s https address, reachable from this server."
            error={fieldError(submit.problem, 'url')}
          />
          <TextField
            id="ringotel-token"
            label="API token"
            autoComplete="off"
            value={token}
            onChange={(e) => {
              setToken(e.target.value);
              submit.clearField('apiToken');
            }}
            hint="Optional. Sent in the body of each request as the “api_token” parameter, so your app can check the request is ours."
            error={fieldError(submit.problem, 'apiToken')}
          />
          <div className="form-actions">
            <button type="submit" className="primary" disabled={submit.busy}>
              Save &amp; Continue
            </button>
            <button type="button" className="secondary" disabled={test.busy || !url.trim()} onClick={() => void runTest()}>
              Test
            </button>
            {!current ? (
              <button type="button" className="secondary" onClick={() => setOpen(false)}>
                Cancel
              </button>
            ) : null}
          </div>
          <TestResultView result={test.result} problem={test.problem} busy={test.busy} />
        </form>
      )}
      {current ? (
        <div className="form-actions card-foot">
          {current.enabled ? (
            <button type="button" className="secondary" disabled={action.busy} onClick={() => void setEnabled(false)}>
              Disable
            </button>
          ) : (
            <button type="button" className="secondary" disabled={action.busy} onClick={() => void setEnabled(true)}>
              Enable
            </button>
          )}
          <ConfirmButton label="Remove" question="Remove this webhook? Calls stop being sent to it." confirmLabel="Yes, remove" onConfirm={remove} />
          <Link to={detail}>Signing secret and details</Link>
        </div>
      ) : null}
      <ProblemBanner problem={action.problem} />
      <p className="form-status" role="status" data-testid="ringotel-note">
        {note}
      </p>
      {all.length > 1 ? <p className="muted">{all.length - 1} more Ringotel webhook(s) are listed under Advanced.</p> : null}
    </section>
  );
}
