// Builders for the Store contract suite: organizations, webhooks, ingest requests planned the way the
// service plans them (sources/plan-steps.ts), and attempt outcomes. Only the port is used here, so the
// same fixtures serve every implementation. Times are fixed; nothing sleeps.
import { expect } from 'vitest';
import type { CallOrigin } from '../../calls/call.ts';
import type { CallStep } from '../../calls/steps.ts';
import type { AttemptOutcome, DeliveryJob, NextState } from '../../delivery/delivery.ts';
import type { Webhook } from '../../delivery/webhook.ts';
import { type WebhookInput, newWebhook } from '../../delivery/webhook-settings.ts';
import { AppError, type ErrorCode } from '../../errors.ts';
import { newId } from '../../ids.ts';
import { planSteps } from '../../sources/plan-steps.ts';
import type { Connection, Org } from '../../tenancy/org.ts';
import type { Recording } from '../../recordings/recording.ts';
import type {
  ApplyStepsInput,
  ExhaustedContext,
  IngestPlan,
  Page,
  PlanReads,
  RecordResultsInput,
  RecordResultsOutput,
  Store,
} from '../store.ts';

/** The suite's fixed clock: 2025-03-03 09:00:00 UTC. */
export const T0 = Date.UTC(2025, 2, 3, 9, 0, 0);
export const SECOND = 1_000;
export const MINUTE = 60 * SECOND;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

/** The dispatcher that ingests (fresh deliveries are leased to it) and another one. */
export const OWNER = 'dispatcher-a';
export const OTHER = 'dispatcher-b';
export const LEASE_MS = MINUTE;
/** How long a recording step's fetch may keep trying. */
export const FETCH_DEADLINE_MS = DAY;

export type AcceptedPlan = Extract<IngestPlan, { kind: 'accepted' }>;

export interface Tenant {
  org: Org;
  connection: Connection;
}

export function makeOrg(overrides: Partial<Org> = {}): Org {
  const id = overrides.id ?? newId('org');
  return {
    id,
    name: 'Acme',
    domain: `${id.toLowerCase()}.example`,
    plan: 'pro',
    notificationEmails: ['ops@acme.example'],
    defaultCountry: 'NL',
    createdAt: T0,
    updatedAt: T0,
    ...overrides,
  };
}

export function makeConnection(orgId: string, overrides: Partial<Connection> = {}): Connection {
  return { id: newId('conn'), orgId, name: 'PBX', hep: null, recordingSources: [], createdAt: T0, revokedAt: null, ...overrides };
}

/** An organization with one connection (ingest token hash `hash-<connection id>`). */
export async function createTenant(store: Store, overrides: Partial<Org> = {}): Promise<Tenant> {
  const org = await store.orgs.create(makeOrg(overrides));
  const connection = makeConnection(org.id);
  await store.connections.create(connection, `hash-${connection.id}`);
  return { org, connection };
}

export async function createWebhook(store: Store, orgId: string, input: Partial<WebhookInput> = {}, now = T0): Promise<Webhook> {
  return store.webhooks.create(newWebhook(orgId, { url: 'https://receiver.example/hook', ...input }, now));
}

/** Disables a webhook (holding what it owes) through the store's one change operation. */
export async function disableWebhook(store: Store, orgId: string, id: string, reason: string, now: number): Promise<Webhook | null> {
  return (await store.webhooks.change(orgId, id, { state: { enabled: false, reason } }, now))?.value ?? null;
}

export async function enableWebhook(store: Store, orgId: string, id: string, now: number): Promise<Webhook | null> {
  return (await store.webhooks.change(orgId, id, { state: { enabled: true } }, now))?.value ?? null;
}

export const started = (callId: string, at: number): CallStep => ({
  type: 'started', callId, direction: 'inbound', from: '+31850609001', to: '+31850609000', at,
});
export const answered = (callId: string, at: number): CallStep => ({ type: 'answered', callId, at });
export const ended = (callId: string, at: number): CallStep => ({ type: 'ended', callId, at });

export interface IngestOptions {
  now?: number;
  owner?: string;
  leaseMs?: number;
  /** No lease: an API-only process leaves the fresh deliveries to any worker. */
  unleased?: boolean;
  /** Changes the accepted plan before the store writes it (e.g. to break it on purpose). */
  tamper?: (plan: AcceptedPlan) => IngestPlan;
  /** The stored recording a recording-stored step brings. */
  recording?: Recording;
  /** The fetch job the steps complete. */
  completesFetch?: string;
  /** The directory the plan reads (default: nothing), as the service asks for it. */
  reads?: PlanReads;
}

/** The ingest plan as the service builds it: track each step, then fan the events out. */
export function ingestInput(tenant: Tenant, steps: CallStep[], options: IngestOptions = {}): ApplyStepsInput {
  const now = options.now ?? T0;
  const { org, connection } = tenant;
  const origin: CallOrigin = {
    org: { id: org.id, domain: org.domain, defaultCountry: org.defaultCountry },
    connection: { id: connection.id, name: connection.name },
  };
  return {
    orgId: org.id,
    connectionId: connection.id,
    callIds: [...new Set(steps.map((s) => s.callId))],
    now,
    lease: options.unleased ? null : { owner: options.owner ?? OWNER, until: now + (options.leaseMs ?? LEASE_MS) },
    completesFetch: options.completesFetch,
    reads: options.reads ?? { userRefs: [], rules: false, numbers: false },
    plan(loaded) {
      const { users, rules, numbers } = loaded;
      const plan = planSteps(
        { steps, origin, users, now, deliverable: true, batch: true, rules, numbers, connectionId: connection.id, fetchDeadlineMs: FETCH_DEADLINE_MS, recording: options.recording },
        loaded,
      );
      if (plan.kind === 'rejected') return plan;
      return options.tamper ? options.tamper(plan) : plan;
    },
  };
}

