// Whether the store can write, as this process last saw it: readiness (/readyz) answers from it.
// A failure of the store itself (unreachable, refusing, too slow, out of space) marks it down the
// moment any caller meets one; only a write probe that succeeds marks it up again, so a read that
// works on a full disk does not flip readiness back and forth.
import { AppError, isStoreFailure } from '../errors.ts';

export interface StoreProblem {
  code: 'STORE_UNAVAILABLE' | 'STORAGE_FULL';
  detail: string;
  /** Epoch ms of the first failure of this spell. */
  since: number;
}

export interface StoreHealth {
  /** null while the store can write. */
  problem(): StoreProblem | null;
  /** Records a failure of the store met by any caller (the failure guard calls it). */
  failed(error: AppError): void;
  /** Writes once (the backend's probe); clears the problem when it works, records it when not. */
  probe(): Promise<StoreProblem | null>;
}

/**
 * `probeWrite` does one small write; told the current problem, it may refuse (with a store failure)
 * before writing, e.g. when a full disk has not got room again yet.
 */
export function createStoreHealth(deps: {
  probeWrite(problem: StoreProblem | null): Promise<void>;
  classify(error: unknown): AppError | null;
  now?: () => number;
}): StoreHealth {
  const now = deps.now ?? Date.now;
  let problem: StoreProblem | null = null;

  const health: StoreHealth = {
    problem: () => problem,
    failed(error) {
      if (!isStoreFailure(error)) return;
      const code = error.code as StoreProblem['code'];
      // A full disk stays the story until space is back, though a later failure may read "unavailable".
      if (problem && (problem.code === code || problem.code === 'STORAGE_FULL')) return;
      problem = { code, detail: error.detail, since: problem?.since ?? now() };
    },
    async probe() {
      try {
        await deps.probeWrite(problem);
        problem = null;
      } catch (error) {
        const failure = isStoreFailure(error) ? error : deps.classify(error);
        health.failed(failure ?? new AppError('STORE_UNAVAILABLE', `The store's write probe failed: ${String((error as Error).message ?? error)}`));
      }
      return problem;
    },
  };
  return health;
}
