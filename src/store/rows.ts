// Rows → records for both backends (same column names; values read leniently: numbers may come as
// bigint or string, booleans as 0/1 or true/false, JSON columns as text), and the paging and
// patching helpers they share.
import type { Account, Session } from '../tenancy/account.ts';
import type { Attempt, Delivery, DeliveryJob, DeliveryStatus } from '../delivery/delivery.ts';
import { type Webhook, signingSecrets } from '../delivery/webhook.ts';
import type { DeliveryState } from '../delivery/transitions.ts';
import type { EventType } from '../events/catalogue.ts';
import type { ContentType, Format } from '../formats/format.ts';
import type { Notification, NotificationStatus } from '../notify/notification.ts';
import type { ApiKey, Connection, DirectoryUser, Org, PhoneNumber, RecordingSource } from '../tenancy/org.ts';
import type { Page } from './store.ts';
import type { TrackedCall } from '../calls/tracker.ts';
import type { CallUser } from '../calls/call.ts';
import type { CallEvent } from '../events/event.ts';
import { withParties } from '../calls/call-numbers.ts';
import type { AudioType } from '../recordings/audio-probe.ts';
import type { FetchStatus, NewRecordingFetch, Recording, RecordingFetch } from '../recordings/recording.ts';

export type Row = Record<string, unknown>;

/** A patch without its undefined keys: a field left out (or undefined) is not changed. */
export function given<T extends object>(patch: T): Partial<T> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<T>;
}

/** A page from limit+1 rows (the extra row only says that another page follows). */
export function toPage<T>(rows: T[], limit: number, cursorOf: (item: T) => string): Page<T> {
  if (rows.length <= limit) return { data: rows, nextCursor: null };
  const data = rows.slice(0, limit);
  return { data, nextCursor: cursorOf(data[data.length - 1]!) };
}

export function json<T>(value: unknown): T {
  return JSON.parse(value as string) as T;
}

export function jsonOrNull<T>(value: unknown): T | null {
  return value === null || value === undefined ? null : (JSON.parse(value as string) as T);
}

export function bool(value: unknown): boolean {
  return value === true || value === 1 || value === 1n;
}

export function numOrNull(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}

export function strOrNull(value: unknown): string | null {
  return value === null || value === undefined ? null : String(value);
}

