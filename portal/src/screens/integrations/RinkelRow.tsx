// One event of the Rinkel-style list: its health, URL, Test (✓/✗ with status and time), content
// type, description, Save; Delete once saved.
import { useState, type FormEvent } from 'react';
import { api, call, fieldError } from '../../api/client';
import { CONTENT_TYPES, type ContentType, type EventType, type Webhook } from '../../api/types';
import { Badge } from '../../components/Badge';
import { ConfirmButton } from '../../components/ConfirmButton';
import { SelectField, TextField } from '../../components/Field';
import { ProblemBanner } from '../../components/ProblemBanner';
import { TestResultView } from '../../components/TestResultView';
import { useSubmit } from '../../hooks';
import { Link, seg } from '../../router';
import { useOrg } from '../org/org-context';
import { healthOf, HealthBadge, HealthLine } from './Health';
import { useWebhookTest } from './webhook-api';

interface Props {
  event: EventType;
  title: string;
  when: string;
  saved: Webhook | null;
  onChanged: () => Promise<void>;
}

export function RinkelRow({ event, title, when, saved, onChanged }: Props) {
  const { org, base } = useOrg();
  const [url, setUrl] = useState(saved?.url ?? '');
  const [contentType, setContentType] = useState<ContentType>((saved?.contentType as ContentType | undefined) ?? 'application/json');
  const [description, setDescription] = useState(saved?.description ?? '');
  const [savedNote, setSavedNote] = useState(false);
  const submit = useSubmit();
  const test = useWebhookTest();
  const id = `rinkel-${event}`;

  const onSubmit = async (e: FormEvent) => {
    e.preventDefault();
    setSavedNote(false);
    const body = { url: url.trim(), contentType, description: description.trim() || null };
    const result = saved
      ? await submit.run(() => call(api.PATCH('/v1/orgs/{orgId}/webhooks/{webhookId}', { params: { path: { orgId: org.id, webhookId: saved.id } }, body })))
      : await submit.run(() => call(api.POST('/v1/orgs/{orgId}/webhooks', { params: { path: { orgId: org.id } }, body: { ...body, events: [event], format: 'rinkel' } })));
    if (result.ok) {
      setSavedNote(true);
      await onChanged();
    }
  };

  // The saved webhook is tested (with its real signing secret) unless the form was changed.
  const runTest = () => {
    submit.setProblem(null); // what was said about the last save does not hold for what is tested now
    setSavedNote(false);
    return saved && url.trim() === saved.url && contentType === saved.contentType
      ? test.run({ kind: 'saved', orgId: org.id, webhookId: saved.id, event })
      : test.run({ kind: 'unsaved', orgId: org.id, url: url.trim(), event, format: 'rinkel', contentType });
  };

  const remove = async () => {
    if (!saved) return;
    const result = await submit.run(() => call(api.DELETE('/v1/orgs/{orgId}/webhooks/{webhookId}', { params: { path: { orgId: org.id, webhookId: saved.id } } })));
    if (result.ok) await onChanged();
  };

  return (
    <li className="event-row" data-testid={`rinkel-row-${event}`}>
      <form onSubmit={onSubmit} noValidate aria-labelledby={`${id}-title`}>
        <div className="event-row-head">
          <h3 id={`${id}-title`}>{title}</h3>
          {saved ? (
            <Link to={`${base}/integrations/webhooks/${seg(saved.id)}`} className="badge-link">
              <HealthBadge webhook={saved} />
              <span className="sr-only"> — settings of {title}</span>
            </Link>
          ) : (
            <Badge tone="muted">Not set up</Badge>
          )}
        </div>
        <p className="muted small">{when}</p>
        {saved && healthOf(saved).state !== 'healthy' ? <HealthLine webhook={saved} /> : null}
        <ProblemBanner problem={submit.problem} fields={['url', 'contentType', 'description']} />
        <div className="event-row-grid">
          <div className="url-test">
            <TextField
              id={`${id}-url`}
              label="URL"
              type="url"
              inputMode="url"
              placeholder="https://example.com/webhooks/rinkel"
              value={url}
              onChange={(e) => {
                setUrl(e.target.value);
                submit.clearField('url');
                test.clear();
              }}
              error={fieldError(submit.problem, 'url')}
            />
            <button type="button" className="secondary" disabled={test.busy || !url.trim()} onClick={() => void runTest()}>
              Test
            </button>
          </div>
          <TestResultView result={test.result} problem={test.problem} busy={test.busy} />
          <SelectField
            id={`${id}-content-type`}
            label="Content type"
            value={contentType}
            onChange={(e) => {
              setContentType(e.target.value as ContentType);
              submit.clearField('contentType');
            }}
            options={CONTENT_TYPES.map((c) => ({ value: c, label: c }))}
            error={fieldError(submit.problem, 'contentType')}
          />
          <TextField
            id={`${id}-description`}
            label="Description (optional)"
            value={description}
            onChange={(e) => {
              setDescription(e.target.value);
              submit.clearField('description');
            }}
            error={fieldError(submit.problem, 'description')}
          />
        </div>
        <div className="form-actions">
          <button type="submit" className="primary" disabled={submit.busy}>
            Save
          </button>
          {saved ? <ConfirmButton label="Delete" question={`Stop sending “${title}” events?`} onConfirm={remove} /> : null}
          <span className="form-status" role="status">
            {savedNote ? 'Saved' : ''}
          </span>
        </div>
      </form>
    </li>
  );
}
