// The transition table: one row per case a result can meet — the delivery as stored, the attempt's
// outcome, the webhook, the clock — and the row changes planned for it. The store contract
// (store/contract/outcomes.ts) proves both stores apply such plans alike.
import { describe, expect, it } from 'vitest';
import type { Org } from '../tenancy/org.ts';
import type { AttemptOutcome, NextState } from './delivery.ts';
import { disableOnExhaustion } from './disable-rule.ts';
import { type DeliveryChange, type DeliveryState, type ExhaustedContext, type ExhaustionPolicy, type ResultsPlan, planResults, toConsult } from './transitions.ts';
import type { Webhook } from './webhook.ts';

const T = Date.UTC(2025, 2, 3, 9);
const S = 1_000;
const H = 3_600_000;
const NOW = T + 10 * S;
const ME = 'proc_me';

const org: Org = { id: 'org_1', name: 'Acme', domain: 'acme.example', plan: 'pro', notificationEmails: ['ops@acme.example'], defaultCountry: 'NL', createdAt: T, updatedAt: T };

function webhook(id: string, overrides: Partial<Webhook> = {}): Webhook {
  return {
    id, orgId: org.id, url: `https://${id}.example/hook`, events: ['call.incoming'], format: 'standard', contentType: 'application/json', apiToken: null,
    description: null, retryScheduleS: null, timeoutMs: null, secret: 'whsec_x', previousSecret: null, previousSecretExpiresAt: null, enabled: true,
    disabledReason: null, disabledAt: null, lastSuccessAt: null, lastError: null, settingsVersion: 7, consecutiveFailures: 0, failingSince: null, lastFailureAt: null,
    createdAt: T, updatedAt: T, ...overrides,
  };
}

/** A delivery of `w1` as stored: pending, leased to ME at version 3, never attempted. */
function stored(id: string, overrides: Partial<DeliveryState> = {}): DeliveryState {
  return {
    id, orgId: org.id, webhookId: 'w1', eventId: `evt_${id}`, eventType: 'call.incoming', callId: 'call_1', status: 'pending', attempts: 0,
    scheduleAttempts: 0, nextAttemptAt: T, firstAttemptAt: null, lastAttemptAt: null, lastStatus: null, lastError: null, contentType: 'application/json',
    createdAt: T, updatedAt: T, leaseOwner: ME, leaseVersion: 3, ...overrides,
  };
}

type Result = 'ok' | 'retry' | 'retry-after' | 'exhausted' | 'manual-fail' | 'aborted';
const NEXT: Record<Result, NextState> = {
  ok: { status: 'succeeded' },
  retry: { status: 'pending', nextAttemptAt: NOW + H },
  'retry-after': { status: 'pending', nextAttemptAt: NOW + 5 * H, scheduleSteps: 5 },
  exhausted: { status: 'failed' },
  'manual-fail': { status: 'unchanged' },
  aborted: { status: 'aborted' },
};
const ERROR: Record<Result, string | null> = {
  ok: null, retry: null, 'retry-after': null, exhausted: 'connect ECONNREFUSED', 'manual-fail': null, aborted: 'aborted: the webhook changed',
};
const STATUS: Record<Result, number | null> = { ok: 200, retry: 500, 'retry-after': 503, exhausted: null, 'manual-fail': 502, aborted: null };

/** The result of an attempt started at `at` on delivery `id` of `webhookId`, under lease `owner`/`version`. */
function result(id: string, kind: Result, at: number, job: { webhookId?: string; owner?: string; version?: number } = {}): AttemptOutcome {
  const webhookId = job.webhookId ?? 'w1';
  return {
    job: {
      deliveryId: id, orgId: org.id, webhookId, eventType: 'call.incoming', callId: 'call_1', contentType: 'application/json', body: '{}', attempts: 0, createdAt: T,
      scheduleAttempts: 0, firstAttemptAt: null, lease: { owner: job.owner ?? ME, version: job.version ?? 3, until: NOW + 60 * S }, manual: kind === 'manual-fail',
      target: { url: `https://${webhookId}.example/hook`, secrets: ['whsec_x'], timeoutMs: null, retryScheduleS: null, settingsVersion: 7 },
    },
    attempt: {
      id: `att_${id}_${kind}`, deliveryId: id, orgId: org.id, webhookId, number: 1, trigger: kind === 'manual-fail' ? 'manual' : 'scheduled', startedAt: at,
      durationMs: 5, url: `https://${webhookId}.example/hook`, requestHeaders: {}, status: STATUS[kind], responseHeaders: null, responseBody: null,
      responseBodyTruncated: false, error: kind === 'ok' ? null : (ERROR[kind] ?? `HTTP ${STATUS[kind]}`), succeeded: kind === 'ok',
    },
    next: NEXT[kind],
  };
}

