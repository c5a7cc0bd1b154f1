// The delivery log's table. Column widths are fixed (table-layout: fixed + colgroup) and rows are
// keyed by delivery id, so a refresh changes cells in place instead of reflowing the table. Event
// names and call ids are shown whole (they wrap); on a phone each row is a card, status first.
import type { Delivery, EventType, Webhook } from '../../api/types';
import { EVENT_LABELS } from '../../api/types';
import { Badge } from '../../components/Badge';
import { ScrollRegion } from '../../components/ScrollRegion';
import { deliveryState, lastAnswer } from '../../components/status';
import { Time } from '../../components/Time';
import { Link, navigate, seg } from '../../router';
import { webhookName } from '../integrations/webhook-api';
import { useOrg } from '../org/org-context';

export function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.host + (u.pathname === '/' ? '' : u.pathname);
  } catch {
    return url;
  }
}

/** A webhook as the log names it: its description, else its URL without the scheme; its id while the list loads. */
export function webhookLabel(webhooks: Webhook[], id: string): string {
  const w = webhooks.find((x) => x.id === id);
  return w ? (w.description?.trim() ? webhookName(w) : shortUrl(w.url)) : id;
}

export function DeliveryBadge({ delivery }: { delivery: { status: string; attempts: number } }) {
  const shown = deliveryState(delivery);
  return <Badge tone={shown.tone}>{shown.label}</Badge>;
}

export function DeliveryTable({ rows, webhooks, loading }: { rows: Delivery[]; webhooks: Webhook[]; loading: boolean }) {
  const { base } = useOrg();
  return (
    <div className="card flush">
      <ScrollRegion label="Deliveries">
        <table className="table fixed stack deliveries-table">
          <colgroup>
            {/* 72.5rem in all: the eight columns fit a 1280 px window beside the page's margins. */}
            <col style={{ width: '6.5rem' }} />
            <col style={{ width: '9.5rem' }} />
            <col style={{ width: '8.5rem' }} />
            <col style={{ width: '12rem' }} />
            <col style={{ width: '11rem' }} />
            <col style={{ width: '5.5rem' }} />
            <col style={{ width: '11.5rem' }} />
            <col style={{ width: '8rem' }} />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Status</th>
              <th scope="col">Event</th>
              <th scope="col">Created</th>
              <th scope="col">Call</th>
              <th scope="col">Webhook</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">Next attempt</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => {
              const to = `${base}/deliveries/${seg(d.id)}`;
              const answer = lastAnswer(d);
              return (
                // The whole row opens the delivery; the event's link is the keyboard way.
                <tr key={d.id} data-testid={`delivery-${d.id}`} className="clickable" onClick={(e) => (e.target as HTMLElement).closest('a') || navigate(to)}>
                  <td>
                    <DeliveryBadge delivery={d} />
                  </td>
                  <td className="wrap event-cell">
                    <Link to={to}>{EVENT_LABELS[d.event as EventType] ?? d.event}</Link>
                  </td>
                  <td>
                    <Time iso={d.createdAt} short />
                  </td>
                  <td className="wrap mono" data-label="Call">
                    {d.callId}
                  </td>
                  <td className="wrap" data-label="Webhook">
                    {webhookLabel(webhooks, d.webhookId)}
                  </td>
                  <td className="num" data-label="Attempts">
                    {d.attempts}
                  </td>
                  <td data-label="Last answer">
                    <span className="clamp" title={answer}>
                      {answer}
                    </span>
                  </td>
                  <td data-label="Next attempt">
                    <Time iso={d.nextAttemptAt} short />
                  </td>
                </tr>
              );
            })}
            {!loading && rows.length === 0 ? (
              <tr>
                <td colSpan={8} className="empty">
                  No deliveries match. They appear here as calls come in.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      </ScrollRegion>
    </div>
  );
}
