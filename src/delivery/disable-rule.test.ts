import { describe, expect, it } from 'vitest';
import { shouldDisable } from './disable-rule.ts';

describe('the disable rule', () => {
  it('disables an enabled webhook that never delivered anything', () => {
    expect(shouldDisable({ webhookEnabled: true, lastSuccessAt: null, deliveryFirstAttemptAt: 100 })).toBe(true);
  });
  it('disables when the last success came before the exhausted delivery began', () => {
    expect(shouldDisable({ webhookEnabled: true, lastSuccessAt: 99, deliveryFirstAttemptAt: 100 })).toBe(true);
  });
  it('keeps a webhook that delivered something since the exhausted delivery began', () => {
    expect(shouldDisable({ webhookEnabled: true, lastSuccessAt: 100, deliveryFirstAttemptAt: 100 })).toBe(false);
    expect(shouldDisable({ webhookEnabled: true, lastSuccessAt: 500, deliveryFirstAttemptAt: 100 })).toBe(false);
  });
  it('does nothing for a webhook that is already disabled (one e-mail, not one per delivery)', () => {
    expect(shouldDisable({ webhookEnabled: false, lastSuccessAt: null, deliveryFirstAttemptAt: 100 })).toBe(false);
  });
});
