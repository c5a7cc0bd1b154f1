// One delivery: what was sent for which event and call, every attempt, and Retry (one more
// attempt now, same body, fresh signature). Refreshes every 2 s while it is still in progress.
import { useEffect, useState } from 'react';
import { api, call, type Result } from '../../api/client';
import type { Attempt, DeliveryDetail, EventType } from '../../api/types';
import { EVENT_LABELS } from '../../api/types';
import { Badge } from '../../components/Badge';
import { LoadProblem, ProblemBanner } from '../../components/ProblemBanner';
import { Time } from '../../components/Time';
import { useLoad, useSubmit } from '../../hooks';
import { Link, seg } from '../../router';
import { useOrg } from '../org/org-context';
import { AttemptView } from './AttemptView';
import { lastAnswer } from './DeliveryTable';

type Loaded = { delivery: DeliveryDetail; attempts: Attempt[] };

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
    return { ok: true, data: { delivery: delivery.data, attempts: attempts.data.data } };
  };
  const [finished, setFinished] = useState(false);
  const loaded = useLoad(load, [org.id, deliveryId], { pollMs: 2_000, paused: finished });
  const retry = useSubmit();
  const [retryResult, setRetryResult] = useState<Attempt | null>(null);

  const d = loaded.data?.delivery;
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

  return (
    <>
      <p className="crumbs">
        <Link to={`${base}/deliveries`}>Deliveries</Link> / {d.id}
      </p>
      <section className="card" aria-labelledby="delivery-title">
        <div className="card-head">
          <h2 id="delivery-title">
            {EVENT_LABELS[d.event as EventType] ?? d.event} <span className="muted small">delivery {d.id}</span>
          </h2>
          <Badge value={d.status} />
        </div>
        <dl className="facts">
          <dt>Status</dt>
          <dd data-testid="delivery-status">{d.status}</dd>
          <dt>Call</dt>
          <dd>
            <Link to={`${base}/calls/${seg(d.callId)}`}>{d.callId}</Link>
          </dd>
          <dt>Webhook</dt>
          <dd>
            <Link to={`${base}/integrations/webhooks/${seg(d.webhookId)}`}>{d.webhookId}</Link>
          </dd>
          <dt>Attempts</dt>
          <dd>{d.attempts}</dd>
          <dt>Last answer</dt>
          <dd className="break">{lastAnswer(d)}</dd>
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
          <span className="form-status" role="status" data-testid="retry-result">
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
        <pre className="body">{d.body}</pre>
      </section>
    </>
  );
}
