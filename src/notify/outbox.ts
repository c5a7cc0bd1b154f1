// The outbox relay: sends owed e-mails from the store, retrying SMTP failures for a day.
// Durable: a notification is written in the same transaction as the decision that owes it.
import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { NotificationStore } from '../store/store.ts';
import type { Mailer } from './mailer.ts';
import { backgroundLoop } from '../background-loop.ts';

/** Long enough for a slow SMTP server to answer, so two relays never send the same e-mail. */
const SEND_LEASE_MS = 60_000;
/** Delays between SMTP attempts (s): quick at first, then hourly, about a day in all. */
const RETRY_DELAYS_S = [60, 300, 900, 3_600, 3_600, 3_600, 3_600, 7_200, 7_200, 14_400, 14_400, 21_600, 21_600];

export interface Outbox {
  /** Sends what is due now; resolves when done (tests single-step with it). */
  tick(): Promise<void>;
  /** Asks for a tick soon (after a webhook was disabled). */
  wake(): void;
  start(): void;
  stop(): Promise<void>;
}

export function createOutbox(deps: {
  store: NotificationStore;
  mailer: Mailer;
  clock: Clock;
  log: Logger;
  owner: string;
  pollIntervalMs: number;
}): Outbox {
  const { store, mailer, clock, log } = deps;
  let current: Promise<void> = Promise.resolve();

  async function tick(): Promise<void> {
    const due = await store.claimDue({ owner: deps.owner, now: clock.now(), leaseMs: SEND_LEASE_MS, limit: 20 });
    for (const notification of due) {
      if (notification.to.length === 0) {
        log.warn({ notification }, 'organization has no notification e-mails: notification written to the log and kept');
        await store.markLogged(notification.id, clock.now());
        continue;
      }
      try {
        const result = await mailer.send({ to: notification.to, subject: notification.subject, text: notification.text });
        if (result === 'sent') await store.markSent(notification.id, clock.now());
        else await store.markLogged(notification.id, clock.now());
      } catch (error) {
        const delayS = RETRY_DELAYS_S[notification.attempts];
        const next = delayS === undefined ? null : clock.now() + delayS * 1_000;
        log.error({ err: error, notification: notification.id, nextAttemptAt: next }, 'could not send e-mail');
        await store.markFailed(notification.id, String((error as Error).message ?? error), next);
      }
    }
  }

  /** One tick after the one running; rejects when it fails (the loop backs off), the chain goes on. */
  function serialTick(): Promise<void> {
    const run = current.then(tick);
    current = run.catch(() => undefined);
    return run;
  }

  const loggedTick = () => serialTick().catch((error: unknown) => log.warn({ err: error }, 'outbox tick failed'));
  const loop = backgroundLoop({ everyMs: deps.pollIntervalMs, run: serialTick, log, what: 'the e-mail outbox' });

  return {
    tick: loggedTick,
    wake() {
      if (loop.running) void loggedTick();
    },
    start: loop.start,
    async stop() {
      loop.stop();
      await current;
      await mailer.close();
    },
  };
}
