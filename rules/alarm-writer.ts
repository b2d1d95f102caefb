import type { Worker } from 'node:worker_threads';
import { Counter, Gauge, type Registry } from 'prom-client';
import { TzError, type Logger } from '../service-kit/index.ts';
import type { EmittedEvent } from './alarm-lifecycle.ts';
import type { StatesJob, WriterAnswer, WriterJob, WriterMessage, WriterStart } from './alarm-writer-protocol.ts';
import { startTsWorker } from './ts-worker.ts';

// The rules store's alarm writer (issue 18): a batch's alarm changes are
// committed on a worker thread with its own SQLite connection to the same
// file (alarm-writer-worker.ts), synchronous=FULL, so neither the
// transaction's CPU (rows, incident lookups, outbox JSON) nor its fsync runs
// on the event loop that evaluates readings. Guarantee: a job's Promise
// resolves only when its rows and their outbox rows are committed and
// durable; it rejects (TZ_STORE_UNAVAILABLE) when the commit failed, the
// thread died or was stopped — then nothing of it is acknowledged (the
// caller's PUBACK waits for this Promise). Jobs are committed and answered in
// the order they were posted, so one device's changes reach the database in
// evaluation order. After the thread died the store gives it up for good and
// the engine commits on the event loop again (`running()` false), slower but
// with the same guarantee.

export type WriterResult = { events: EmittedEvent[]; failed: Array<{ reading: number; error: string }> };

export interface AlarmWriterOptions {
  log?: Logger;
  /** Where its metrics go (the rules service's /metrics). */
  registry?: Registry;
  /** Test seam, see WriterStart. */
  gate?: Int32Array;
  /** How long `close()` waits for the jobs in flight before it ends the thread (they fail). */
  closeTimeoutMs?: number;
  /** Called when a slice of the write-behind checkpoint is committed (the store then asks for a WAL checkpoint). */
  onStatesSaved?: () => void;
}

interface Waiter { resolve: (r: WriterResult) => void; reject: (err: Error) => void }

function writerMetrics(registry: Registry | undefined, depth: () => number) {
  const registers = registry ? [registry] : [];
  return {
    queue: new Gauge({ name: 'tz_rules_alarm_writer_queue', help: 'Batches of alarm changes posted to the writer thread and not yet committed and synced', registers, collect() { this.set(depth()); } }),
    commits: new Counter({ name: 'tz_rules_alarm_writer_commits_total', help: 'Transactions (each one WAL fsync) the alarm writer thread committed, each holding every batch that queued meanwhile', registers }),
    failures: new Counter({
      name: 'tz_rules_alarm_writer_failures_total', help: 'Batches of alarm changes the writer thread did not store (not acknowledged), by reason: commit (the transaction failed), crashed (the thread died), stopped (shut down with it in flight)',
      labelNames: ['reason'], registers,
    }),
  };
}

export class AlarmWriter {
  private worker: Worker | undefined;
  private readonly waiting = new Map<number, Waiter>();
  /** Slices of the write-behind checkpoint posted and not answered (not batches: not in `depth()` nor the writer's batch metrics). */
  private readonly slices = new Map<number, { resolve: (tookMs: number) => void; reject: (err: Error) => void }>();
  private nextId = 1;
  private state: 'idle' | 'running' | 'closing' | 'closed' | 'failed' = 'idle';
  private readonly metrics: ReturnType<typeof writerMetrics>;
  /** Transactions the thread committed (each one fsync). */
  commits = 0;

  constructor(private readonly path: string, private readonly o: AlarmWriterOptions = {}) {
    this.metrics = writerMetrics(o.registry, () => this.waiting.size);
  }

  /** Whether jobs can be posted: false once it was closed or died (the caller then commits on its own connection). */
  running(): boolean {
    return this.state === 'idle' || this.state === 'running';
  }

  /** Starts the thread (loading it takes a moment: better before the first batch). */
  warm(): void {
    this.started();
  }

  /** Jobs posted and not answered yet. */
  depth(): number {
    return this.waiting.size;
  }

  /** Posts one job; resolves with its events once committed and synced. */
  write(job: Omit<WriterJob, 'id'>): Promise<WriterResult> {
    return this.post(this.waiting, (id) => ({ ...job, id }));
  }

  /**
   * Posts one slice of the engine's write-behind checkpoint (device id, serialised state): committed in a
   * transaction of its own after every batch posted before it, synced unless `relaxed`. Resolves with the
   * thread's time for it (ms); rejects when it failed or the thread died (the caller writes it itself then).
   */
  saveStates(states: Array<[string, string]>, now: number, relaxed: boolean): Promise<number> {
    return this.post(this.slices, (id): StatesJob => ({ id, kind: 'states', now, states, relaxed }));
  }

