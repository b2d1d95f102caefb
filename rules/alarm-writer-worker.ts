import { parentPort, workerData } from 'node:worker_threads';
import { AlarmLifecycle, type EmittedEvent } from './alarm-lifecycle.ts';
import { GATE_CRASH, GATE_FAIL, GATE_HOLD, GATE_HOLD_LOCKED, type StatesJob, type WireTransition, type WriterAnswer, type WriterJob, type WriterMessage, type WriterStart } from './alarm-writer-protocol.ts';
import { SqliteRulesStore } from './sqlite-store.ts';

// The alarm writer thread (alarm-writer.ts): its own connection to the rules
// database, synchronous=FULL. Jobs that queued while it committed are taken
// together: one transaction (BEGIN IMMEDIATE: it waits for the event loop's
// connection instead of failing), each reading's changes savepoints of their
// own through the one AlarmLifecycle, one COMMIT and so one WAL fsync for all
// of them. Each job is answered only after that COMMIT returned: its rows are
// durable (FULL syncs the WAL inside COMMIT, before other connections can see
// the commit). The fsync blocks this thread, never the event loop.
//
// The engine's write-behind checkpoint comes here too, in slices (StatesJob),
// so its upserts never wait on the event loop for this thread's write lock
// and fsync. Each turn commits every alarm job queued, then at most one slice:
// a batch posted while a big checkpoint runs waits for one slice at most.
// Order: a slice is committed after every alarm job posted before it (those
// were all queued, and are committed, earlier in the same turn or before).
// That matters: a slice serialises states as evaluated, so it may hold a
// reading whose alarm change was posted just before; committed first, a crash
// in between would leave a checkpoint whose last-seen rejects the
// redelivered reading (stale-reading) while its alarm was never stored. The
// other way round is harmless: alarm jobs posted after a slice may overtake
// it (the checkpoint is then older than the alarms, as after any crash: the
// open alarms are restored over it and `findRaisedAlarm` dedupes a raise
// delivered again).

const port = parentPort;
if (port === null) throw new Error('alarm-writer-worker: not started as a worker thread');
const start = workerData as WriterStart;
// No checkpointer of its own (the store's runs beside it); the writer's COMMITs checkpoint past 1,000 WAL pages, on this thread.
const store = new SqliteRulesStore(start.path, { checkpointWorker: false });

let now = 0;
let sinks: readonly string[] = [];
let current: WireTransition | undefined;
let events: EmittedEvent[] = [];
const lifecycle = new AlarmLifecycle({
  store, clock: { now: () => now }, sinks: () => sinks,
  // Resolved on the event loop when the batch ended: the gateway topology and the silences live there.
  gatewayAlarmOf: () => current?.suppressedBy ?? null,
  silenceOf: () => current?.silencedBy ?? null,
  onEvent: (type, alarm, delivered) => { events.push([type, alarm, delivered]); },
});

const queue: WriterJob[] = [];
const slices: StatesJob[] = [];
let commits = 0;
let scheduled = false;
let closing = false;

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(drain);
}

port.on('message', (message: WriterMessage) => {
  if (message === 'close') closing = true;
  else if (message.kind === 'states') slices.push(message);
  else queue.push(message);
  // Every message that arrived while the last group committed is delivered before this runs: they form the next group.
  schedule();
});

function drain(): void {
  scheduled = false;
  const group = queue.splice(0);
  if (group.length > 0) commitGroup(group);
  // After the alarm jobs queued before it (see the top): one slice a turn, so batches interleave with a long checkpoint.
  const slice = slices.shift();
  if (slice !== undefined) commitStates(slice);
  if (queue.length > 0 || slices.length > 0) schedule();
  else if (closing) {
    store.close();
    port?.close();
  }
}

/** One slice of the write-behind: its own transaction, synchronous as the slice asks (see `saveDeviceStates`). */
function commitStates(job: StatesJob): void {
  let answer: WriterAnswer;
  try {
    if (passGate() === GATE_FAIL) throw new Error('the commit failed (test gate)');
    const began = performance.now();
    // Not counted in `commits` (alarm transactions, one fsync each): most slices are not synced.
    store.saveDeviceStates(job.states, job.now, job.relaxed);
    answer = { id: job.id, ok: true, events: [], failed: [], commits, tookMs: performance.now() - began };
  } catch (err) {
    answer = { id: job.id, ok: false, error: messageOf(err), commits };
  }
  port?.postMessage([answer]);
}

const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

function commitGroup(group: WriterJob[]): void {
  const gate = passGate();
  const results = group.map(() => ({ events: [] as EmittedEvent[], failed: [] as Array<{ reading: number; error: string }> }));
  let answers: WriterAnswer[];
  try {
    store.transaction(function* () {
      group.forEach((job, j) => {
        const result = results[j];
        if (result === undefined) return;
        now = job.now;
        sinks = job.sinks;
        events = result.events;
        job.readings.forEach((reading, i) => {
          try {
            for (const t of reading.transitions) {
              current = t;
              if (t.mode === 'shadow') lifecycle.recordShadow(t);
              else lifecycle.apply(t);
            }
          } catch (err) {
            // As on the event loop: the reading's change is dropped (its savepoint rolled back) and counted there; the others are stored.
            result.failed.push({ reading: i, error: messageOf(err) });
          }
        });
      });
      current = undefined;
      if (gate === GATE_FAIL) throw new Error('the commit failed (test gate)');
      if (gate === GATE_HOLD_LOCKED) holdLocked();
    });
    commits += 1;
    answers = group.map((job, j) => ({ id: job.id, ok: true, events: results[j]?.events ?? [], failed: results[j]?.failed ?? [], commits }));
  } catch (err) {
    // Nothing of the group is stored (rolled back): every job fails, no PUBACK for any of them.
    answers = group.map((job) => ({ id: job.id, ok: false, error: messageOf(err), commits }));
  }
  // One message for the group: the event loop handles one event per commit, not one per batch.
  port?.postMessage(answers);
}

/** The test seam: waits while held; a crash leaves this thread with an uncaught error. */
function passGate(): number {
  const gate = start.gate;
  if (gate === undefined) return 0;
  // Held inside the transaction instead (holdLocked): counted there, once the write lock is taken.
  if (Atomics.load(gate, 0) === GATE_HOLD_LOCKED) return GATE_HOLD_LOCKED;
  Atomics.add(gate, 1, 1);
  Atomics.notify(gate, 1);
  while (Atomics.load(gate, 0) === GATE_HOLD) Atomics.wait(gate, 0, GATE_HOLD);
  const state = Atomics.load(gate, 0);
  if (state === GATE_CRASH) throw new Error('alarm writer: crashed (test gate)');
  return state;
}

/** The test seam's other hold: inside an alarm group's transaction, holding SQLite's write lock (as a slow COMMIT and fsync would). */
function holdLocked(): void {
  const gate = start.gate;
  if (gate === undefined) return;
  Atomics.add(gate, 1, 1);
  Atomics.notify(gate, 1);
  while (Atomics.load(gate, 0) === GATE_HOLD_LOCKED) Atomics.wait(gate, 0, GATE_HOLD_LOCKED);
}
