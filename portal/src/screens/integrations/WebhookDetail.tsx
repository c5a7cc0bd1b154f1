// One webhook: its health, settings, a test send, the signing secret, replay, edit and delete.
// A failing webhook opens with a red banner saying since when and what next; a disabled one with a
// red banner saying why, with Re-enable and Replay held deliveries.
import { useState } from 'react';
import { api, call, isPlanLacksWebhooks } from '../../api/client';
import { EVENT_LABELS, EVENT_TYPES, FORMAT_LABELS, type EventType, type Format, type Webhook } from '../../api/types';
import { ConfirmButton } from '../../components/ConfirmButton';
import { SelectField } from '../../components/Field';
import { LoadProblem, ProblemBanner } from '../../components/ProblemBanner';
import { TestResultView } from '../../components/TestResultView';
import { Time } from '../../components/Time';
import { useLoad, useSubmit } from '../../hooks';
import { Link, navigate } from '../../router';
import { useTitle } from '../../title';
import { useOrg } from '../org/org-context';
import { DisabledBanner } from './DisabledBanner';
import { FailingBanner, HealthBadge, HealthFacts } from './Health';
import { PlanLacksWebhooks } from './PlanLacksWebhooks';
import { ReplayForm } from './ReplayForm';
import { SecretPanel } from './SecretPanel';
import { describeSchedule, useWebhookTest, webhookName } from './webhook-api';
import { eventsText } from './WebhookList';
import { WebhookForm } from './WebhookForm';
import { deliveriesQueued } from './ReplayForm';

export function WebhookDetailScreen({ webhookId }: { webhookId: string }) {
  const { org } = useOrg();
  const loaded = useLoad(() => call(api.GET('/v1/orgs/{orgId}/webhooks/{webhookId}', { params: { path: { orgId: org.id, webhookId } } })), [org.id, webhookId]);
  useTitle(loaded.data ? `Webhook ${webhookName(loaded.data)}` : 'Webhook', org.name);
  if (isPlanLacksWebhooks(loaded.problem)) return <PlanLacksWebhooks problem={loaded.problem!} />;
  if (!loaded.data) return loaded.loading ? <p className="page-loading">Loading…</p> : <LoadProblem problem={loaded.problem} onRetry={() => void loaded.reload()} />;
  return <WebhookDetail webhook={loaded.data} setWebhook={loaded.setData} reload={loaded.reload} />;
}