  private inFlight(): number {
    return this.waiting.size + this.slices.size;
  }

  /** Posts a message under the next id; its answer settles the Promise kept in `pending`. */
  private post<T>(pending: Map<number, { resolve: (value: T) => void; reject: (err: Error) => void }>, message: (id: number) => WriterMessage): Promise<T> {
    const worker = this.started();
    if (worker === undefined) return Promise.reject(new TzError('TZ_STORE_UNAVAILABLE', 'rules: the alarm writer thread is not running'));
    const id = this.nextId++;
    const answer = new Promise<T>((resolve, reject) => pending.set(id, { resolve, reject }));
    // A job in flight keeps the process alive until it is answered (an idle writer does not).
    if (this.inFlight() === 1) worker.ref();
    worker.postMessage(message(id));
    return answer;
  }

  private started(): Worker | undefined {
    if (this.worker !== undefined || this.state !== 'idle') return this.worker;
    try {
      const start: WriterStart = { path: this.path, ...(this.o.gate ? { gate: this.o.gate } : {}) };
      const worker = startTsWorker(new URL('./alarm-writer-worker.ts', import.meta.url), start);
      worker.unref();
      worker.on('message', (answers: WriterAnswer[]) => { for (const answer of answers) this.answered(answer); });
      worker.on('error', (err) => this.died(`failed: ${err.message}`));
      worker.on('exit', (code) => {
        if (this.state === 'running') this.died(`exited (${code})`);
        else this.failAll('stopped', 'rules: the alarm writer thread stopped with this batch in flight');
      });
      this.worker = worker;
      this.state = 'running';
      return worker;
    } catch (err) {
      this.died(`not started: ${err instanceof Error ? err.message : String(err)}`);
      return undefined;
    }
  }

  private answered(answer: WriterAnswer): void {
    const slice = this.slices.get(answer.id);
    if (slice !== undefined) {
      this.slices.delete(answer.id);
      if (this.inFlight() === 0) this.worker?.unref();
      if (!answer.ok) return slice.reject(new TzError('TZ_STORE_UNAVAILABLE', `rules: the alarm writer could not save a checkpoint slice: ${answer.error}`));
      this.o.onStatesSaved?.();
      return slice.resolve(answer.tookMs ?? 0);
    }
    const waiter = this.waiting.get(answer.id);
    if (waiter === undefined) return;
    this.waiting.delete(answer.id);
    if (this.inFlight() === 0) this.worker?.unref();
    if (answer.commits > this.commits) {
      this.metrics.commits.inc(answer.commits - this.commits);
      this.commits = answer.commits;
    }
    if (answer.ok) waiter.resolve({ events: answer.events, failed: answer.failed });
    else {
      this.metrics.failures.inc({ reason: 'commit' });
      waiter.reject(new TzError('TZ_STORE_UNAVAILABLE', `rules: the alarm writer could not commit a batch: ${answer.error}`));
    }
  }

  private died(why: string): void {
    if (this.state === 'failed' || this.state === 'closed') return;
    const wasClosing = this.state === 'closing';
    this.state = 'failed';
    const worker = this.worker;
    this.worker = undefined;
    void worker?.terminate();
    const lost = this.waiting.size;
    this.failAll(wasClosing ? 'stopped' : 'crashed', `rules: the alarm writer thread ${why}`);
    if (!wasClosing) this.o.log?.error({ err: why, batchesFailed: lost }, 'rules: alarm writer thread died; its batches in flight are not acknowledged, batch commits are back on the event loop');
  }

  private failAll(reason: 'crashed' | 'stopped', message: string): void {
    const err = new TzError('TZ_STORE_UNAVAILABLE', message);
    // Checkpoint slices are not counted as lost batches: the engine writes them on its own connection instead.
    const slices = [...this.slices.values()];
    this.slices.clear();
    for (const s of slices) s.reject(err);
    if (this.waiting.size === 0) return;
    this.metrics.failures.inc({ reason }, this.waiting.size);
    const waiters = [...this.waiting.values()];
    this.waiting.clear();
    for (const w of waiters) w.reject(err);
  }

  /** Lets the thread commit what it was given and end; after `closeTimeoutMs` it is ended and what is left fails. */
  async close(): Promise<void> {
    const worker = this.worker;
    if (worker === undefined || this.state !== 'running') {
      if (this.state === 'idle') this.state = 'closed';
      return;
    }
    this.state = 'closing';
    const exited = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    worker.ref();
    worker.postMessage('close' satisfies WriterMessage);
    const timer = setTimeout(() => void worker.terminate(), this.o.closeTimeoutMs ?? 10_000);
    await exited;
    clearTimeout(timer);
    this.worker = undefined;
    this.state = 'closed';
    this.failAll('stopped', 'rules: the alarm writer thread stopped with this batch in flight');
  }
}