export const deliveryFrom = (row: Row): Delivery => ({
  id: String(row.id),
  orgId: String(row.org_id),
  webhookId: String(row.webhook_id),
  eventId: String(row.event_id),
  eventType: String(row.event_type) as EventType,
  callId: String(row.call_id),
  status: String(row.status) as DeliveryStatus,
  attempts: Number(row.attempts),
  nextAttemptAt: numOrNull(row.next_attempt_at),
  firstAttemptAt: numOrNull(row.first_attempt_at),
  lastAttemptAt: numOrNull(row.last_attempt_at),
  lastStatus: numOrNull(row.last_status),
  lastError: strOrNull(row.last_error),
  contentType: String(row.content_type) as ContentType,
  body: String(row.body),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

/** The columns `deliveryStateFrom` reads: all a result's transition weighs, without the body. */
export const DELIVERY_STATE_COLUMNS =
  'id, org_id, webhook_id, event_id, event_type, call_id, status, attempts, schedule_attempts, next_attempt_at, first_attempt_at, ' +
  'last_attempt_at, last_status, last_error, content_type, created_at, updated_at, lease_owner, lease_version';

export function deliveryStateFrom(row: Row): DeliveryState {
  const { body: _body, ...delivery } = deliveryFrom({ ...row, body: '' });
  return { ...delivery, scheduleAttempts: Number(row.schedule_attempts), leaseOwner: strOrNull(row.lease_owner), leaseVersion: Number(row.lease_version) };
}

export const attemptFrom = (row: Row): Attempt => ({
  id: String(row.id),
  deliveryId: String(row.delivery_id),
  orgId: String(row.org_id),
  webhookId: String(row.webhook_id),
  number: Number(row.number),
  trigger: String(row.trigger) as Attempt['trigger'],
  startedAt: Number(row.started_at),
  durationMs: Number(row.duration_ms),
  url: String(row.url),
  requestHeaders: json<Record<string, string>>(row.request_headers),
  status: numOrNull(row.status),
  responseHeaders: jsonOrNull<Record<string, string>>(row.response_headers),
  responseBody: strOrNull(row.response_body),
  responseBodyTruncated: bool(row.response_body_truncated),
  error: strOrNull(row.error),
  succeeded: bool(row.succeeded),
});

/** Jobs for delivery rows, each with its webhook's row (a delivery whose webhook is gone is left out). */
export function jobsOf(rows: Row[], webhookRows: Row[], now: number, manual: boolean): DeliveryJob[] {
  if (rows.length === 0) return [];
  const webhooks = new Map(webhookRows.map((w) => [String(w.id), webhookFrom(w)]));
  return rows.filter((r) => webhooks.has(String(r.webhook_id))).map((r) => jobFrom(r, webhooks.get(String(r.webhook_id))!, now, manual));
}

export function jobFrom(row: Row, webhook: Webhook, now: number, manual: boolean): DeliveryJob {
  return {
    deliveryId: String(row.id),
    orgId: String(row.org_id),
    webhookId: String(row.webhook_id),
    eventType: String(row.event_type) as EventType,
    callId: String(row.call_id),
    contentType: String(row.content_type) as ContentType,
    body: String(row.body),
    attempts: Number(row.attempts),
    scheduleAttempts: Number(row.schedule_attempts),
    firstAttemptAt: numOrNull(row.first_attempt_at),
    createdAt: Number(row.created_at),
    lease: { owner: String(row.lease_owner), version: Number(row.lease_version), until: Number(row.lease_until) },
    manual,
    target: {
      url: webhook.url,
      secrets: signingSecrets(webhook, now),
      timeoutMs: webhook.timeoutMs,
      retryScheduleS: webhook.retryScheduleS,
      settingsVersion: webhook.settingsVersion,
    },
  };
}

export const notificationFrom = (row: Row): Notification => ({
  id: String(row.id),
  orgId: String(row.org_id),
  kind: String(row.kind) as Notification['kind'],
  subjectId: String(row.subject_id),
  to: json<string[]>(row.recipients),
  subject: String(row.subject),
  text: String(row.text),
  status: String(row.status) as NotificationStatus,
  attempts: Number(row.attempts),
  nextAttemptAt: numOrNull(row.next_attempt_at),
  lastError: strOrNull(row.last_error),
  createdAt: Number(row.created_at),
  sentAt: numOrNull(row.sent_at),
});

export const orgFrom = (row: Row): Org => ({
  id: String(row.id),
  name: String(row.name),
  domain: String(row.domain),
  plan: String(row.plan),
  notificationEmails: json<string[]>(row.notification_emails),
  defaultCountry: strOrNull(row.default_country),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});

export const connectionFrom = (row: Row): Connection => ({
  id: String(row.id),
  orgId: String(row.org_id),
  name: String(row.name),
  hep: row.hep_capture_id === null ? null : { captureId: Number(row.hep_capture_id), authKey: strOrNull(row.hep_auth_key) },
  recordingSources: jsonOrNull<RecordingSource[]>(row.recording_sources) ?? [],
  createdAt: Number(row.created_at),
  revokedAt: numOrNull(row.revoked_at),
});

export const apiKeyFrom = (row: Row): ApiKey => ({
  id: String(row.id),
  orgId: String(row.org_id),
  name: String(row.name),
  prefix: String(row.key_prefix),
  createdAt: Number(row.created_at),
  lastUsedAt: numOrNull(row.last_used_at),
});

export const accountFrom = (row: Row): Account => ({
  id: String(row.id),
  email: String(row.email),
  name: String(row.name),
  role: row.role === 'operator' ? 'operator' : 'admin',
  orgId: strOrNull(row.org_id),
  createdAt: Number(row.created_at),
});

export const sessionFrom = (row: Row): Session => ({
  accountId: String(row.account_id),
  createdAt: Number(row.created_at),
  expiresAt: Number(row.expires_at),
});

/** What a call keeps of the user a step names. */
export const callUserOf = (u: DirectoryUser): CallUser => ({ id: u.id, extension: u.extension, email: u.email, name: u.name });

export const userFrom = (row: Row): DirectoryUser => ({
  orgId: String(row.org_id),
  id: String(row.id),
  extension: strOrNull(row.extension),
  email: strOrNull(row.email),
  name: strOrNull(row.name),
  createdAt: Number(row.created_at),
});

export const numberFrom = (row: Row): PhoneNumber => ({
  id: String(row.id),
  orgId: String(row.org_id),
  number: String(row.number),
  label: strOrNull(row.label),
  userId: strOrNull(row.user_id),
  main: bool(row.is_main),
  createdAt: Number(row.created_at),
});

/** A stored call state; calls stored before their E.164 parties were resolved get them read now. */
export function trackedCallFrom(value: unknown): TrackedCall {
  const tracked = json<TrackedCall>(value);
  return { ...tracked, call: withParties(tracked.call) };
}

/** A stored event, read like trackedCallFrom. */
export function callEventFrom(value: unknown): CallEvent {
  const event = json<CallEvent>(value);
  return { ...event, call: withParties(event.call) };
}

export const webhookFrom = (row: Row): Webhook => ({
  id: String(row.id),
  orgId: String(row.org_id),
  url: String(row.url),
  events: json<EventType[]>(row.events),
  format: String(row.format) as Format,
  contentType: String(row.content_type) as ContentType,
  apiToken: strOrNull(row.api_token),
  description: strOrNull(row.description),
  retryScheduleS: jsonOrNull<number[]>(row.retry_schedule_s),
  timeoutMs: numOrNull(row.timeout_ms),
  secret: String(row.secret),
  previousSecret: strOrNull(row.previous_secret),
  previousSecretExpiresAt: numOrNull(row.previous_secret_expires_at),
  enabled: bool(row.enabled),
  disabledReason: strOrNull(row.disabled_reason),
  disabledAt: numOrNull(row.disabled_at),
  lastSuccessAt: numOrNull(row.last_success_at),
  lastError: strOrNull(row.last_error),
  consecutiveFailures: Number(row.consecutive_failures ?? 0),
  failingSince: numOrNull(row.failing_since),
  lastFailureAt: numOrNull(row.last_failure_at),
  settingsVersion: Number(row.settings_version),
  createdAt: Number(row.created_at),
  updatedAt: Number(row.updated_at),
});


/** A connection's recording sources as stored: JSON, or NULL for none. */
export function sourcesJson(sources: readonly RecordingSource[] | undefined): string | null {
  return sources && sources.length > 0 ? JSON.stringify(sources) : null;
}

export const recordingFrom = (row: Row): Recording => ({
  id: String(row.id),
  orgId: String(row.org_id),
  callId: String(row.call_id),
  connectionId: String(row.connection_id),
  linkKey: String(row.link_key),
  contentType: String(row.content_type) as AudioType,
  bytes: Number(row.bytes),
  durationS: row.duration_ms === null || row.duration_ms === undefined ? null : Number(row.duration_ms) / 1_000,
  sha256: String(row.sha256),
  blobKey: strOrNull(row.blob_key),
  createdAt: Number(row.created_at),
  purgedAt: numOrNull(row.purged_at),
});

/** A recording's row values, in the column order both backends insert them. */
export function recordingValues(r: Recording): unknown[] {
  return [r.id, r.orgId, r.callId, r.connectionId, r.linkKey, r.contentType, r.bytes, r.durationS === null ? null : Math.round(r.durationS * 1_000), r.sha256, r.blobKey, r.createdAt, r.purgedAt];
}
export const RECORDING_COLUMNS = 'id, org_id, call_id, connection_id, link_key, content_type, bytes, duration_ms, sha256, blob_key, created_at, purged_at';

export const fetchFrom = (row: Row): RecordingFetch => ({
  id: String(row.id),
  orgId: String(row.org_id),
  connectionId: String(row.connection_id),
  callId: String(row.call_id),
  url: String(row.url),
  eventId: String(row.event_id),
  at: Number(row.at),
  subject: strOrNull(row.subject),
  description: strOrNull(row.description),
  deadlineAt: Number(row.deadline_at),
  createdAt: Number(row.created_at),
  status: String(row.status) as FetchStatus,
  attempts: Number(row.attempts),
  nextAttemptAt: numOrNull(row.next_attempt_at),
  lastError: strOrNull(row.last_error),
});

/** A new fetch job's row values, in the column order both backends insert them. */
export function fetchValues(f: NewRecordingFetch): unknown[] {
  return [f.id, f.orgId, f.connectionId, f.callId, f.url, f.eventId, f.at, f.subject, f.description, 'pending', f.createdAt, f.deadlineAt, f.createdAt, f.createdAt];
}
export const FETCH_COLUMNS = 'id, org_id, connection_id, call_id, url, event_id, at, subject, description, status, next_attempt_at, deadline_at, created_at, updated_at';
