import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../test/helpers/fake-clock.ts';
import { LoginThrottle, clientOf } from './login-throttle.ts';

const MINUTE = 60_000;

describe('LoginThrottle', () => {
  const options = { maxPerEmailAndClient: 3, maxPerEmail: 5, maxPerClient: 8, windowMs: 10 * MINUTE };

  it('stops one client guessing one address, counting attempts as they start (not when their hash is done)', () => {
    const clock = new FakeClock(0);
    const throttle = new LoginThrottle(clock, options);
    // Three guesses in flight at once: all counted already.
    const inFlight = [0, 1, 2].map(() => throttle.attempt('a@x', '192.0.2.1'));
    expect(inFlight.map((a) => a.retryAfterS)).toEqual([0, 0, 0]);
    expect(throttle.attempt('a@x', '192.0.2.1').retryAfterS).toBe(600);
    // Another client may still sign in to the same account: no lock-out of the owner.
    const owner = throttle.attempt('a@x', '198.51.100.7');
    expect(owner.retryAfterS).toBe(0);
    owner.succeeded();
    clock.advance(10 * MINUTE);
    expect(throttle.attempt('a@x', '192.0.2.1').retryAfterS).toBe(0);
  });

  it('caps guesses at one address from many clients, and forgives right passwords', () => {
    const clock = new FakeClock(0);
    const throttle = new LoginThrottle(clock, options);
    for (let i = 0; i < 5; i++) {
      expect(throttle.attempt('a@x', `192.0.2.${i}`).retryAfterS).toBe(0);
      clock.advance(MINUTE);
    }
    expect(throttle.attempt('a@x', '192.0.2.99').retryAfterS).toBe(5 * 60); // the first ages out at 10 min
    expect(throttle.attempt('b@x', '192.0.2.99').retryAfterS).toBe(0);
    const right = throttle.attempt('c@x', '203.0.113.1');
    right.succeeded();
    for (let i = 0; i < 5; i++) throttle.attempt('c@x', `203.0.113.${i + 2}`).succeeded();
    expect(throttle.attempt('c@x', '203.0.113.50').retryAfterS).toBe(0);
  });

  it('caps attempts per client whatever the address; an IPv6 client is its /64', () => {
    const clock = new FakeClock(0);
    const throttle = new LoginThrottle(clock, options);
    for (let i = 0; i < 8; i++) expect(throttle.attempt(`user${i}@x`, `2001:db8:1:2::${i + 1}`).retryAfterS).toBe(0);
    expect(throttle.attempt('user9@x', '2001:db8:1:2:ffff::9').retryAfterS).toBe(600);
    expect(throttle.attempt('user9@x', '2001:db8:1:3::1').retryAfterS).toBe(0);
    expect(clientOf('2001:0DB8:0001:0002:0000:0000:0000:0001')).toBe('2001:db8:1:2::/64');
    expect(clientOf('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(clientOf('192.0.2.1')).toBe('192.0.2.1');
  });
});
