// Reads asked for together go to PostgreSQL as one statement: ingest asks for an organization's
// users, numbers and outcome rules on every request, and a busy phone system sends many requests at
// once. One statement per kind is in flight; what is asked meanwhile goes together in the next, so
// the busier it is the more each statement answers. Nothing is cached, so nothing is ever stale; an
// idle read waits one turn.

interface Pending<Q, R> {
  query: Q;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/** `load` answers every query of a turn at once, in their order. */
export function readBatches<Q, R>(load: (queries: Q[]) => Promise<R[]>): (query: Q) => Promise<R> {
  let pending: Array<Pending<Q, R>> = [];
  let busy = false;

  async function run(): Promise<void> {
    busy = true;
    const batch = pending;
    pending = [];
    try {
      const results = await load(batch.map((p) => p.query));
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
    busy = false;
    if (pending.length > 0) void run();
  }

  return (query) =>
    new Promise<R>((resolve, reject) => {
      if (pending.length === 0 && !busy) setImmediate(() => void run());
      pending.push({ query, resolve, reject });
    });
}
