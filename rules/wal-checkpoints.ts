import type { Worker } from 'node:worker_threads';
import { startTsWorker } from './ts-worker.ts';

// WAL checkpoints of the rules store off the event loop (issue 18). SQLite's
// automatic checkpoint runs inside the COMMIT that crosses 1,000 WAL pages,
// on the committing connection: with the batch commits on the event loop, it
// copied pages and fsynced twice there (stalls of tens of ms under load). So
// the store turns it off and asks this checkpointer, a worker thread with a
// connection of its own (wal-checkpoint-worker.ts), after its batch commits
// are synced. A checkpoint that fails or a worker that dies loses nothing
// (the frames stay in the WAL): the store's own automatic checkpoint is
// switched back on (`onGiveUp`).

type Answer = { ok: true; frames: number; copied: number } | { ok: false; error: string };

export class WalCheckpoints {
  private worker: Worker | undefined;
  private running = false;
  private again = false;
  private closed = false;
  /** Checkpoints run, and the last one's WAL size and copied frames. */
  runs = 0;
  lastFrames = 0;
  lastCopied = 0;

  constructor(private readonly path: string, private readonly onGiveUp: (why: string) => void) {}

  /** Starts the worker (loading it takes a moment: better before the first checkpoint is due). */
  warm(): void {
    if (!this.closed) this.started();
  }

  /** Asks for a checkpoint; one runs at a time, a request while it runs makes one more after it. */
  request(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    const worker = this.started();
    if (worker === undefined) return;
    this.running = true;
    worker.postMessage('checkpoint');
  }

  private started(): Worker | undefined {
    if (this.worker !== undefined) return this.worker;
    try {
      const worker = startTsWorker(new URL('./wal-checkpoint-worker.ts', import.meta.url), { path: this.path });
      worker.unref();
      worker.on('message', (answer: Answer) => {
        this.running = false;
        this.runs += 1;
        if (!answer.ok) return this.giveUp(`checkpoint failed: ${answer.error}`);
        this.lastFrames = answer.frames;
        this.lastCopied = answer.copied;
        if (this.again) {
          this.again = false;
          this.request();
        }
      });
      worker.on('error', (err) => this.giveUp(`checkpoint worker failed: ${err.message}`));
      worker.on('exit', (code) => { if (!this.closed) this.giveUp(`checkpoint worker exited (${code})`); });
      this.worker = worker;
      return worker;
    } catch (err) {
      this.giveUp(`checkpoint worker not started: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  private giveUp(why: string): void {
    if (this.closed) return;
    this.closed = true;
    this.running = false;
    void this.worker?.terminate();
    this.worker = undefined;
    this.onGiveUp(why);
  }

  /** Ends the worker (its connection closed first when it answers in time). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const worker = this.worker;
    this.worker = undefined;
    if (worker === undefined) return;
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.postMessage('close');
    const timer = setTimeout(() => void worker.terminate(), 2_000);
    timer.unref();
    await exited;
    clearTimeout(timer);
  }
}