interface Row {
  case: string;
  deliveries: DeliveryState[];
  /** The webhooks as stored (weighed only for exhaustions); `w1` enabled, never succeeded, by default. */
  webhooks?: Webhook[];
  outcomes: AttemptOutcome[];
  /** What the exhaustion policy answers (default: keep the webhook enabled). */
  policy?: 'disable' | 'keep';
  expected: Partial<Omit<ResultsPlan, 'attempts'>> & { attempts?: string[]; consulted?: Array<Pick<ExhaustedContext, 'lastError'> & { lastSuccessAt: number | null; attempts: number }> };
}

/** The planned change of a delivery that was pending (never attempted) after one attempt at `at`. */
const moved = (id: string, at: number, fields: Pick<DeliveryChange, 'status' | 'nextAttemptAt'> & Partial<DeliveryChange>): DeliveryChange => ({
  id, attempts: 1, scheduleAttempts: 0, firstAttemptAt: at, lastAttemptAt: at, lastStatus: null, lastError: null, ...fields,
});

const TABLE: Row[] = [
  {
    case: 'success: succeeded, its successor goes next, the webhook has a success',
    deliveries: [stored('d1')],
    outcomes: [result('d1', 'ok', T + S)],
    expected: {
      deliveries: [moved('d1', T + S, { status: 'succeeded', nextAttemptAt: null, lastStatus: 200 })],
      webhooks: [{ webhookId: 'w1', lastSuccessAt: T + S, lastError: null }],
      releaseAfter: ['d1'], attempts: ['att_d1_ok'],
    },
  },
  {
    case: 'retry: pending at the next time, one schedule step on, the first attempt time kept',
    deliveries: [stored('d1', { attempts: 2, scheduleAttempts: 2, firstAttemptAt: T - H, lastAttemptAt: T })],
    outcomes: [result('d1', 'retry', T + S)],
    expected: {
      deliveries: [{ id: 'd1', status: 'pending', attempts: 3, scheduleAttempts: 3, nextAttemptAt: NOW + H, firstAttemptAt: T - H, lastAttemptAt: T + S, lastStatus: 500, lastError: 'HTTP 500' }],
      webhooks: [{ webhookId: 'w1', lastSuccessAt: null, lastError: 'HTTP 500' }],
    },
  },
  {
    case: "Retry-After: pending at the receiver's time, the schedule steps it passed over counted",
    deliveries: [stored('d1')],
    outcomes: [result('d1', 'retry-after', T + S)],
    expected: { deliveries: [moved('d1', T + S, { status: 'pending', scheduleAttempts: 5, nextAttemptAt: NOW + 5 * H, lastStatus: 503, lastError: 'HTTP 503' })] },
  },
  {
    case: 'exhausted, policy keeps the webhook: failed, the policy sees the delivery as it now stands, its successor goes next',
    deliveries: [stored('d1', { attempts: 24, scheduleAttempts: 24, firstAttemptAt: T - 24 * H })],
    outcomes: [result('d1', 'exhausted', T + S)],
    expected: {
      deliveries: [{ id: 'd1', status: 'failed', attempts: 25, scheduleAttempts: 25, nextAttemptAt: null, firstAttemptAt: T - 24 * H, lastAttemptAt: T + S, lastStatus: null, lastError: 'connect ECONNREFUSED' }],
      consulted: [{ lastError: 'connect ECONNREFUSED', lastSuccessAt: null, attempts: 25 }],
      releaseAfter: ['d1'], disables: [],
    },
  },
  {
    case: 'exhausted, policy disables: failed, webhook disabled with its e-mail, no successor released',
    deliveries: [stored('d1')],
    outcomes: [result('d1', 'exhausted', T + S)],
    policy: 'disable',
    expected: {
      deliveries: [moved('d1', T + S, { status: 'failed', scheduleAttempts: 1, nextAttemptAt: null, lastError: 'connect ECONNREFUSED' })],
      disables: [{ webhookId: 'w1', reason: 'exhausted d1', notification: expect.objectContaining({ subjectId: 'w1' }) as never }],
      releaseAfter: [],
    },
  },
  {
    case: "exhausted: the policy sees the batch's success of the webhook, even one recorded after",
    deliveries: [stored('d1'), stored('d2', { webhookId: 'w1', callId: 'call_2' })],
    webhooks: [webhook('w1', { lastSuccessAt: T - H })],
    outcomes: [result('d1', 'exhausted', T + S), result('d2', 'ok', T + 2 * S)],
    expected: { consulted: [{ lastError: 'connect ECONNREFUSED', lastSuccessAt: T + 2 * S, attempts: 1 }], releaseAfter: ['d1', 'd2'] },
  },
  {
    case: 'exhausted, the webhook already disabled (not yet holding this one): failed, the policy not asked',
    deliveries: [stored('d1')],
    webhooks: [webhook('w1', { enabled: false })],
    outcomes: [result('d1', 'exhausted', T + S)],
    policy: 'disable',
    expected: { deliveries: [moved('d1', T + S, { status: 'failed', scheduleAttempts: 1, nextAttemptAt: null, lastError: 'connect ECONNREFUSED' })], consulted: [], disables: [] },
  },
  {
    case: 'exhausted, the webhook or organization gone meanwhile: failed, the policy not asked',
    deliveries: [stored('d1')],
    webhooks: [],
    outcomes: [result('d1', 'exhausted', T + S)],
    policy: 'disable',
    expected: { consulted: [], disables: [] },
  },
  {
    case: 'held (webhook disabled in flight) + success: succeeded, but the held successors stay held',
    deliveries: [stored('d1', { status: 'held', nextAttemptAt: null })],
    outcomes: [result('d1', 'ok', T + S)],
    expected: { deliveries: [moved('d1', T + S, { status: 'succeeded', nextAttemptAt: null, lastStatus: 200 })], releaseAfter: [] },
  },
  {
    case: 'held + retry: stays held with no next time (not retried against a disabled webhook)',
    deliveries: [stored('d1', { status: 'held', nextAttemptAt: null })],
    outcomes: [result('d1', 'retry', T + S)],
    expected: { deliveries: [moved('d1', T + S, { status: 'held', scheduleAttempts: 1, nextAttemptAt: null, lastStatus: 500, lastError: 'HTTP 500' })] },
  },
  {
    case: 'held + exhausted: stays held, the policy not asked',
    deliveries: [stored('d1', { status: 'held', nextAttemptAt: null })],
    outcomes: [result('d1', 'exhausted', T + S)],
    policy: 'disable',
    expected: { deliveries: [moved('d1', T + S, { status: 'held', scheduleAttempts: 1, nextAttemptAt: null, lastError: 'connect ECONNREFUSED' })], consulted: [], disables: [], releaseAfter: [] },
  },
  {
    case: 'failed manual attempt on a failed delivery: stays failed, no schedule step, attempt counted',
    deliveries: [stored('d1', { status: 'failed', nextAttemptAt: null, attempts: 25, scheduleAttempts: 25, firstAttemptAt: T - 24 * H, lastAttemptAt: T - S })],
    outcomes: [result('d1', 'manual-fail', T + S)],
    expected: {
      deliveries: [{ id: 'd1', status: 'failed', attempts: 26, scheduleAttempts: 25, nextAttemptAt: null, firstAttemptAt: T - 24 * H, lastAttemptAt: T + S, lastStatus: 502, lastError: 'HTTP 502' }],
      releaseAfter: [],
    },
  },
  {
    case: 'failed manual attempt on a pending delivery: still due at its time',
    deliveries: [stored('d1', { nextAttemptAt: T + H, attempts: 1, scheduleAttempts: 1, firstAttemptAt: T - S })],
    outcomes: [result('d1', 'manual-fail', T + S)],
    expected: { deliveries: [{ id: 'd1', status: 'pending', attempts: 2, scheduleAttempts: 1, nextAttemptAt: T + H, firstAttemptAt: T - S, lastAttemptAt: T + S, lastStatus: 502, lastError: 'HTTP 502' }] },
  },
  {
    case: 'aborted by a webhook change: as it was and due again; not the receiver\'s failure',
    deliveries: [stored('d1')],
    outcomes: [result('d1', 'aborted', T + S)],
    expected: { deliveries: [moved('d1', T + S, { status: 'pending', nextAttemptAt: T, lastError: 'aborted: the webhook changed' })], webhooks: [], releaseAfter: [] },
  },
  {
    case: 'aborted while the change held it: stays held',
    deliveries: [stored('d1', { status: 'held', nextAttemptAt: null })],
    outcomes: [result('d1', 'aborted', T + S)],
    expected: { deliveries: [moved('d1', T + S, { status: 'held', nextAttemptAt: null, lastError: 'aborted: the webhook changed' })] },
  },
  {
    case: 'delivery gone (deleted with its webhook): stale, no attempt kept',
    deliveries: [],
    outcomes: [result('d1', 'ok', T + S)],
    expected: { stale: ['d1'], attempts: [], deliveries: [], webhooks: [] },
  },
  {
    case: 'lease taken by another process: stale, the attempt kept (and its success known), the row untouched',
    deliveries: [stored('d1', { leaseOwner: 'proc_other', leaseVersion: 4 })],
    outcomes: [result('d1', 'ok', T + S)],
    expected: { stale: ['d1'], attempts: ['att_d1_ok'], deliveries: [], releaseAfter: [], webhooks: [{ webhookId: 'w1', lastSuccessAt: T + S, lastError: null }] },
  },
  {
    case: 'lease of an older version, same owner: stale; an exhaustion is then not weighed',
    deliveries: [stored('d1', { leaseVersion: 4 })],
    outcomes: [result('d1', 'exhausted', T + S)],
    policy: 'disable',
    expected: { stale: ['d1'], deliveries: [], consulted: [], disables: [] },
  },
  {
    case: 'two results for one delivery in a batch (manual beside scheduled): the first moves it, the second is stale',
    deliveries: [stored('d1')],
    outcomes: [result('d1', 'ok', T + S), result('d1', 'retry', T + 2 * S)],
    expected: { deliveries: [moved('d1', T + S, { status: 'succeeded', nextAttemptAt: null, lastStatus: 200 })], stale: ['d1'], attempts: ['att_d1_ok', 'att_d1_retry'] },
  },
  {
    case: 'a batch disables a webhook: its results before it left pending are held, those after find it held, a success stays',
    deliveries: [stored('d0', { callId: 'c0' }), stored('d1', { callId: 'c1' }), stored('d2', { callId: 'c2' }), stored('d3', { callId: 'c3' })],
    outcomes: [result('d0', 'retry', T + S), result('d1', 'exhausted', T + S), result('d2', 'exhausted', T + S), result('d3', 'ok', T + 2 * S)],
    webhooks: [webhook('w1', { lastSuccessAt: T - 48 * H })],
    policy: 'disable',
    expected: {
      deliveries: [
        moved('d0', T + S, { status: 'held', scheduleAttempts: 1, nextAttemptAt: null, lastStatus: 500, lastError: 'HTTP 500' }),
        moved('d1', T + S, { status: 'failed', scheduleAttempts: 1, nextAttemptAt: null, lastError: 'connect ECONNREFUSED' }),
        moved('d2', T + S, { status: 'held', scheduleAttempts: 1, nextAttemptAt: null, lastError: 'connect ECONNREFUSED' }),
        moved('d3', T + 2 * S, { status: 'succeeded', nextAttemptAt: null, lastStatus: 200 }),
      ],
      consulted: [{ lastError: 'connect ECONNREFUSED', lastSuccessAt: T + 2 * S, attempts: 1 }],
      disables: [{ webhookId: 'w1', reason: 'exhausted d1', notification: expect.objectContaining({ subjectId: 'w1' }) as never }],
      releaseAfter: [],
    },
  },
  {
    case: "a batch disables one webhook: another webhook's finished delivery still releases its successor",
    deliveries: [stored('d1'), stored('d2', { webhookId: 'w2' })],
    outcomes: [result('d1', 'exhausted', T + S), result('d2', 'ok', T + S, { webhookId: 'w2' })],
    policy: 'disable',
    expected: { releaseAfter: ['d2'], webhooks: [{ webhookId: 'w1', lastSuccessAt: null, lastError: 'connect ECONNREFUSED' }, { webhookId: 'w2', lastSuccessAt: T + S, lastError: null }] },
  },
  {
    case: "a webhook's facts: its latest success and its last failure in batch order",
    deliveries: [stored('d1'), stored('d2'), stored('d3'), stored('d4')],
    outcomes: [result('d1', 'ok', T + 3 * S), result('d2', 'ok', T + S), result('d3', 'exhausted', T + S), result('d4', 'retry', T + 2 * S)],
    expected: { webhooks: [{ webhookId: 'w1', lastSuccessAt: T + 3 * S, lastError: 'HTTP 500' }] },
  },
];

