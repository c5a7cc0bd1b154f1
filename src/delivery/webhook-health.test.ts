import { describe, expect, it } from 'vitest';
import { type HealthFacts, healthOf, healthUpdates } from './webhook-health.ts';

const healthy: HealthFacts = { enabled: true, consecutiveFailures: 0, failingSince: null, lastFailureAt: 10, lastSuccessAt: 20, lastError: 'HTTP 500' };
const failing: HealthFacts = { enabled: true, consecutiveFailures: 13, failingSince: 30, lastFailureAt: 90, lastSuccessAt: 20, lastError: 'HTTP 500' };

describe('webhook health', () => {
  it.each([
    ['never attempted', { ...healthy, lastFailureAt: null, lastSuccessAt: null, lastError: null }, null,
      { state: 'healthy', failingSince: null, consecutiveFailures: 0, lastError: null, lastAttemptAt: null, lastSuccessAt: null, nextAttemptAt: null }],
    ['succeeded after failing: an old error is not current', healthy, null,
      { state: 'healthy', failingSince: null, consecutiveFailures: 0, lastError: null, lastAttemptAt: 20, lastSuccessAt: 20, nextAttemptAt: null }],
    ['failing since its first failure of the run', failing, 3_600,
      { state: 'failing', failingSince: 30, consecutiveFailures: 13, lastError: 'HTTP 500', lastAttemptAt: 90, lastSuccessAt: 20, nextAttemptAt: 3_600 }],
    ['disabled whatever its attempts did, the run still told', { ...failing, enabled: false }, null,
      { state: 'disabled', failingSince: 30, consecutiveFailures: 13, lastError: 'HTTP 500', lastAttemptAt: 90, lastSuccessAt: 20, nextAttemptAt: null }],
    ['disabled while healthy', { ...healthy, enabled: false }, null,
      { state: 'disabled', failingSince: null, consecutiveFailures: 0, lastError: null, lastAttemptAt: 20, lastSuccessAt: 20, nextAttemptAt: null }],
  ] as const)('%s', (_, facts, next, expected) => {
    expect(healthOf(facts, next)).toEqual(expected);
  });

  it('sums a batch up per webhook, in time order, ties in the order the results came', () => {
    const a = (webhookId: string, startedAt: number, succeeded: boolean) => ({ webhookId, startedAt, succeeded });
    expect(healthUpdates([a('w2', 5, false), a('w1', 3, false), a('w1', 1, false), a('w1', 2, true), a('w2', 5, true), a('w3', 7, true)])).toEqual([
      { webhookId: 'w1', successAt: 2, failures: 2, firstFailureAt: 1, failuresAfterSuccess: 1, firstFailureAfterSuccess: 3, lastFailureAt: 3 },
      // Same millisecond: the success was reported after the failure, so it ends the run.
      { webhookId: 'w2', successAt: 5, failures: 1, firstFailureAt: 5, failuresAfterSuccess: 0, firstFailureAfterSuccess: null, lastFailureAt: 5 },
      { webhookId: 'w3', successAt: 7, failures: 0, firstFailureAt: null, failuresAfterSuccess: 0, firstFailureAfterSuccess: null, lastFailureAt: null },
    ]);
    expect(healthUpdates([])).toEqual([]);
  });
});
