import { open } from 'node:fs/promises';
import { TzError } from '../service-kit/index.ts';

// Group commit for SQLite in WAL mode, off the event loop (issue 18). A batch
// transaction is committed with synchronous=NORMAL (its frames are written to
// the WAL, visible and safe from a process crash, not yet on the platter);
// then the WAL file is fsynced on libuv's thread pool. That is exactly what
// synchronous=FULL does inside COMMIT ("the WAL file is synchronized after
// each transaction commit", sqlite.org/pragma.html#pragma_synchronous), moved
// out of the event loop and shared: every commit that asked while one fsync
// was in flight is made durable by the next one. Callers release a PUBACK
// only when `flush()` resolved.

/** Makes everything written to the file so far durable. The default opens the file afresh (SQLite may have replaced it) and fsyncs it. */
export type SyncFile = (path: string) => Promise<void>;

export const fsyncFile: SyncFile = async (path) => {
  const handle = await open(path, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
};

interface Waiter { resolve: () => void; reject: (err: Error) => void }

export class WalGroupSync {
  private waiting: Waiter[] = [];
  private running = false;
  /** fsyncs run (each covering one group of commits). */
  syncs = 0;

  constructor(private readonly path: string, private readonly syncFile: SyncFile = fsyncFile, private readonly timeoutMs = 30_000) {}

  /** Resolves once an fsync that began after this call has finished: the commits before it are durable. Rejects (TZ_STORE_UNAVAILABLE) if it failed or took longer than the timeout. */
  flush(): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      if (!this.running) void this.run();
    });
  }

  /** Commits waiting for an fsync (in flight or next). */
  pending(): number {
    return this.waiting.length;
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length > 0) {
        const group = this.waiting;
        this.waiting = [];
        this.syncs += 1;
        try {
          await this.bounded(this.syncFile(this.path));
          for (const w of group) w.resolve();
        } catch (err) {
          const e = new TzError('TZ_STORE_UNAVAILABLE', `rules: the store's write-ahead log could not be synced: ${err instanceof Error ? err.message : String(err)}`);
          for (const w of group) w.reject(e);
        }
      }
    } finally {
      this.running = false;
    }
  }

  /** A disk that never answers fails its commits instead of holding their PUBACKs for ever. */
  private bounded(p: Promise<void>): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
      p.then(() => { clearTimeout(timer); resolve(); }, (err: unknown) => { clearTimeout(timer); reject(err instanceof Error ? err : new Error(String(err))); });
    });
  }
}
