// One script transaction shared by two parties (ingest-queue.ts: a result batch riding an ingest
// batch). Each calls begin() and then commit() on its own handle, as on a transaction of its own;
// their statements go together, one message for both begins and one for both commits, so the pair
// costs the server one transaction and the two round trips of one.
import { JOINS_BACK, JOINS_OFF, type Queryable, type Row, type ScriptTx } from './database.ts';
import type { Statement } from './inline-sql.ts';

interface Part {
  statements: readonly Statement[];
  resolve(rows: Row[][]): void;
  reject(error: unknown): void;
}

export interface JoinedTransaction {
  host: ScriptTx;
  rider: ScriptTx;
  /** A party failed: the other's pending begin or commit fails with it (the transaction rolls back as a whole). */
  fail(error: unknown): void;
}

/**
 * Over `tx`, a 'begin' byKey transaction (database.ts). The first message runs the host's statements
 * first: the host takes its locks in the order every transaction does (advisory locks, then webhook
 * rows, then delivery rows), and the rider's come after. The second runs the rider's first, planned
 * as in a byKey transaction of its own: a result batch finishes its deliveries before the ingest's
 * write chains new ones behind them, which then finds them finished rather than waiting behind them
 * for a release nobody would make.
 */
export function joinTransaction(tx: ScriptTx): JoinedTransaction {
  const stages: Array<{ host: Part | null; rider: Part | null }> = [{ host: null, rider: null }, { host: null, rider: null }];
  let failed: { error: unknown } | null = null;

  function fail(error: unknown): void {
    failed ??= { error };
    for (const stage of stages) {
      stage.host?.reject(error);
      stage.rider?.reject(error);
    }
  }

  function arrive(party: 'host' | 'rider', at: 0 | 1, statements: readonly Statement[]): Promise<Row[][]> {
    return new Promise((resolve, reject) => {
      if (failed) return reject(failed.error);
      const stage = stages[at]!;
      stage[party] = { statements, resolve, reject };
      const { host, rider } = stage;
      if (!host || !rider) return;
      if (at === 0) {
        tx.begin([...host.statements, ...rider.statements]).then((rows) => {
          host.resolve(rows.slice(0, host.statements.length));
          rider.resolve(rows.slice(host.statements.length));
        }, fail);
        return;
      }
      const lead: Statement[] = [...JOINS_OFF.map((text): Statement => [text]), ...rider.statements, ...JOINS_BACK.map((text): Statement => [text])];
      tx.commit([...lead, ...host.statements]).then((rows) => {
        rider.resolve(rows.slice(JOINS_OFF.length, JOINS_OFF.length + rider.statements.length));
        host.resolve(rows.slice(lead.length));
      }, fail);
    });
  }

  const handle = (party: 'host' | 'rider'): ScriptTx => ({
    begin: (statements) => arrive(party, 0, statements),
    commit: (statements) => arrive(party, 1, statements),
    send: () => Promise.reject(new Error('a joined transaction has no round trip between its two messages')),
    get statements(): Queryable {
      throw new Error('a joined transaction has no round trip between its two messages');
    },
  });
  return { host: handle('host'), rider: handle('rider'), fail };
}
