// One call: a summary, and its steps on a vertical timeline (started, answered, ended, recording,
// insights) with, under each step, the deliveries its event made — to which webhook, by name — and
// how they went; the recording step plays the recording.
import { api, call } from '../../api/client';
import { EVENT_LABELS, type CallDetail, type EventType } from '../../api/types';
import { LoadProblem } from '../../components/ProblemBanner';
import { lastAnswer } from '../../components/status';
import { formatSeconds, Time } from '../../components/Time';
import { useLoad } from '../../hooks';
import { Link, seg } from '../../router';
import { useTitle } from '../../title';
import { DeliveryBadge, webhookLabel } from '../deliveries/DeliveryTable';
import { useOrg } from '../org/org-context';
import { OUTCOME_LABELS, userName } from './Calls';
import { FetchState, RecordingPlayer, recordingFacts } from './RecordingPlayer';

const STEP_LABELS: Record<EventType, string> = {
  'call.incoming': 'Started — incoming call rings a user',
  'call.outgoing': 'Started — a user dials out',
  'call.answered': 'Answered',
  'call.ended': 'Ended',
  'call.recording': 'Recording ready',
  'call.insights': 'Insights ready',
};

export function CallDetailScreen({ callId }: { callId: string }) {
  const { org, base } = useOrg();
  useTitle(`Call ${callId}`, org.name);
  const loaded = useLoad(() => call(api.GET('/v1/orgs/{orgId}/calls/{callId}', { params: { path: { orgId: org.id, callId } } })), [org.id, callId], { pollMs: 5_000 });
  const webhooks = useLoad(() => call(api.GET('/v1/orgs/{orgId}/webhooks', { params: { path: { orgId: org.id }, query: { limit: 200 } } })), [org.id]);
  const webhookList = webhooks.data?.data ?? [];
  if (!loaded.data) return loaded.loading ? <p className="page-loading">Loading…</p> : <LoadProblem problem={loaded.problem} onRetry={() => void loaded.reload()} />;
  const { call: c, events, recordingFetch } = loaded.data as CallDetail;
  const steps = [...events].sort((a, b) => a.occurredAt.localeCompare(b.occurredAt));

  return (
    <>
      <p className="crumbs">
        <Link to={`${base}/calls`}>Calls</Link> / <span className="mono">{c.callId}</span>
      </p>
      <section className="card" aria-labelledby="call-title">
        <h2 id="call-title">
          {c.direction === 'inbound' ? 'Incoming' : 'Outgoing'} call from <span className="mono">{c.from}</span> to <span className="mono">{c.to}</span>
        </h2>
        <dl className="facts">
          <dt>Call id</dt>
          <dd className="mono break">{c.callId}</dd>
          <dt>User</dt>
          <dd>{userName(c.user)}</dd>
          <dt>Outcome</dt>
          <dd>{c.outcome ? (OUTCOME_LABELS[c.outcome] ?? c.outcome) : 'Not ended yet'}{c.sipCode ? ` (SIP ${c.sipCode})` : ''}</dd>
          <dt>Talk time</dt>
          <dd>{formatSeconds(c.talkTimeS)}</dd>
          <dt>Connection</dt>
          <dd>{c.connection.name}</dd>
          {c.recording ? (
            <>
              <dt>Recording</dt>
              <dd>{recordingFacts(c.recording)} (played under its step below)</dd>
            </>
          ) : recordingFetch && recordingFetch.status !== 'done' ? (
            <>
              <dt>Recording</dt>
              <dd className="break">
                <FetchState fetch={recordingFetch} />
              </dd>
            </>
          ) : null}
          {c.insights ? (
            <>
              <dt>Insights</dt>
              <dd>
                {c.insights.sentiment.toLowerCase()} · {c.insights.topics.join(', ') || 'no topics'}
                <br />
                {c.insights.summary}
              </dd>
            </>
          ) : null}
        </dl>
      </section>
      <section className="card" aria-labelledby="steps-title">
        <h2 id="steps-title">Steps</h2>
        {steps.length === 0 ? <p className="muted">No steps recorded.</p> : null}
        <ol className="timeline">
          {steps.map((event) => (
            <li key={event.id} className="timeline-step" data-testid={`step-${event.type}`}>
              <span className="timeline-dot" aria-hidden="true" />
              <div className="timeline-body">
                <h3>
                  {STEP_LABELS[event.type as EventType] ?? event.type} <Time iso={event.occurredAt} />
                </h3>
                <p className="muted small">
                  Event <code>{event.type}</code> ({EVENT_LABELS[event.type as EventType] ?? event.type})
                </p>
                {event.type === 'call.recording' && c.recording ? <RecordingPlayer orgId={org.id} callId={c.callId} recording={c.recording} /> : null}
                {event.deliveries.length === 0 ? (
                  <p className="muted small">Not sent to any webhook.</p>
                ) : (
                  <ul className="step-deliveries">
                    {event.deliveries.map((d) => (
                      <li key={d.id} data-testid={`call-delivery-${d.id}`}>
                        <DeliveryBadge delivery={d} /> <Link to={`${base}/deliveries/${seg(d.id)}`}>To {webhookLabel(webhookList, d.webhookId)}</Link>
                        <span className="muted small">
                          {' '}
                          · {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
                          {d.lastStatus !== null ? ` · ${lastAnswer({ lastStatus: d.lastStatus, lastError: null })}` : ''}
                        </span>
                      </li>
                    ))}
                  </ul>
                )}
              </div>
            </li>
          ))}
        </ol>
      </section>
    </>
  );
}
