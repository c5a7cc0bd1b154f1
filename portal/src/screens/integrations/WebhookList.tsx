// Advanced: every webhook of the organization, whatever screen made it, with a way into each.
import { useState } from 'react';
import { EVENT_LABELS, EVENT_TYPES, FORMAT_LABELS, type EventType, type Format, type Webhook } from '../../api/types';
import { ScrollRegion } from '../../components/ScrollRegion';
import { Link, navigate, seg } from '../../router';
import { useOrg } from '../org/org-context';
import { healthOf, HealthBadge, HealthLine } from './Health';
import { WebhookForm } from './WebhookForm';

export function eventsText(events: string[]): string {
  if (EVENT_TYPES.every((e) => events.includes(e))) return 'All events';
  return events.map((e) => EVENT_LABELS[e as EventType] ?? e).join(', ');
}

export function WebhookList({ webhooks, onChanged }: { webhooks: Webhook[]; onChanged: () => Promise<void> }) {
  const { base } = useOrg();
  const [adding, setAdding] = useState(false);
  return (
    <section className="card" aria-labelledby="advanced-title">
      <div className="card-head">
        <h2 id="advanced-title">Advanced: all webhooks</h2>
        {!adding ? (
          <button type="button" className="secondary" onClick={() => setAdding(true)}>
            Add webhook
          </button>
        ) : null}
      </div>
      <p className="muted">Every webhook of this organization. Open one for its signing secret, test sends, retry schedule, replay and delete.</p>
      {adding ? (
        <div className="subcard">
          <h3>New webhook</h3>
          <WebhookForm
            onCancel={() => setAdding(false)}
            onSaved={(saved) => {
              setAdding(false);
              void onChanged();
              navigate(`${base}/integrations/webhooks/${seg(saved.id)}`);
            }}
          />
        </div>
      ) : null}
      <ScrollRegion label="All webhooks">
        <table className="table stack">
          <thead>
            <tr>
              <th scope="col">URL</th>
              <th scope="col">Health</th>
              <th scope="col">Format</th>
              <th scope="col">Events</th>
              <th scope="col">Content type</th>
            </tr>
          </thead>
          <tbody>
            {webhooks.map((w) => (
              <tr key={w.id} data-testid={`webhook-${w.id}`}>
                <td className="url-cell">
                  <Link to={`${base}/integrations/webhooks/${seg(w.id)}`}>{w.url}</Link>
                  {w.description ? <div className="muted small">{w.description}</div> : null}
                </td>
                <td data-label="Health" className="health-cell">
                  <HealthBadge webhook={w} />
                  {healthOf(w).state === 'failing' ? <HealthLine webhook={w} withError={false} /> : null}
                </td>
                <td data-label="Format">{FORMAT_LABELS[w.format as Format] ?? w.format}</td>
                <td data-label="Events">{eventsText(w.events)}</td>
                <td data-label="Content type">
                  <code>{w.contentType}</code>
                </td>
              </tr>
            ))}
            {webhooks.length === 0 ? (
              <tr>
                <td colSpan={5} className="empty">
                  No webhooks yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </ScrollRegion>
    </section>
  );
}
