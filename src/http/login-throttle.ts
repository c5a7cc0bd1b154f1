// Slows down password guessing at the portal's sign-in: a few failures per e-mail address in a
// window, and a ceiling on attempts per client address. A function of the injected clock; kept in
// memory per process (with several API processes each keeps its own count).
import type { Clock } from '../clock.ts';

export interface LoginThrottleOptions {
  /** Failed sign-ins per e-mail address within `windowMs` before it is locked until the oldest ages out. */
  maxFailuresPerEmail: number;
  /** Sign-in attempts (failed or not) per client address within `windowMs`. */
  maxAttemptsPerClient: number;
  windowMs: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = { maxFailuresPerEmail: 5, maxAttemptsPerClient: 30, windowMs: 15 * 60_000 };

/** Most keys remembered; the oldest are forgotten first (bounds memory under a spray of addresses). */
const MAX_KEYS = 50_000;

export class LoginThrottle {
  readonly #clock: Clock;
  readonly #options: LoginThrottleOptions;
  /** key → times (ms) of the events that count against it, oldest first. */
  readonly #events = new Map<string, number[]>();

  constructor(clock: Clock, options: LoginThrottleOptions = DEFAULT_LOGIN_THROTTLE) {
    this.#clock = clock;
    this.#options = options;
  }

  /** Seconds to wait before this sign-in may be tried, or 0 when it may go ahead (and is counted). */
  attempt(email: string, client: string): number {
    const now = this.#clock.now();
    const byEmail = this.#recent(`e:${email}`, now);
    const byClient = this.#recent(`c:${client}`, now);
    const waits = [
      byEmail.length >= this.#options.maxFailuresPerEmail ? byEmail[byEmail.length - this.#options.maxFailuresPerEmail]! : null,
      byClient.length >= this.#options.maxAttemptsPerClient ? byClient[byClient.length - this.#options.maxAttemptsPerClient]! : null,
    ].filter((t): t is number => t !== null);
    if (waits.length > 0) return Math.max(1, Math.ceil((Math.max(...waits) + this.#options.windowMs - now) / 1_000));
    this.#record(`c:${client}`, now);
    return 0;
  }

  failed(email: string): void {
    this.#record(`e:${email}`, this.#clock.now());
  }

  /** A right password clears the address's failures. */
  succeeded(email: string): void {
    this.#events.delete(`e:${email}`);
  }

  #recent(key: string, now: number): number[] {
    const times = this.#events.get(key);
    if (!times) return [];
    const fresh = times.filter((t) => t > now - this.#options.windowMs);
    if (fresh.length === 0) this.#events.delete(key);
    else this.#events.set(key, fresh);
    return fresh;
  }

  #record(key: string, now: number): void {
    const times = this.#recent(key, now);
    times.push(now);
    this.#events.delete(key); // re-inserted last: Map order is then least recently used first
    this.#events.set(key, times);
    if (this.#events.size > MAX_KEYS) this.#events.delete(this.#events.keys().next().value!);
  }
}
