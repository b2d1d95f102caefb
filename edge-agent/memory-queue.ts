import type { AppendResult, QueueEntry, QueueStats, QueuedBatch, StoreAndForwardQueue } from './store-and-forward-queue.ts';

/**
 * The StoreAndForwardQueue in memory: the reference implementation the shared
 * suite is checked against, and a queue for tests. It does NOT survive a
 * restart; the agent uses SqliteStoreAndForwardQueue.
 */
export class MemoryStoreAndForwardQueue implements StoreAndForwardQueue {
  private readonly batches: QueuedBatch[] = [];
  private last = 0;
  private bytes = 0;
  private droppedBatches = 0;
  private droppedReadings = 0;

  constructor(readonly maxBytes: number) {}

  append(entry: QueueEntry, alongside?: () => void): AppendResult {
    alongside?.();
    const size = entry.payload.byteLength;
    if (size > this.maxBytes) {
      this.countDrop(entry.readings);
      return { id: 0, dropped: [{ ...entry, id: 0 }] };
    }
    const id = ++this.last;
    const dropped: QueuedBatch[] = [];
    while (this.bytes + size > this.maxBytes) {
      const victim = this.batches.shift();
      if (victim === undefined) break;
      this.bytes -= victim.payload.byteLength;
      this.countDrop(victim.readings);
      dropped.push(victim);
    }
    this.batches.push({ ...entry, payload: Uint8Array.from(entry.payload), id });
    this.bytes += size;
    return { id, dropped };
  }

  read(afterId: number, limit: number, upToId = Number.MAX_SAFE_INTEGER): QueuedBatch[] {
    return this.batches.filter((b) => b.id > afterId && b.id <= upToId).slice(0, limit);
  }

  remove(id: number): boolean {
    const i = this.batches.findIndex((b) => b.id === id);
    const [removed] = i < 0 ? [] : this.batches.splice(i, 1);
    if (removed === undefined) return false;
    this.bytes -= removed.payload.byteLength;
    return true;
  }

  lastId(): number {
    return this.last;
  }

  stats(): QueueStats {
    return {
      batches: this.batches.length,
      readings: this.batches.reduce((n, b) => n + b.readings, 0),
      bytes: this.bytes,
      oldestReadingAtMs: this.batches.length ? Math.min(...this.batches.map((b) => b.firstReadingAtMs)) : null,
      droppedBatches: this.droppedBatches,
      droppedReadings: this.droppedReadings,
    };
  }

  close(): void {
    this.batches.length = 0;
  }

  private countDrop(readings: number): void {
    this.droppedBatches++;
    this.droppedReadings += readings;
  }
}
