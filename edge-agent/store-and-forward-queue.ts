// The store-and-forward queue: everything the gateway has sealed into a batch
// and the broker has not yet acknowledged (PUBACK). One small interface, one
// shared test suite every implementation must pass
// (test/store-and-forward-queue.suite.ts), as MQTT.js does with its Store.

/** A sealed UplinkBatch, encoded, as it is kept until the broker acknowledges it. */
export interface QueueEntry {
  /** The encoded UplinkBatch (sent again byte for byte on replay). */
  payload: Uint8Array;
  /** Readings inside, for depth and drop counts. */
  readings: number;
  /** Device time of the oldest reading (or status), ms; drives "oldest unsent age". */
  firstReadingAtMs: number;
}

export interface QueuedBatch extends QueueEntry {
  /** Position in the queue; ids only ever increase, never reused. */
  id: number;
}

export interface QueueStats {
  batches: number;
  readings: number;
  bytes: number;
  /** Oldest reading still queued (device time, ms), null when empty. */
  oldestReadingAtMs: number | null;
  /** Since this queue was opened: batches and readings dropped by the bound. */
  droppedBatches: number;
  droppedReadings: number;
}

export interface AppendResult {
  /** Id of the appended batch; 0 when the batch alone is larger than the bound (then it is the one dropped). */
  id: number;
  /** Batches dropped to make room (oldest first). */
  dropped: QueuedBatch[];
}

/**
 * Drop policy: bounded by payload bytes; when an append goes over the bound
 * the OLDEST batches are dropped (the newest data is what operators act on),
 * and every dropped batch and reading is counted.
 */
export interface StoreAndForwardQueue {
  readonly maxBytes: number;
  /**
   * Appends durably: when this returns the batch survives a crash. `alongside`
   * runs inside the same transaction (the agent saves per-device counters with
   * the batch that used them), and if it throws nothing is appended.
   */
  append(entry: QueueEntry, alongside?: () => void): AppendResult;
  /** Up to `limit` batches with `afterId < id <= upToId`, oldest first. */
  read(afterId: number, limit: number, upToId?: number): QueuedBatch[];
  /** Forgets an acknowledged batch; false when it is already gone (dropped or removed before). */
  remove(id: number): boolean;
  /** Highest id ever appended (0 for a new queue), even if since removed. */
  lastId(): number;
  stats(): QueueStats;
  close(): void;
}
