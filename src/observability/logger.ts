// JSON logs (pino). The hot path logs nothing per delivery at info level; counters go to metrics.
import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export function createLogger(options: { level: string; destination?: NodeJS.WritableStream }): Logger {
  return pino({ level: options.level, base: { service: 'callhook' } }, options.destination ?? process.stdout);
}

/** A logger that drops everything (tests that do not look at logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
