// The Rinkel-style event list: one row per event, each its own webhook (format rinkel, one event),
// as in My Rinkel → Settings → Integrations.
import type { EventType, Webhook } from '../../api/types';
import { RinkelRow } from './RinkelRow';
import { rinkelWebhookFor } from './webhook-api';

const ROWS: ReadonlyArray<{ event: EventType; title: string; when: string }> = [
  { event: 'call.incoming', title: 'Incoming call', when: 'A call is made to one of your numbers and rings a user.' },
  { event: 'call.outgoing', title: 'Outgoing call', when: 'A user makes a call.' },
  { event: 'call.answered', title: 'Call start', when: 'An incoming or outgoing call is answered.' },
  { event: 'call.ended', title: 'Call end', when: 'A call is hung up, answered or not.' },
  { event: 'call.insights', title: 'Call insights', when: 'AI insights (sentiment, topics, summary) are ready for a call.' },
];

export function RinkelEvents({ webhooks, onChanged }: { webhooks: Webhook[]; onChanged: () => Promise<void> }) {
  return (
    <section className="card" aria-labelledby="rinkel-title">
      <h2 id="rinkel-title">Events</h2>
      <p>
        Or send each event to its own URL, in the Rinkel webhook format. Enter the URL, press <em>Test</em> to send a sample event, choose the content type and
        press <em>Save</em>. Your endpoint must answer with HTTP 200 within 2 seconds; failed requests are retried every hour for 24 hours.
      </p>
      <ul className="event-rows">
        {ROWS.map((row) => {
          const saved = rinkelWebhookFor(webhooks, row.event);
          return <RinkelRow key={row.event} event={row.event} title={row.title} when={row.when} saved={saved} onChanged={onChanged} />;
        })}
      </ul>
    </section>
  );
}
