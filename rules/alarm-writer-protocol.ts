import type { EmittedEvent, TransitionData } from './alarm-lifecycle.ts';

// What the event loop and the alarm writer thread (alarm-writer.ts,
// alarm-writer-worker.ts) say to each other: plain data only (structured
// clone), no rule objects, no functions.

/** A live or shadow transition, with what only the event loop knows resolved when its batch ended. */
export interface WireTransition extends TransitionData {
  /** The open gateway-offline alarm of its gateway (a no-data fire is stored suppressed by it), or null. */
  suppressedBy: number | null;
  /** The silence in force that covers it (a fire is stored silenced), or null. */
  silencedBy: number | null;
}

/** One reading's alarm changes: a savepoint of their own, so a failure drops only them. */
export interface WriterReading { gatewayId: string; deviceId: string; transitions: WireTransition[] }

/** One MQTT batch (or a tick's no-data transitions). */
export interface WriterJob {
  id: number;
  kind?: 'alarms';
  /** The engine's clock when the batch ended (the lifecycle's `now`: created/updated times, event times). */
  now: number;
  sinks: string[];
  readings: WriterReading[];
}

/**
 * A slice of the engine's write-behind checkpoint (device id, serialised state): one transaction of its own,
 * committed after every alarm job posted before it (see alarm-writer-worker.ts for why that order matters).
 */
export interface StatesJob {
  id: number;
  kind: 'states';
  now: number;
  states: Array<[string, string]>;
  /** Committed without waiting for the disk (synchronous=NORMAL for this transaction), as `saveDeviceStates` says. */
  relaxed: boolean;
}

/** The answer to one job, once the transaction holding it is committed and fsynced (or failed); posted as an array, one per group. */
export type WriterAnswer =
  | { id: number; ok: true; events: EmittedEvent[]; failed: Array<{ reading: number; error: string }>; commits: number; /** A states job: its transaction's time on the thread, ms. */ tookMs?: number }
  | { id: number; ok: false; error: string; commits: number };

export type WriterMessage = WriterJob | StatesJob | 'close';

export interface WriterStart {
  path: string;
  /** Test seam (a SharedArrayBuffer of 2 int32): [0] the gate (GATE_*), [1] groups that reached it. */
  gate?: Int32Array;
}

/**
 * The gate's states: commit; wait before the next transaction; fail it (as a disk error would); end the thread with an
 * uncaught error; wait inside the next alarm group's transaction, holding SQLite's write lock (a slice of the checkpoint
 * passes it).
 */
export const GATE_OPEN = 0;
export const GATE_HOLD = 1;
export const GATE_FAIL = 2;
export const GATE_CRASH = 3;
export const GATE_HOLD_LOCKED = 4;
