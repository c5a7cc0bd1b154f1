// One delivery: what was sent for which event and call (the webhook by its name), every attempt,
// and Retry (one more attempt now, same body, fresh signature) whose ✓ or ✗ is said in green or
// red. Refreshes every 2 s while it is still in progress.
import { useEffect, useState } from 'react';
import { api, call, type Result } from '../../api/client';
import type { Attempt, DeliveryDetail, EventType, Webhook } from '../../api/types';
import { EVENT_LABELS } from '../../api/types';
import { LoadProblem, ProblemBanner } from '../../components/ProblemBanner';
import { ScrollPre } from '../../components/ScrollRegion';
import { lastAnswer } from '../../components/status';
import { Time } from '../../components/Time';
import { useLoad, useSubmit } from '../../hooks';
import { Link, seg } from '../../router';
import { useTitle } from '../../title';
import { webhookName } from '../integrations/webhook-api';
import { useOrg } from '../org/org-context';
import { AttemptView } from './AttemptView';
import { DeliveryBadge } from './DeliveryTable';

/** The status in a sentence: what it means and what happens next. */
function statusSentence(d: DeliveryDetail): string {
  switch (d.status) {
    case 'succeeded':
      return 'Succeeded';
    case 'failed':
      return `Failed: gave up after ${d.attempts} attempt${d.attempts === 1 ? '' : 's'}`;
    case 'held':
      return 'Held: the webhook is disabled; replay it once the webhook is enabled again';
    case 'waiting':
      return 'Waiting behind an earlier event of this call to the same webhook';
    default:
      return d.attempts > 0 ? `Retrying: attempt ${d.attempts} failed` : 'Pending: about to be sent';
  }
}

type Loaded = { delivery: DeliveryDetail; attempts: Attempt[]; webhook: Webhook | null };

export function DeliveryDetailScreen({ deliveryId }: { deliveryId: string }) {
  const { org, base } = useOrg();
  const path = { orgId: org.id, deliveryId };
  const load = async (): Promise<Result<Loaded>> => {
    const [delivery, attempts] = await Promise.all([
      call(api.GET('/v1/orgs/{orgId}/deliveries/{deliveryId}', { params: { path } })),
      call(api.GET('/v1/orgs/{orgId}/deliveries/{deliveryId}/attempts', { params: { path } })),
    ]);
    if (!delivery.ok) return delivery;
    if (!attempts.ok) return attempts;
    // The webhook for its name; a deleted one is named by its id.
    const webhook = await call(api.GET('/v1/orgs/{orgId}/webhooks/{webhookId}', { params: { path: { orgId: org.id, webhookId: delivery.data.webhookId } } }));
    return { ok: true, data: { delivery: delivery.data, attempts: attempts.data.data, webhook: webhook.ok ? webhook.data : null } };
  };
  const [finished, setFinished] = useState(false);
  const loaded = useLoad(load, [org.id, deliveryId], { pollMs: 2_000, paused: finished });
  const retry = useSubmit();
  const [retryResult, setRetryResult] = useState<Attempt | null>(null);

  const d = loaded.data?.delivery;
  useTitle(d ? `Delivery: ${EVENT_LABELS[d.event as EventType] ?? d.event}` : 'Delivery', org.name);
  const done = d ? d.status === 'succeeded' || d.status === 'failed' || d.status === 'held' : false;
  // A finished delivery changes only by Retry, which reloads it; no need to keep polling.
  useEffect(() => setFinished(done), [done]);

  const doRetry = async () => {
    setRetryResult(null);
    const result = await retry.run(() => call(api.POST('/v1/orgs/{orgId}/deliveries/{deliveryId}/retry', { params: { path } })));
    if (result.ok) {
      setRetryResult(result.data.attempt);
      await loaded.reload();
    }
  };

  if (!loaded.data || !d) return loaded.loading ? <p className="page-loading">Loading…</p> : <LoadProblem problem={loaded.problem} onRetry={() => void loaded.reload()} />;
  // Newest attempt first: that is the one people look for.
  const attempts = [...loaded.data.attempts].sort((a, b) => b.number - a.number);
  const webhook = loaded.data.webhook;

  return (
    <>
      <p className="crumbs">
        <Link to={`${base}/deliveries`}>Deliveries</Link> / <span className="mono">{d.id}</span>
      </p>
      <section className="card" aria-labelledby="delivery-title">
        <div className="card-head">
          <h2 id="delivery-title">
            {EVENT_LABELS[d.event as EventType] ?? d.event} <span className="muted small">delivery {d.id}</span>
          </h2>
          <DeliveryBadge delivery={d} />
        </div>
        <dl className="facts">
          <dt>Status</dt>
          <dd data-testid="delivery-status">{statusSentence(d)}</dd>
          <dt>Call</dt>
          <dd>
            <Link to={`${base}/calls/${seg(d.callId)}`}>{d.callId}</Link>
          </dd>
          <dt>Webhook</dt>
          <dd>
            <Link to={`${base}/integrations/webhooks/${seg(d.webhookId)}`}>{webhook ? webhookName(webhook) : d.webhookId}</Link>
            {webhook?.description ? <div className="muted small break">{webhook.url}</div> : null}
          </dd>
          <dt>Attempts</dt>
          <dd>{d.attempts}</dd>
          <dt>Last answer</dt>
          <dd className="break" data-testid="delivery-last-answer">
            {lastAnswer(d)}
          </dd>
          <dt>Next attempt</dt>
          <dd>
            <Time iso={d.nextAttemptAt} />
          </dd>
          <dt>Created</dt>
          <dd>
            <Time iso={d.createdAt} />
          </dd>
          <dt>Content type</dt>
          <dd>
            <code>{d.contentType}</code>
          </dd>
        </dl>
        <div className="form-actions">
          <button type="button" className="primary" disabled={retry.busy} onClick={() => void doRetry()}>
            Retry
          </button>
          <span className={retryResult && !retryResult.succeeded ? 'form-status status-bad' : 'form-status'} role="status" data-testid="retry-result">
            {retry.busy
              ? 'Sending…'
              : retryResult
                ? `${retryResult.succeeded ? '✓' : '✗'} Attempt ${retryResult.number}: ${retryResult.response ? `HTTP ${retryResult.response.status}` : (retryResult.error ?? 'no answer')} · ${retryResult.durationMs} ms`
                : ''}
          </span>
        </div>
        <ProblemBanner problem={retry.problem} />
        {retry.problem?.type.endsWith('/webhook-disabled') ? (
          <p>
            <Link to={`${base}/integrations/webhooks/${seg(d.webhookId)}`}>Open the webhook to re-enable it</Link>
          </p>
        ) : null}
      </section>
      <section className="card" aria-labelledby="attempts-title">
        <h2 id="attempts-title">Attempts</h2>
        {attempts.length === 0 ? <p className="muted">No attempts yet.</p> : attempts.map((a) => <AttemptView key={a.id} attempt={a} />)}
      </section>
      <section className="card" aria-labelledby="body-title">
        <h2 id="body-title">Body</h2>
        <p className="muted small">The exact bytes every attempt sends.</p>
        <ScrollPre label="Body">{d.body}</ScrollPre>
      </section>
    </>
  );
}
