// The Ringotel-style Webhook card: "Enable Integration", then a URL and an optional API token,
// "Save & Continue". It is one webhook, format ringotel, for all events (DESIGN.md); the API token
// travels in each request body as `api_token`.
import { useEffect, useRef, useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import type { Webhook } from '../../api/types';
import { Badge } from '../../components/Badge';
import { TextField } from '../../components/Field';
import { ProblemBanner } from '../../components/ProblemBanner';
import { TestResultView } from '../../components/TestResultView';
import { useSubmit } from '../../hooks';
import { Link, seg } from '../../router';
import { useOrg } from '../org/org-context';
import { ringotelWebhooks, useWebhookTest } from './webhook-api';

export function RingotelCard({ webhooks, onChanged }: { webhooks: Webhook[]; onChanged: () => Promise<void> }) {
  const { org, base } = useOrg();
  const all = ringotelWebhooks(webhooks);
  const current = all[0] ?? null;
  const [open, setOpen] = useState(false);
  const [url, setUrl] = useState(current?.url ?? '');
  const [token, setToken] = useState(current?.apiToken ?? '');
  const [saved, setSaved] = useState(false);
  const submit = useSubmit();
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
    setSaved(false);
    const apiToken = token.trim() || null;
    const result = current
      ? await submit.run(() => call(api.PATCH('/v1/orgs/{orgId}/webhooks/{webhookId}', { params: { path: { orgId: org.id, webhookId: current.id } }, body: { url: url.trim(), apiToken } })))
      : // No `events`: the API's default is every event, so the integration also gets events added later.
        await submit.run(() => call(api.POST('/v1/orgs/{orgId}/webhooks', { params: { path: { orgId: org.id } }, body: { url: url.trim(), apiToken, format: 'ringotel', contentType: 'application/json' } })));
    if (result.ok) {
      setSaved(true);
      setOpen(false);
      await onChanged();
    }
  };

  // What is on screen is tested: the saved webhook (its real secret) when nothing was changed.
  const runTest = () =>
    current && url.trim() === current.url && (token.trim() || null) === current.apiToken
      ? test.run({ kind: 'saved', orgId: org.id, webhookId: current.id, event: 'call.incoming' })
      : test.run({ kind: 'unsaved', orgId: org.id, url: url.trim(), event: 'call.incoming', format: 'ringotel', contentType: 'application/json', apiToken: token.trim() || null });

  const showForm = open || current !== null;
  return (
    <section className="card integration-card" aria-labelledby="ringotel-title" data-testid="ringotel-card">
      <div className="card-head">
        <h2 id="ringotel-title">Webhook</h2>
        {current ? <Badge value={current.enabled ? 'enabled' : 'disabled'} label={current.enabled ? 'Enabled' : 'Disabled'} /> : <Badge value="off" label="Not enabled" />}
      </div>
      <p>
        Sends an HTTP request to your URL whenever a call starts (inbound or outbound), ends, or its recording is ready — in the Ringotel webhook format
        (StartCallActivity, StopCallActivity, UpdateCallRecording).
      </p>
      {current && !current.enabled ? (
        <p className="banner banner-error">
          This webhook is disabled: {current.disabledReason ?? 'no reason given'}. <Link to={`${base}/integrations/webhooks/${seg(current.id)}`}>Open it to re-enable</Link>.
        </p>
      ) : null}
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
            onChange={(e) => setUrl(e.target.value)}
            hint="Where callhook posts each call event: your receiver’s https address, reachable from this server."
            error={fieldError(submit.problem, 'url')}
          />
          <TextField
            id="ringotel-token"
            label="API token"
            autoComplete="off"
            value={token}
            onChange={(e) => setToken(e.target.value)}
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
          <p className="form-status" role="status">
            {saved && current ? (
              <>
                Saved. Calls are now sent to {current.url}. <Link to={`${base}/integrations/webhooks/${seg(current.id)}`}>Signing secret and details</Link>
              </>
            ) : null}
          </p>
        </form>
      )}
      {all.length > 1 ? <p className="muted">{all.length - 1} more Ringotel webhook(s) are listed under Advanced.</p> : null}
    </section>
  );
}
