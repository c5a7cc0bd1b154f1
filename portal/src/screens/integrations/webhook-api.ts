// Webhook calls several integration screens share: test sends, and telling which webhooks are the
// Ringotel integration and which the Rinkel event subscriptions (the same rule the Rinkel-compatible
// API uses: format rinkel with exactly one event).
import { useState } from 'react';
import { api, call, type Problem } from '../../api/client';
import type { ContentType, EventType, TestResult, Webhook } from '../../api/types';

/** How screens name a webhook: its description, else its URL. */
export function webhookName(w: Pick<Webhook, 'description' | 'url'>): string {
  return w.description?.trim() || w.url;
}

export function ringotelWebhooks(webhooks: Webhook[]): Webhook[] {
  return webhooks.filter((w) => w.format === 'ringotel');
}

export function rinkelWebhookFor(webhooks: Webhook[], event: EventType): Webhook | null {
  return webhooks.find((w) => w.format === 'rinkel' && w.events.length === 1 && w.events[0] === event) ?? null;
}

export type TestTarget =
  | { kind: 'saved'; orgId: string; webhookId: string; event?: EventType }
  | { kind: 'unsaved'; orgId: string; url: string; event: EventType; format: Webhook['format']; contentType: ContentType; apiToken?: string | null };

/** A test send and its answer, for a Test button. */
export function useWebhookTest() {
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<TestResult | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const run = async (target: TestTarget) => {
    setBusy(true);
    setProblem(null);
    setResult(null);
    const answer =
      target.kind === 'saved'
        ? await call(
            api.POST('/v1/orgs/{orgId}/webhooks/{webhookId}/test', {
              params: { path: { orgId: target.orgId, webhookId: target.webhookId } },
              body: target.event ? { event: target.event } : {},
            }),
          )
        : await call(
            api.POST('/v1/orgs/{orgId}/webhooks/test', {
              params: { path: { orgId: target.orgId } },
              body: {
                url: target.url,
                event: target.event,
                format: target.format as 'ringotel' | 'rinkel' | 'standard',
                contentType: target.contentType,
                ...(target.apiToken ? { apiToken: target.apiToken } : {}),
              },
            }),
          );
    setBusy(false);
    if (answer.ok) setResult(answer.data);
    else setProblem(answer.problem);
  };
  const clear = () => {
    setResult(null);
    setProblem(null);
  };
  return { busy, result, problem, run, clear };
}

/** "Once an hour for 24 hours" for the default schedule, else the delays in words. */
export function describeSchedule(schedule: number[] | null): string {
  if (!schedule) return 'Default: once an hour for 24 hours';
  if (schedule.length === 0) return 'No retries (one attempt only)';
  const words = schedule.map((s) => (s % 3600 === 0 ? `${s / 3600} h` : s % 60 === 0 ? `${s / 60} min` : `${s} s`));
  return `${schedule.length} retr${schedule.length === 1 ? 'y' : 'ies'}, after ${words.join(', ')}`;
}
