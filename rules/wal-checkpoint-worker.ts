import { parentPort, workerData } from 'node:worker_threads';
// The one file of service-kit it needs, not its index: a thread starts faster without the logger and HTTP stack.
import { openSqlite } from '../service-kit/sqlite.ts';

// The rules store's WAL checkpointer (wal-checkpoints.ts): its own connection
// to the same file, on its own thread, so the checkpoint's copying and its two
// fsyncs never stall the event loop that evaluates readings. PASSIVE: it never
// waits for the writer, copies what it can and leaves the rest for next time.

interface Start { path: string }
const port = parentPort;
if (port === null) throw new Error('wal-checkpoint-worker: not started as a worker thread');
const { path } = workerData as Start;
// FULL: the database file is synced after the copy, before the WAL may be restarted over the copied frames.
const db = openSqlite(path, { durability: 'full', fileMustExist: true });

port.on('message', (message: 'checkpoint' | 'close') => {
  if (message === 'close') {
    db.close();
    port.close();
    return;
  }
  try {
    const [row] = db.pragma('wal_checkpoint(PASSIVE)') as Array<{ busy: number; log: number; checkpointed: number }>;
    port.postMessage({ ok: true, frames: row?.log ?? 0, copied: row?.checkpointed ?? 0 });
  } catch (err) {
    port.postMessage({ ok: false, error: err instanceof Error ? err.message : String(err) });
  }
});
