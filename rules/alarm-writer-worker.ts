import { parentPort, workerData } from 'node:worker_threads';
import { AlarmLifecycle, type EmittedEvent } from './alarm-lifecycle.ts';
import { GATE_CRASH, GATE_FAIL, GATE_HOLD, type WireTransition, type WriterAnswer, type WriterJob, type WriterMessage, type WriterStart } from './alarm-writer-protocol.ts';
import { SqliteRulesStore } from './sqlite-store.ts';

// The alarm writer thread (alarm-writer.ts): its own connection to the rules
// database, synchronous=FULL. Jobs that queued while it committed are taken
// together: one transaction (BEGIN IMMEDIATE: it waits for the event loop's
// connection instead of failing), each reading's changes savepoints of their
// own through the one AlarmLifecycle, one COMMIT and so one WAL fsync for all
// of them. Each job is answered only after that COMMIT returned: its rows are
// durable (FULL syncs the WAL inside COMMIT, before other connections can see
// the commit). The fsync blocks this thread, never the event loop.

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
let commits = 0;
let scheduled = false;
let closing = false;

port.on('message', (message: WriterMessage) => {
  if (message === 'close') closing = true;
  else queue.push(message);
  // Every message that arrived while the last group committed is delivered before this runs: they form the next group.
  if (!scheduled) {
    scheduled = true;
    setImmediate(drain);
  }
});

function drain(): void {
  scheduled = false;
  const group = queue.splice(0);
  if (group.length > 0) commitGroup(group);
  if (closing && queue.length === 0) {
    store.close();
    port?.close();
  }
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
  Atomics.add(gate, 1, 1);
  Atomics.notify(gate, 1);
  while (Atomics.load(gate, 0) === GATE_HOLD) Atomics.wait(gate, 0, GATE_HOLD);
  const state = Atomics.load(gate, 0);
  if (state === GATE_CRASH) throw new Error('alarm writer: crashed (test gate)');
  return state;
}
