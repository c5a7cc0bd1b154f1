// The checkpoint thread (wal-checkpoints.ts): its own connection to the database file, running a
// PASSIVE checkpoint each time it is asked. PASSIVE takes no writer lock, so the event loop's
// commits go on meanwhile; synchronous stays FULL, so the WAL is synced before its frames are
// copied and the database file after.
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const port = parentPort!;
const db = new DatabaseSync((workerData as { path: string }).path);
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

port.on('message', (message: 'checkpoint' | 'close') => {
  if (message === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    const row = checkpoint.get() as { busy: number; log: number; checkpointed: number };
    port.postMessage({ log: row.log, checkpointed: row.checkpointed });
  } catch (error) {
    port.postMessage({ error: (error as Error).message });
  }
});
