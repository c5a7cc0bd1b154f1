// What the portal's status words and colours are, for every delivery status and webhook health the
// API has (a table of every case, so a new status cannot slip in uncoloured), and the small rules
// the screens share: the last answer said once, a changed field's errors forgotten, national
// numbers read in the default country. No browser needed.
import * as phone from 'libphonenumber-js/min';
import { describe, expect, it } from 'vitest';
import type { Problem } from '../api/client';
import { DELIVERY_STATUSES } from '../api/types';
import { withoutField } from '../hooks';
import { toE164 } from '../screens/settings/phone-input';
import { deliveryState, healthState, lastAnswer } from './status';

describe('status words and colours', () => {
  it('every delivery status, tried or not, has one word and one colour: amber while retrying after a failure, never blue', () => {
    const table = DELIVERY_STATUSES.flatMap((status) => [0, 2].map((attempts) => [`${status}/${attempts}`, deliveryState({ status, attempts })]));
    expect(Object.fromEntries(table)).toEqual({
      'pending/0': { tone: 'info', label: 'Pending' },
      'pending/2': { tone: 'warn', label: 'Retrying' },
      'waiting/0': { tone: 'muted', label: 'Waiting' },
      'waiting/2': { tone: 'muted', label: 'Waiting' },
      'succeeded/0': { tone: 'ok', label: 'Succeeded' },
      'succeeded/2': { tone: 'ok', label: 'Succeeded' },
      'failed/0': { tone: 'bad', label: 'Failed' },
      'failed/2': { tone: 'bad', label: 'Failed' },
      'held/0': { tone: 'warn', label: 'Held' },
      'held/2': { tone: 'warn', label: 'Held' },
    });
  });

  it('every webhook health: healthy green, failing and disabled red', () => {
    expect((['healthy', 'failing', 'disabled'] as const).map(healthState)).toEqual([
      { tone: 'ok', label: 'Healthy' },
      { tone: 'bad', label: 'Failing' },
      { tone: 'bad', label: 'Disabled' },
    ]);
  });

  it('says the last answer once: the status is not repeated when the error starts with it', () => {
    expect(lastAnswer({ lastStatus: 500, lastError: 'HTTP 500: only a 2xx answer counts as delivered' })).toBe('HTTP 500: only a 2xx answer counts as delivered');
    expect(lastAnswer({ lastStatus: 200, lastError: null })).toBe('HTTP 200');
    expect(lastAnswer({ lastStatus: null, lastError: 'connection refused: nothing accepts connections on that port' })).toBe('connection refused: nothing accepts connections on that port');
    expect(lastAnswer({ lastStatus: 503, lastError: 'body not finished within the 2000 ms deadline' })).toBe('HTTP 503 · body not finished within the 2000 ms deadline');
    expect(lastAnswer({ lastStatus: null, lastError: null })).toBe('—');
  });
});

describe('forms', () => {
  const problem = (fieldErrors: Record<string, string>): Problem => ({ status: 422, type: '', title: 'Invalid', detail: '', fieldErrors, retryAfterS: null });

  it('forgets a changed field\'s errors, its entries\' too, and the whole problem once no field is left', () => {
    const p = problem({ url: 'bad', 'notificationEmails[1]': 'not an e-mail', 'hep.captureId': 'taken' });
    expect(withoutField(p, 'notificationEmails')!.fieldErrors).toEqual({ url: 'bad', 'hep.captureId': 'taken' });
    expect(withoutField(p, 'hep.captureId')!.fieldErrors).toEqual({ url: 'bad', 'notificationEmails[1]': 'not an e-mail' });
    expect(withoutField(p, 'description')).toBe(p);
    expect(withoutField(problem({ url: 'bad' }), 'url')).toBeNull();
    // A problem about no field (a 409, a 500) is not the field's to clear.
    const general = { ...problem({}), status: 409 };
    expect(withoutField(general, 'url')).toBe(general);
  });

  it('reads national numbers in the default country, international ones as given, and says what to do otherwise', () => {
    expect(toE164('085 060 9000', 'NL', phone)).toEqual({ ok: true, number: '+31850609000' });
    expect(toE164('(020) 555-1234', 'nl', phone)).toEqual({ ok: true, number: '+31205551234' });
    expect(toE164('+31 85 060 9000', null, phone)).toEqual({ ok: true, number: '+31850609000' });
    expect(toE164('0032 2 555 12 12', null, phone)).toEqual({ ok: true, number: '+3225551212' });
    expect(toE164('085 060 9000', null, phone)).toMatchObject({ ok: false, message: expect.stringContaining('default country') });
    expect(toE164('12', 'NL', phone)).toMatchObject({ ok: false, message: expect.stringContaining('Not a phone number in NL') });
    expect(toE164('  ', 'NL', phone)).toEqual({ ok: false, message: 'Enter a phone number' });
  });
});
