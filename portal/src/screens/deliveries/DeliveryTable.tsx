// The delivery log's table. Column widths are fixed (table-layout: fixed + colgroup) and rows are
// keyed by delivery id, so a refresh changes cells in place instead of reflowing the table.
import type { Delivery, EventType, Webhook } from '../../api/types';
import { EVENT_LABELS } from '../../api/types';
import { Badge } from '../../components/Badge';
import { Time } from '../../components/Time';
import { Link, navigate, seg } from '../../router';
import { useOrg } from '../org/org-context';

export function shortUrl(url: string): string {
  try {
    const u = new URL(url);
    return u.host + (u.pathname === '/' ? '' : u.pathname);
  } catch {
    return url;
  }
}

export function lastAnswer(d: Pick<Delivery, 'lastStatus' | 'lastError'>): string {
  if (d.lastStatus !== null) return `HTTP ${d.lastStatus}${d.lastError ? ` · ${d.lastError}` : ''}`;
  return d.lastError ?? '—';
}

export function DeliveryTable({ rows, webhooks, loading }: { rows: Delivery[]; webhooks: Webhook[]; loading: boolean }) {
  const { base } = useOrg();
  const webhookName = (id: string) => {
    const w = webhooks.find((x) => x.id === id);
    return w ? shortUrl(w.url) : id;
  };
  return (
    <div className="card flush">
      <div className="table-wrap">
        <table className="table fixed deliveries-table">
          <colgroup>
            {/* 72rem in all: the eight columns fit a 1280 px window beside the page's margins. */}
            <col style={{ width: '9.5rem' }} />
            <col style={{ width: '8rem' }} />
            <col style={{ width: '10rem' }} />
            <col style={{ width: '12rem' }} />
            <col style={{ width: '6.5rem' }} />
            <col style={{ width: '5rem' }} />
            <col style={{ width: '12rem' }} />
            <col style={{ width: '9rem' }} />
          </colgroup>
          <thead>
            <tr>
              <th scope="col">Created</th>
              <th scope="col">Event</th>
              <th scope="col">Call</th>
              <th scope="col">Webhook</th>
              <th scope="col">Status</th>
              <th scope="col">Attempts</th>
              <th scope="col">Last answer</th>
              <th scope="col">Next attempt</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((d) => {
              const to = `${base}/deliveries/${seg(d.id)}`;
              return (
                // The whole row opens the delivery; the link in the first cell is the keyboard way.
                <tr key={d.id} data-testid={`delivery-${d.id}`} className="clickable" onClick={(e) => (e.target as HTMLElement).closest('a') || navigate(to)}>
                  <td>
                    <Link to={to} aria-label={`Delivery ${d.id}: ${EVENT_LABELS[d.event as EventType] ?? d.event}, ${d.status}`}>
                      <Time iso={d.createdAt} short />
                    </Link>
                  </td>
                  <td className="ellipsis" title={d.event}>
                    {EVENT_LABELS[d.event as EventType] ?? d.event}
                  </td>
                  <td className="ellipsis mono" title={d.callId}>
                    {d.callId}
                  </td>
                  <td className="ellipsis" title={webhookName(d.webhookId)}>
                    {webhookName(d.webhookId)}
                  </td>
                  <td>
                    <Badge value={d.status} />
                  </td>
                  <td className="num">{d.attempts}</td>
                  <td className="ellipsis" title={lastAnswer(d)}>
                    {lastAnswer(d)}
                  </td>
                  <td>
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
      </div>
    </div>
  );
}
