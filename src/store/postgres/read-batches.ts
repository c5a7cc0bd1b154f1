// Reads asked for in the same turn of the event loop go to PostgreSQL as one statement: ingest asks
// for an organization's users, numbers and outcome rules on every request, and a busy phone system
// sends many requests at once. Nothing is cached, so nothing is ever stale; a read waits one turn.

interface Pending<Q, R> {
  query: Q;
  resolve(result: R): void;
  reject(error: unknown): void;
}

/** `load` answers every query of a turn at once, in their order. */
export function readBatches<Q, R>(load: (queries: Q[]) => Promise<R[]>): (query: Q) => Promise<R> {
  let pending: Array<Pending<Q, R>> = [];

  async function run(): Promise<void> {
    const batch = pending;
    pending = [];
    try {
      const results = await load(batch.map((p) => p.query));
      batch.forEach((p, i) => p.resolve(results[i]!));
    } catch (error) {
      for (const p of batch) p.reject(error);
    }
  }

  return (query) =>
    new Promise<R>((resolve, reject) => {
      if (pending.length === 0) setImmediate(() => void run());
      pending.push({ query, resolve, reject });
    });
}
