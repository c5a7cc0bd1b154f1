// Slows down password guessing at the portal's sign-in. An attempt counts against its e-mail
// address the moment it starts (before the password hash is checked, so guesses sent all at once
// count too) and is forgiven when the password was right. Limits: a few per (address, client), so
// one guesser is stopped without locking the account for everyone; a higher ceiling per address
// against guessing from many clients; a ceiling per client whatever the address. A function of the
// injected clock; kept in memory per process (several API processes each keep their own count).
import { isIPv6 } from 'node:net';
import type { Clock } from '../clock.ts';

export interface LoginThrottleOptions {
  /** Unforgiven attempts per (e-mail address, client) within `windowMs`. */
  maxPerEmailAndClient: number;
  /** Unforgiven attempts per e-mail address from all clients within `windowMs`. */
  maxPerEmail: number;
  /** Attempts per client (forgiven or not) within `windowMs`. */
  maxPerClient: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = { maxPerEmailAndClient: 5, maxPerEmail: 50, maxPerClient: 30, windowMs: 15 * 60_000 };

/** Most keys remembered per kind; the least recently used are forgotten first (bounds memory). */
const MAX_KEYS = 50_000;

/** A client: its IPv4 address, or its IPv6 /64 (one host usually has a whole /64 to pick from). */
export function clientOf(ip: string): string {
  if (!isIPv6(ip) || ip.startsWith('::ffff:')) return ip.replace(/^::ffff:/, '');
  const [head = ''] = ip.split('%');
  const groups = head.includes('::')
    ? (() => {
        const [left, right] = head.split('::') as [string, string];
        const l = left ? left.split(':') : [];
        const r = right ? right.split(':') : [];
        return [...l, ...Array(8 - l.length - r.length).fill('0'), ...r];
      })()
    : head.split(':');
  return `${groups.slice(0, 4).map((g) => g.replace(/^0+(?=.)/, '').toLowerCase()).join(':')}::/64`;
}

class RecentEvents {
  readonly #times = new Map<string, number[]>();

  recent(key: string, since: number): number[] {
    const times = this.#times.get(key);
    if (!times) return [];
    const fresh = times.filter((t) => t > since);
    if (fresh.length === 0) this.#times.delete(key);
    else this.#times.set(key, fresh);
    return fresh;
  }

  add(key: string, now: number, since: number): void {
    const times = this.recent(key, since);
    times.push(now);
    this.#times.delete(key); // re-inserted last: Map order is least recently used first
    this.#times.set(key, times);
    if (this.#times.size > MAX_KEYS) this.#times.delete(this.#times.keys().next().value!);
  }

  /** Takes back the latest event of `key` (an attempt that turned out right). */
  forgive(key: string): void {
    const times = this.#times.get(key);
    times?.pop();
    if (times?.length === 0) this.#times.delete(key);
  }
}

export interface Attempt {
  /** Seconds to wait before trying again; 0 when this attempt may go ahead (and is counted). */
  retryAfterS: number;
  /** Call when the password was right: the attempt no longer counts against the address. */
  succeeded(): void;
}

export class LoginThrottle {
  readonly #clock: Clock;
  readonly #options: LoginThrottleOptions;
  readonly #byEmail = new RecentEvents();
  readonly #byEmailAndClient = new RecentEvents();
  readonly #byClient = new RecentEvents();

  constructor(clock: Clock, options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE) {
    this.#clock = clock;
    this.#options = options;
  }

  attempt(email: string, ip: string): Attempt {
    const now = this.#clock.now();
    const since = now - this.#options.windowMs;
    const client = clientOf(ip);
    const pair = `${email}\n${client}`;
    const limits: Array<[RecentEvents, string, number]> = [
      [this.#byEmailAndClient, pair, this.#options.maxPerEmailAndClient],
      [this.#byEmail, email, this.#options.maxPerEmail],
      [this.#byClient, client, this.#options.maxPerClient],
    ];
    let freeAt = 0;
    for (const [events, key, max] of limits) {
      const times = events.recent(key, since);
      if (times.length >= max) freeAt = Math.max(freeAt, times[times.length - max]! + this.#options.windowMs);
    }
    if (freeAt > 0) return { retryAfterS: Math.max(1, Math.ceil((freeAt - now) / 1_000)), succeeded: () => {} };
    for (const [events, key] of limits) events.add(key, now, since);
    return {
      retryAfterS: 0,
      succeeded: () => {
        this.#byEmail.forgive(email);
        this.#byEmailAndClient.forgive(pair);
      },
    };
  }
}
