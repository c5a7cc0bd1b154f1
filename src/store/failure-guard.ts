// Every method of every part of a store, wrapped once: a failure of the store itself (the backend's
// driver error: connection lost, timeout, disk full) leaves it as a typed AppError — STORE_UNAVAILABLE
// or STORAGE_FULL, answered 503/507 with Retry-After — and marks the store's health down. Wrapping
// the whole object, not each query, keeps methods added later from leaking raw driver errors.
import type { AppError } from '../errors.ts';
import type { StoreHealth } from './store-health.ts';

/** Turns a backend's error into a store failure, or null when it is not one (a bug, a constraint). */
export type StoreFailureClassifier = (error: unknown) => AppError | null;

export function guardStore<T extends object>(store: T, classify: StoreFailureClassifier, health: StoreHealth): T {
  const translate = (error: unknown): unknown => {
    const failure = classify(error);
    if (!failure) return error;
    health.failed(failure);
    return failure;
  };
  const guarded: Record<string, unknown> = {};
  for (const [name, part] of Object.entries(store)) {
    guarded[name] = typeof part === 'object' && part !== null && !Array.isArray(part) && name !== 'health' ? guardPart(part as Record<string, unknown>, translate) : part;
  }
  return guarded as T;
}

function guardPart(part: Record<string, unknown>, translate: (error: unknown) => unknown): Record<string, unknown> {
  const guarded: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(part)) {
    if (typeof member !== 'function') {
      guarded[name] = member;
      continue;
    }
    guarded[name] = (...args: unknown[]) => {
      let result: unknown;
      try {
        result = (member as (...a: unknown[]) => unknown).apply(part, args);
      } catch (error) {
        throw translate(error);
      }
      // Only promises are wrapped: a synchronous answer (an unsubscribe function) is passed on as it is.
      if (result instanceof Promise) return result.catch((error: unknown) => Promise.reject(translate(error)));
      return result;
    };
  }
  return guarded;
}
