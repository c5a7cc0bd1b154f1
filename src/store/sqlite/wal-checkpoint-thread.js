// The checkpoint thread (wal-checkpoints.ts): its own connection to the database file, running a
// PASSIVE checkpoint each time it is asked. PASSIVE takes no writer lock, so the event loop's
// commits go on meanwhile; synchronous stays FULL, so the WAL is synced before its frames are
// copied and the database file after.
// Plain JavaScript: a .ts file would load Node's TypeScript stripper into the thread (~10 MB RSS).
import { DatabaseSync } from 'node:sqlite';
import { parentPort, workerData } from 'node:worker_threads';

const port = /** @type {import('node:worker_threads').MessagePort} */ (parentPort);
const db = new DatabaseSync(/** @type {{ path: string }} */ (workerData).path);
const checkpoint = db.prepare('PRAGMA wal_checkpoint(PASSIVE)');

port.on('message', (/** @type {'checkpoint' | 'close'} */ message) => {
  if (message === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    const row = /** @type {{ busy: number; log: number; checkpointed: number }} */ (checkpoint.get());
    port.postMessage({ log: row.log, checkpointed: row.checkpointed });
  } catch (error) {
    port.postMessage({ error: /** @type {Error} */ (error).message });
  }
});