describe('the transition table (planResults)', () => {
  it.each(TABLE)('$case', (row) => {
    const consulted: ExhaustedContext[] = [];
    const policy: ExhaustionPolicy = (context) => {
      consulted.push(structuredClone(context));
      return row.policy === 'disable'
        ? { disable: true, reason: `exhausted ${context.delivery.id}`, notification: { id: 'ntf_1', orgId: org.id, kind: 'webhook-disabled', subjectId: context.webhook.id, to: org.notificationEmails, subject: 's', text: 't', createdAt: context.now } }
        : { disable: false, reason: '', notification: null };
    };
    const webhooks = row.webhooks ?? [webhook('w1'), webhook('w2')];
    const { webhookIds, orgIds } = toConsult(row.outcomes);
    const plan = planResults({
      outcomes: row.outcomes,
      deliveries: new Map(row.deliveries.map((d) => [d.id, d])),
      // As the stores load them: only the webhooks and organizations toConsult names.
      webhooks: new Map(webhooks.filter((w) => webhookIds.includes(w.id)).map((w) => [w.id, w])),
      orgs: new Map(row.webhooks?.length === 0 ? [] : orgIds.map((id) => [id, org])),
      now: NOW,
      onExhausted: policy,
    });
    const { attempts, consulted: expectedConsulted, ...rest } = row.expected;
    expect(plan).toMatchObject({ stale: [], ...rest });
    if (attempts) expect(plan.attempts.map((a) => a.id)).toEqual(attempts);
    if (expectedConsulted) {
      expect(consulted.map((c) => ({ lastError: c.lastError, lastSuccessAt: c.webhook.lastSuccessAt, attempts: c.delivery.attempts }))).toEqual(expectedConsulted);
      for (const c of consulted) expect(c).toMatchObject({ org, now: NOW, webhook: { enabled: true }, delivery: { status: 'failed', nextAttemptAt: null } });
    }
    // Every kept result's attempt is in the plan, with the ids of its job.
    for (const a of plan.attempts) expect(row.outcomes.some((o) => o.attempt.id === a.id && o.job.deliveryId === a.deliveryId)).toBe(true);
  });

  it('has a row for every outcome a result can have, on every status a leased delivery can be in', () => {
    const seen = new Set(TABLE.flatMap((row) => row.outcomes.map((o) => `${o.next.status} on ${row.deliveries.find((d) => d.id === o.job.deliveryId)?.status ?? 'gone'}`)));
    for (const next of ['succeeded', 'pending', 'failed', 'aborted'] as const) for (const status of ['pending', 'held'] as const) expect(seen).toContain(`${next} on ${status}`);
    for (const status of ['pending', 'failed'] as const) expect(seen).toContain(`unchanged on ${status}`);
    expect(seen).toContain('succeeded on gone');
  });

  it('names the webhooks and organizations of exhausting results only, once each, in lock order', () => {
    const outcomes = [result('d1', 'exhausted', T, { webhookId: 'w2' }), result('d2', 'ok', T, { webhookId: 'w3' }), result('d3', 'exhausted', T), result('d4', 'exhausted', T)];
    expect(toConsult(outcomes)).toEqual({ webhookIds: ['w1', 'w2'], orgIds: [org.id] });
  });
});

