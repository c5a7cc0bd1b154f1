// The *Test* button: send a sample event to any configuration, saved or not, and say how it went.
// It goes through the same sender (deadline, no redirects, connect-time target check) as real
// deliveries, but is not recorded as one.
import type { CallOrigin } from '../calls/call.ts';
import type { Clock } from '../clock.ts';
import { AppError } from '../errors.ts';
import type { EventType } from '../events/catalogue.ts';
import { renderBody } from '../formats/render.ts';
import type { ContentType, Format } from '../formats/format.ts';
import { sampleEvent } from '../formats/samples.ts';
import { newId } from '../ids.ts';
import { isDelivered, whyNotDelivered } from './delivered.ts';
import type { Org } from '../tenancy/org.ts';
import type { Sender } from './sender.ts';
import { webhookHeaders } from './signature.ts';

export interface TestTarget {
  url: string;
  format: Format;
  contentType: ContentType;
  apiToken: string | null;
  secrets: string[];
  timeoutMs: number;
}

export interface TestResult {
  ok: boolean;
  status: number | null;
  durationMs: number;
  error: string | null;
  /** The start of the receiver's answer, to show next to a red cross. */
  responseBody: string | null;
  event: EventType;
}

/** Events in catalogue order that the format can express, for a test without a chosen event. */
export const DEFAULT_TEST_EVENT: Record<Format, EventType> = {
  ringotel: 'call.incoming',
  rinkel: 'call.incoming',
  standard: 'call.incoming',
};

/** A sample call of this organization (its domain and country), from a stand-in connection. */
export function sampleOrigin(org: Pick<Org, 'id' | 'domain' | 'defaultCountry'>): Partial<CallOrigin> {
  return { org: { id: org.id, domain: org.domain, defaultCountry: org.defaultCountry } };
}

export async function sendTestEvent(deps: { sender: Sender; clock: Clock }, target: TestTarget, event: EventType, origin: Partial<CallOrigin>): Promise<TestResult> {
  const now = deps.clock.now();
  const body = renderBody(target.format, target.contentType, sampleEvent(event, now, origin), { apiToken: target.apiToken });
  if (body === null) {
    throw new AppError('VALIDATION_FAILED', `event: the ${target.format} format has no ${event} event, so it is never sent to this webhook; pick another`, { field: 'event' });
  }
  const id = `test_${newId('dlv', now).slice(4)}`;
  const headers = webhookHeaders(target.contentType, target.secrets, id, now, body);
  const result = await deps.sender.send({ url: target.url, headers, body, timeoutMs: target.timeoutMs });
  if (result.kind === 'error') return { ok: false, status: null, durationMs: result.durationMs, error: result.error, responseBody: null, event };
  const ok = result.bodyError === null && isDelivered(result.status);
  return {
    ok,
    status: result.status,
    durationMs: result.durationMs,
    error: result.bodyError ?? (ok ? null : whyNotDelivered(result.status)),
    responseBody: result.body.slice(0, 2_000),
    event,
  };
}