/** Runs an ingest request that must be accepted; returns the written plan and the fresh jobs. */
export async function ingest(store: Store, tenant: Tenant, steps: CallStep[], options: IngestOptions = {}) {
  const result = await store.calls.applySteps(ingestInput(tenant, steps, options));
  if (result.plan.kind !== 'accepted') throw new Error(`ingest rejected: ${result.plan.error.message}`);
  return { plan: result.plan, fresh: result.fresh };
}

/** The one item of a list (fails the test if there is not exactly one). */
export function only<T>(items: T[]): T {
  expect(items).toHaveLength(1);
  return items[0]!;
}

export function outcome(
  job: DeliveryJob,
  at: number,
  result: { status: number | null; error?: string | null; next: NextState },
): AttemptOutcome {
  const succeeded = result.status !== null && result.status >= 200 && result.status < 300;
  return {
    job,
    attempt: {
      id: newId('att'),
      deliveryId: job.deliveryId,
      orgId: job.orgId,
      webhookId: job.webhookId,
      number: job.attempts + 1,
      trigger: job.manual ? 'manual' : 'scheduled',
      startedAt: at,
      durationMs: 120,
      url: job.target.url,
      requestHeaders: { 'content-type': job.contentType, 'webhook-id': job.deliveryId },
      status: result.status,
      responseHeaders: result.status === null ? null : { 'content-type': 'text/plain' },
      responseBody: result.status === null ? null : succeeded ? 'ok' : 'boom',
      responseBodyTruncated: false,
      error: result.error ?? null,
      succeeded,
    },
    next: result.next,
  };
}

export const success = (job: DeliveryJob, at: number) => outcome(job, at, { status: 200, next: { status: 'succeeded' } });
export const retryAt = (job: DeliveryJob, at: number, nextAttemptAt: number) =>
  outcome(job, at, { status: 500, next: { status: 'pending', nextAttemptAt } });
export const giveUp = (job: DeliveryJob, at: number, error = 'connect ECONNREFUSED') =>
  outcome(job, at, { status: null, error, next: { status: 'failed' } });
export const manualFailure = (job: DeliveryJob, at: number) => outcome(job, at, { status: 503, next: { status: 'unchanged' } });

export const keepEnabled: RecordResultsInput['onExhausted'] = () => ({ disable: false, reason: '', notification: null });

/** Disables the webhook and owes one e-mail; remembers every context it was called with. */
export function disableAndNotify(seen: ExhaustedContext[] = [], createdAt = T0): RecordResultsInput['onExhausted'] {
  return (context) => {
    seen.push(structuredClone(context));
    return {
      disable: true,
      reason: `delivery ${context.delivery.id} exhausted its schedule`,
      notification: {
        id: newId('ntf'),
        orgId: context.org.id,
        kind: 'webhook-disabled',
        subjectId: context.webhook.id,
        to: context.org.notificationEmails,
        subject: `Webhook ${context.webhook.id} was disabled`,
        text: `Last error: ${context.lastError}`,
        createdAt,
      },
    };
  };
}

export async function record(
  store: Store,
  outcomes: AttemptOutcome[],
  now: number,
  options: { owner?: string; onExhausted?: RecordResultsInput['onExhausted'] } = {},
): Promise<RecordResultsOutput> {
  return store.deliveries.recordResults({
    outcomes,
    now,
    lease: { owner: options.owner ?? OWNER, until: now + LEASE_MS },
    onExhausted: options.onExhausted ?? keepEnabled,
  });
}

export async function claim(store: Store, now: number, options: { owner?: string; limit?: number; perWebhookLimit?: number; skipWebhookIds?: string[] } = {}) {
  return store.deliveries.claimDue({
    owner: options.owner ?? OTHER,
    now,
    leaseMs: LEASE_MS,
    limit: options.limit ?? 100,
    perWebhookLimit: options.perWebhookLimit ?? 100,
    skipWebhookIds: options.skipWebhookIds ?? [],
  });
}

export async function expectAppError(promise: Promise<unknown>, code: ErrorCode): Promise<AppError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error, `expected an AppError ${code}`).toBeInstanceOf(AppError);
  expect((error as AppError).code).toBe(code);
  return error as AppError;
}

/** Walks a cursor-paginated list to the end; returns the pages. */
export async function allPages<T>(fetch: (after: string | undefined) => Promise<Page<T>>): Promise<T[][]> {
  const pages: T[][] = [];
  let after: string | undefined;
  for (let i = 0; i < 50; i++) {
    const page = await fetch(after);
    pages.push(page.data);
    if (page.nextCursor === null) return pages;
    after = page.nextCursor;
  }
  throw new Error('pagination did not end after 50 pages');
}

export const ids = (items: ReadonlyArray<{ id: string }>): string[] => items.map((item) => item.id);
