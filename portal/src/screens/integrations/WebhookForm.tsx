// Every setting of a webhook in one form — for the Advanced list's "Add webhook" and a webhook's
// "Edit settings". The Ringotel and Rinkel screens above are shortcuts to the same API.
import { useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import { CONTENT_TYPES, EVENT_LABELS, EVENT_TYPES, FORMAT_LABELS, FORMATS, type ContentType, type EventType, type Format, type Webhook } from '../../api/types';
import { SelectField, TextField } from '../../components/Field';
import { ProblemBanner } from '../../components/ProblemBanner';
import { useSubmit } from '../../hooks';
import { useOrg } from '../org/org-context';

const FIELDS = ['url', 'format', 'events', 'contentType', 'apiToken', 'description', 'retryScheduleS', 'timeoutMs'] as const;

/** "60, 300, 3600" → [60, 300, 3600]; empty → null (the default schedule). Bad input stays text for the API to name. */
function parseSchedule(text: string): number[] | null | string {
  const trimmed = text.trim();
  if (!trimmed) return null;
  const parts = trimmed.split(/[\s,]+/).filter(Boolean);
  if (!parts.every((p) => /^\d+$/.test(p))) return trimmed;
  return parts.map(Number);
}

export function WebhookForm({ webhook, onSaved, onCancel }: { webhook?: Webhook; onSaved: (saved: Webhook) => void; onCancel?: () => void }) {
  const { org } = useOrg();
  const [url, setUrl] = useState(webhook?.url ?? '');
  const [format, setFormat] = useState<Format>((webhook?.format as Format | undefined) ?? 'standard');
  const [events, setEvents] = useState<EventType[]>((webhook?.events as EventType[] | undefined) ?? [...EVENT_TYPES]);
  const [contentType, setContentType] = useState<ContentType>((webhook?.contentType as ContentType | undefined) ?? 'application/json');
  const [apiToken, setApiToken] = useState(webhook?.apiToken ?? '');
  const [description, setDescription] = useState(webhook?.description ?? '');
  const [schedule, setSchedule] = useState(webhook?.retryScheduleS?.join(', ') ?? '');
  const [timeout, setTimeoutMs] = useState(webhook?.timeoutMs?.toString() ?? '');
  const [localError, setLocalError] = useState<Record<string, string>>({});
  const submit = useSubmit();
  const prefix = webhook ? `wh-edit` : `wh-new`;

  /** A changed field's old errors (the API's and this form's own) no longer hold. */
  const changed = (field: string) => {
    submit.clearField(field);
    setLocalError((old) => (field in old ? Object.fromEntries(Object.entries(old).filter(([k]) => k !== field)) : old));
  };
  const toggle = (event: EventType, on: boolean) => {
    setEvents((old) => (on ? EVENT_TYPES.filter((e) => e === event || old.includes(e)) : old.filter((e) => e !== event)));
    changed('events');
  };

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    const retryScheduleS = parseSchedule(schedule);
    const errors: Record<string, string> = {};
    if (typeof retryScheduleS === 'string') errors.retryScheduleS = 'Write whole seconds separated by commas, e.g. 60, 300, 3600';
    if (timeout.trim() && !/^\d+$/.test(timeout.trim())) errors.timeoutMs = 'Write a whole number of milliseconds, e.g. 2000';
    if (events.length === 0) errors.events = 'Choose at least one event';
    setLocalError(errors);
    if (Object.keys(errors).length > 0 || typeof retryScheduleS === 'string') return;
    const body = {
      url: url.trim(),
      format,
      events,
      contentType,
      apiToken: apiToken.trim() || null,
      description: description.trim() || null,
      retryScheduleS,
      timeoutMs: timeout.trim() ? Number(timeout.trim()) : null,
    };
    const result = webhook
      ? await submit.run(() => call(api.PATCH('/v1/orgs/{orgId}/webhooks/{webhookId}', { params: { path: { orgId: org.id, webhookId: webhook.id } }, body })))
      : await submit.run(() => call(api.POST('/v1/orgs/{orgId}/webhooks', { params: { path: { orgId: org.id } }, body })));
    if (result.ok) onSaved(result.data as Webhook);
  };
  const err = (field: string) => localError[field] ?? fieldError(submit.problem, field);

  return (
    <form className="form" onSubmit={onSubmit} noValidate>
      <ProblemBanner problem={submit.problem} fields={FIELDS} />
      <TextField id={`${prefix}-url`} label="URL" type="url" inputMode="url" value={url} onChange={(e) => (setUrl(e.target.value), changed('url'))} error={err('url')} />
      <div className="grid-2">
        <SelectField
          id={`${prefix}-format`}
          label="Format"
          value={format}
          onChange={(e) => (setFormat(e.target.value as Format), changed('format'))}
          options={FORMATS.map((f) => ({ value: f, label: FORMAT_LABELS[f] }))}
          hint="The body layout. Events a format has no message for are not sent."
          error={err('format')}
        />
        <SelectField
          id={`${prefix}-content-type`}
          label="Content type"
          value={contentType}
          onChange={(e) => (setContentType(e.target.value as ContentType), changed('contentType'))}
          options={CONTENT_TYPES.map((c) => ({ value: c, label: c }))}
          error={err('contentType')}
        />
      </div>
      <fieldset className="field" aria-describedby={err('events') ? `${prefix}-events-error` : undefined}>
        <legend>Events</legend>
        <div className="checks">
          {EVENT_TYPES.map((event) => (
            <label key={event} className="check">
              <input type="checkbox" checked={events.includes(event)} onChange={(e) => toggle(event, e.target.checked)} /> {EVENT_LABELS[event]} <code className="muted">{event}</code>
            </label>
          ))}
        </div>
        {err('events') ? (
          <p className="field-error" id={`${prefix}-events-error`}>
            {err('events')}
          </p>
        ) : null}
      </fieldset>
      <div className="grid-2">
        <TextField id={`${prefix}-token`} label="API token" autoComplete="off" value={apiToken} onChange={(e) => (setApiToken(e.target.value), changed('apiToken'))} hint="Ringotel format only: sent in the body as api_token." error={err('apiToken')} />
        <TextField id={`${prefix}-description`} label="Description (optional)" value={description} onChange={(e) => (setDescription(e.target.value), changed('description'))} error={err('description')} />
        <TextField
          id={`${prefix}-schedule`}
          label="Retry schedule (seconds)"
          value={schedule}
          onChange={(e) => (setSchedule(e.target.value), changed('retryScheduleS'))}
          placeholder="empty: every hour for 24 hours"
          hint="Delays between attempts, e.g. 10, 60, 300. Leave empty for once an hour for 24 hours."
          error={err('retryScheduleS')}
        />
        <TextField
          id={`${prefix}-timeout`}
          label="Time limit per attempt (ms)"
          inputMode="numeric"
          value={timeout}
          onChange={(e) => (setTimeoutMs(e.target.value), changed('timeoutMs'))}
          placeholder="2000"
          hint="How long the receiver has to answer. Leave empty for 2 seconds."
          error={err('timeoutMs')}
        />
      </div>
      <div className="form-actions">
        <button type="submit" className="primary" disabled={submit.busy}>
          {webhook ? 'Save' : 'Create webhook'}
        </button>
        {onCancel ? (
          <button type="button" className="secondary" onClick={onCancel}>
            Cancel
          </button>
        ) : null}
      </div>
    </form>
  );
}
