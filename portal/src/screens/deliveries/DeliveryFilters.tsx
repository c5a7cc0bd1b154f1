// The delivery log's filters: webhook, event, call id and status. Selects apply at once; the call
// id applies as you type (after a short pause) or on Enter. On a phone they fold away behind a
// "Filters" button that says how many are on.
import { useEffect, useState, type FormEvent } from 'react';
import { DELIVERY_STATUSES, EVENT_LABELS, EVENT_TYPES, type Webhook } from '../../api/types';
import { SelectField, TextField } from '../../components/Field';
import { webhookName } from '../integrations/webhook-api';

export interface Filters {
  webhookId: string;
  event: string;
  callId: string;
  status: string;
}

export const STATUS_LABELS: Record<string, string> = {
  pending: 'Pending or retrying (due)',
  waiting: 'Waiting (behind an earlier event)',
  succeeded: 'Succeeded',
  failed: 'Failed (gave up)',
  held: 'Held (webhook disabled)',
};

export function DeliveryFilters({ filters, webhooks, onChange }: { filters: Filters; webhooks: Webhook[]; onChange: (f: Filters) => void }) {
  const [callId, setCallId] = useState(filters.callId);
  const [open, setOpen] = useState(false);
  const active = Object.values(filters).filter(Boolean).length;
  useEffect(() => setCallId(filters.callId), [filters.callId]);
  useEffect(() => {
    if (callId.trim() === filters.callId) return;
    const timer = window.setTimeout(() => onChange({ ...filters, callId: callId.trim() }), 400);
    return () => window.clearTimeout(timer);
  }, [callId, filters, onChange]);
  const submit = (e: FormEvent) => {
    e.preventDefault();
    onChange({ ...filters, callId: callId.trim() });
  };
  return (
    <>
      <button type="button" className="secondary filters-toggle" aria-expanded={open} aria-controls="delivery-filters" onClick={() => setOpen(!open)}>
        Filters{active ? ` · ${active} on` : ''}
      </button>
    <form id="delivery-filters" className={open ? 'filters open' : 'filters'} onSubmit={submit} role="search" aria-label="Filter deliveries">
      <SelectField
        id="filter-webhook"
        label="Webhook"
        value={filters.webhookId}
        onChange={(e) => onChange({ ...filters, webhookId: e.target.value })}
        options={[{ value: '', label: 'All webhooks' }, ...webhooks.map((w) => ({ value: w.id, label: `${webhookName(w)} (${w.format})` }))]}
      />
      <SelectField
        id="filter-event"
        label="Event"
        value={filters.event}
        onChange={(e) => onChange({ ...filters, event: e.target.value })}
        options={[{ value: '', label: 'All events' }, ...EVENT_TYPES.map((e) => ({ value: e, label: EVENT_LABELS[e] }))]}
      />
      <TextField id="filter-call" label="Call id" value={callId} onChange={(e) => setCallId(e.target.value)} placeholder="any call" />
      <SelectField
        id="filter-status"
        label="Status"
        value={filters.status}
        onChange={(e) => onChange({ ...filters, status: e.target.value })}
        options={[{ value: '', label: 'Any status' }, ...DELIVERY_STATUSES.map((s) => ({ value: s, label: STATUS_LABELS[s] ?? s }))]}
      />
      <button type="submit" className="sr-only">
        Apply filters
      </button>
    </form>
    </>
  );
}
