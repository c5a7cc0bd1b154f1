import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.ts';
import { LoginThrottle } from './login-throttle.ts';

const MINUTE = 60_000;

describe('LoginThrottle', () => {
  const options = { maxFailuresPerEmail: 3, maxAttemptsPerClient: 5, windowMs: 10 * MINUTE };

  it('locks an address after its failures until the oldest one leaves the window; a success clears them', () => {
    const clock = new FakeClock(0);
    const throttle = new LoginThrottle(clock, options);
    for (let i = 0; i < 3; i++) {
      expect(throttle.attempt('a@x', `10.0.0.${i}`)).toBe(0); // from different clients: still one address
      throttle.failed('a@x');
      clock.advance(MINUTE);
    }
    expect(throttle.attempt('a@x', '10.0.0.9')).toBe(7 * 60); // the first failure (t=0) ages out at 10 min
    expect(throttle.attempt('b@x', '10.0.0.9')).toBe(0); // other addresses are not affected
    clock.advance(7 * MINUTE);
    expect(throttle.attempt('a@x', '10.0.0.9')).toBe(0);
    throttle.succeeded('a@x');
    throttle.failed('a@x');
    expect(throttle.attempt('a@x', '10.0.0.8')).toBe(0);
  });

  it('caps attempts per client address whatever the e-mail', () => {
    const clock = new FakeClock(0);
    const throttle = new LoginThrottle(clock, options);
    for (let i = 0; i < 5; i++) expect(throttle.attempt(`user${i}@x`, '192.0.2.1')).toBe(0);
    expect(throttle.attempt('user9@x', '192.0.2.1')).toBe(600);
    expect(throttle.attempt('user9@x', '192.0.2.2')).toBe(0);
    clock.advance(10 * MINUTE + 1);
    expect(throttle.attempt('user9@x', '192.0.2.1')).toBe(0);
  });
});