function WebhookDetail({ webhook, setWebhook, reload }: { webhook: Webhook; setWebhook: (w: Webhook) => void; reload: () => Promise<void> }) {
  const { org, base, reloadOrg } = useOrg();
  const path = { orgId: org.id, webhookId: webhook.id };
  const action = useSubmit();
  const test = useWebhookTest();
  const [testEvent, setTestEvent] = useState<EventType>((webhook.events[0] as EventType | undefined) ?? 'call.incoming');
  const [notice, setNotice] = useState('');
  const [editing, setEditing] = useState(false);

  const enable = async () => {
    const result = await action.run(() => call(api.POST('/v1/orgs/{orgId}/webhooks/{webhookId}/enable', { params: { path } })));
    if (result.ok) {
      setWebhook(result.data);
      setNotice('Webhook enabled. New events are sent again; held ones wait for a replay.');
      void reloadOrg();
    }
    return result.ok;
  };
  const disable = async () => {
    const result = await action.run(() => call(api.POST('/v1/orgs/{orgId}/webhooks/{webhookId}/disable', { params: { path }, body: { reason: 'disabled in the portal' } })));
    if (result.ok) {
      setWebhook(result.data);
      setNotice('');
      void reloadOrg();
    }
  };
  // Replay needs an enabled webhook (409 otherwise), so this enables it first. Held deliveries are
  // all made after the webhook itself, hence `since` its creation.
  const replayHeld = async () => {
    if (!webhook.enabled && !(await enable())) return;
    const result = await action.run(() =>
      call(api.POST('/v1/orgs/{orgId}/webhooks/{webhookId}/replay', { params: { path }, body: { since: webhook.createdAt, statuses: ['held'] } })),
    );
    if (result.ok) setNotice(`Webhook enabled. ${deliveriesQueued(result.data.replayed, 'held ')}`);
  };
  const remove = async () => {
    const result = await action.run(() => call(api.DELETE('/v1/orgs/{orgId}/webhooks/{webhookId}', { params: { path } })));
    if (result.ok) {
      void reloadOrg();
      navigate(`${base}/integrations`);
    }
  };

  return (
    <>
      <p className="crumbs">
        <Link to={`${base}/integrations`}>Integrations</Link> / Webhook
      </p>
      <h2 className="break">{webhookName(webhook)}</h2>
      {webhook.description ? <p className="break muted">{webhook.url}</p> : null}
      <FailingBanner webhook={webhook} deliveriesTo={`${base}/deliveries?webhookId=${encodeURIComponent(webhook.id)}`} />
      {!webhook.enabled ? <DisabledBanner webhook={webhook} busy={action.busy} onReEnable={() => void enable()} onReplayHeld={() => void replayHeld()} /> : null}
      <ProblemBanner problem={action.problem} />
      <p className="form-status" role="status" data-testid="webhook-notice">
        {notice}
      </p>

      <section className="card" aria-labelledby="wh-settings-title">
        <div className="card-head">
          <h2 id="wh-settings-title">Settings</h2>
          <HealthBadge webhook={webhook} />
        </div>
        {editing ? (
          <WebhookForm
            webhook={webhook}
            onCancel={() => setEditing(false)}
            onSaved={(saved) => {
              setWebhook(saved);
              setEditing(false);
              setNotice('Settings saved.');
            }}
          />
        ) : (
          <>
            <dl className="facts">
              <dt>Format</dt>
              <dd>{FORMAT_LABELS[webhook.format as Format] ?? webhook.format}</dd>
              <dt>Events</dt>
              <dd>{eventsText(webhook.events)}</dd>
              <dt>Content type</dt>
              <dd>
                <code>{webhook.contentType}</code>
              </dd>
              <dt>API token</dt>
              <dd>{webhook.apiToken ? <code>{webhook.apiToken}</code> : <span className="muted">none</span>}</dd>
              <dt>Description</dt>
              <dd>{webhook.description ?? <span className="muted">none</span>}</dd>
              <dt>Retry schedule</dt>
              <dd>{describeSchedule(webhook.retryScheduleS)}</dd>
              <dt>Time limit per attempt</dt>
              <dd>{webhook.timeoutMs ? `${webhook.timeoutMs} ms` : 'Default (2000 ms)'}</dd>
              <dt>Created</dt>
              <dd>
                <Time iso={webhook.createdAt} />
              </dd>
            </dl>
            <HealthFacts webhook={webhook} />
            <div className="form-actions">
              <button type="button" className="secondary" onClick={() => setEditing(true)}>
                Edit settings
              </button>
              {webhook.enabled ? (
                <button type="button" className="secondary" disabled={action.busy} onClick={() => void disable()}>
                  Disable
                </button>
              ) : null}
              <Link to={`${base}/deliveries?webhookId=${encodeURIComponent(webhook.id)}`}>See its deliveries</Link>
              <ConfirmButton label="Delete" question="Delete this webhook and its delivery log?" confirmLabel="Yes, delete" onConfirm={remove} />
            </div>
          </>
        )}
      </section>

      <section className="card" aria-labelledby="wh-test-title">
        <h2 id="wh-test-title">Send a test event</h2>
        <div className="inline-form">
          <SelectField
            id="wh-test-event"
            label="Test event"
            value={testEvent}
            onChange={(e) => setTestEvent(e.target.value as EventType)}
            options={EVENT_TYPES.map((e) => ({ value: e, label: `${EVENT_LABELS[e]} (${e})` }))}
          />
          <button type="button" className="secondary" disabled={test.busy} onClick={() => void test.run({ kind: 'saved', orgId: org.id, webhookId: webhook.id, event: testEvent })}>
            Test
          </button>
        </div>
        <TestResultView result={test.result} problem={test.problem} busy={test.busy} />
      </section>

      <SecretPanel webhook={webhook} onRotated={() => void reload()} />

      <section className="card" aria-labelledby="wh-replay-title">
        <h2 id="wh-replay-title">Replay deliveries</h2>
        {webhook.enabled ? (
          <ReplayForm orgId={org.id} webhooks={[webhook]} fixed={webhook} />
        ) : (
          <p className="muted">Re-enable the webhook to replay its deliveries.</p>
        )}
      </section>
      <p>
        <Link to={`${base}/integrations`}>← Back to Integrations</Link>
      </p>
    </>
  );
}