describe("the service's exhaustion policy (disableOnExhaustion)", () => {
  const policy = disableOnExhaustion({ publicUrl: 'https://callhook.example/' });
  const delivery = (firstAttemptAt: number) => {
    const { scheduleAttempts: _s, leaseOwner: _o, leaseVersion: _v, ...rest } = stored('dlv_1', { status: 'failed', firstAttemptAt, attempts: 25 });
    return rest;
  };

  it('disables a webhook with no success since the delivery began, and owes the organization one e-mail', () => {
    const decision = policy({ webhook: webhook('w1', { lastSuccessAt: T - 25 * H }), org, delivery: delivery(T - 24 * H), lastError: 'HTTP 500', now: NOW });
    expect(decision).toMatchObject({ disable: true, reason: expect.stringContaining('Delivery dlv_1 failed every attempt since') });
    expect(decision.reason).toContain('last error: HTTP 500');
    expect(decision.notification).toMatchObject({ orgId: org.id, kind: 'webhook-disabled', subjectId: 'w1', to: ['ops@acme.example'], createdAt: NOW });
    expect(decision.notification!.text).toContain('https://callhook.example/v1/orgs/org_1/webhooks/w1/enable');
  });

  it('keeps a webhook that delivered something since, and one already disabled', () => {
    expect(policy({ webhook: webhook('w1', { lastSuccessAt: T - H }), org, delivery: delivery(T - 24 * H), lastError: 'x', now: NOW })).toEqual({ disable: false, reason: '', notification: null });
    expect(policy({ webhook: webhook('w1', { enabled: false }), org, delivery: delivery(T - 24 * H), lastError: 'x', now: NOW }).disable).toBe(false);
  });
});
