import type { GatewayDatabase } from './gateway-database.ts';
import { ensureDiskReserve, isDiskFull, openGatewayDatabase, releaseDiskReserve } from './gateway-database.ts';
import type { AppendResult, QueueEntry, QueueStats, QueuedBatch, StoreAndForwardQueue } from './store-and-forward-queue.ts';

function prepare(d: GatewayDatabase) {
  return {
    insert: d.prepare('INSERT INTO uplink_queue (payload, readings, first_reading_at) VALUES (?, ?, ?)'),
    oldest: d.prepare('SELECT id, payload, readings, first_reading_at FROM uplink_queue ORDER BY id LIMIT 1'),
    range: d.prepare('SELECT id, payload, readings, first_reading_at FROM uplink_queue WHERE id > ? AND id <= ? ORDER BY id LIMIT ?'),
    sizeOf: d.prepare('SELECT length(payload) AS bytes, readings FROM uplink_queue WHERE id = ?'),
    remove: d.prepare('DELETE FROM uplink_queue WHERE id = ?'),
    oldestAt: d.prepare('SELECT first_reading_at AS at FROM uplink_queue ORDER BY id LIMIT 1'),
    seq: d.prepare("SELECT seq FROM sqlite_sequence WHERE name = 'uplink_queue'"),
  };
}

interface Row { id: number; payload: Buffer; readings: number; first_reading_at: number }
const toBatch = (r: Row): QueuedBatch => ({ id: r.id, payload: new Uint8Array(r.payload.buffer, r.payload.byteOffset, r.payload.byteLength), readings: r.readings, firstReadingAtMs: r.first_reading_at });

/**
 * The StoreAndForwardQueue on SQLite (better-sqlite3): one row per sealed
 * batch, AUTOINCREMENT ids (never reused, so replay cursors stay valid), each
 * append one transaction committed with synchronous=FULL. Totals are kept in
 * memory after one scan at open, so stats() costs nothing per poll.
 */
export class SqliteStoreAndForwardQueue implements StoreAndForwardQueue {
  private readonly ownsDb: boolean;
  private totals = { batches: 0, readings: 0, bytes: 0 };
  private last = 0;
  private droppedBatches = 0;
  private droppedReadings = 0;
  private readonly stmt: ReturnType<typeof prepare>;
  private readonly db: GatewayDatabase;

  /** On an open gateway database (shared with the agent's counters), or on its own file. */
  constructor(db: GatewayDatabase | string, readonly maxBytes: number) {
    this.ownsDb = typeof db === 'string';
    const d = typeof db === 'string' ? openGatewayDatabase(db) : db;
    this.db = d;
    d.exec(`CREATE TABLE IF NOT EXISTS uplink_queue (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      payload BLOB NOT NULL,
      readings INTEGER NOT NULL,
      first_reading_at INTEGER NOT NULL
    )`);
    this.stmt = prepare(d);
    const t = d.prepare('SELECT COUNT(*) AS batches, COALESCE(SUM(readings), 0) AS readings, COALESCE(SUM(length(payload)), 0) AS bytes FROM uplink_queue').get() as { batches: number; readings: number; bytes: number };
    this.totals = t;
    this.last = (this.stmt.seq.get() as { seq: number } | undefined)?.seq ?? 0;
  }

  append(entry: QueueEntry, alongside?: () => void): AppendResult {
    const size = entry.payload.byteLength;
    const run = this.db.transaction((): AppendResult => {
      alongside?.();
      if (size > this.maxBytes) {
        // Too big to ever fit: it is the one dropped.
        return { id: 0, dropped: [{ ...entry, id: 0 }] };
      }
      const dropped: QueuedBatch[] = [];
      let bytes = this.totals.bytes;
      while (bytes + size > this.maxBytes) {
        const victim = this.stmt.oldest.get() as Row | undefined;
        if (!victim) break;
        this.stmt.remove.run(victim.id);
        bytes -= victim.payload.byteLength;
        dropped.push(toBatch(victim));
      }
      const id = Number(this.stmt.insert.run(Buffer.from(entry.payload.buffer, entry.payload.byteOffset, entry.payload.byteLength), entry.readings, entry.firstReadingAtMs).lastInsertRowid);
      return { id, dropped };
    });
    const result = run();
    // Only after the commit: the in-memory totals follow what is on disk.
    if (result.id === 0) {
      this.droppedBatches++;
      this.droppedReadings += entry.readings;
      return result;
    }
    this.last = result.id;
    for (const d of result.dropped) {
      this.totals.batches--;
      this.totals.readings -= d.readings;
      this.totals.bytes -= d.payload.byteLength;
      this.droppedBatches++;
      this.droppedReadings += d.readings;
    }
    this.totals.batches++;
    this.totals.readings += entry.readings;
    this.totals.bytes += size;
    return result;
  }

  read(afterId: number, limit: number, upToId = Number.MAX_SAFE_INTEGER): QueuedBatch[] {
    return (this.stmt.range.all(afterId, upToId, limit) as Row[]).map(toBatch);
  }

  remove(id: number): boolean {
    const size = this.stmt.sizeOf.get(id) as { bytes: number; readings: number } | undefined;
    if (!size) return false;
    try {
      this.stmt.remove.run(id);
    } catch (err) {
      if (!isDiskFull(err) || !releaseDiskReserve(this.db)) throw err;
      // Disk full: spend the reserve on the delete, and fold the WAL into the database so it can shrink.
      this.stmt.remove.run(id);
      this.checkpoint();
    }
    this.totals.batches--;
    this.totals.readings -= size.readings;
    this.totals.bytes -= size.bytes;
    // Drained after a full disk: shrink the WAL and take the reserve back.
    if (this.totals.batches === 0 && !ensureDiskReserve(this.db)) {
      this.checkpoint();
      ensureDiskReserve(this.db);
    }
    return true;
  }

  private checkpoint(): void {
    try {
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    } catch {
      // A busy or full checkpoint is retried at the next drain; the delete above is committed either way.
    }
  }

  lastId(): number {
    return this.last;
  }

  stats(): QueueStats {
    const oldest = this.totals.batches > 0 ? (this.stmt.oldestAt.get() as { at: number } | undefined)?.at ?? null : null;
    return { ...this.totals, oldestReadingAtMs: oldest, droppedBatches: this.droppedBatches, droppedReadings: this.droppedReadings };
  }

  close(): void {
    if (this.ownsDb && this.db.open) this.db.close();
  }
}
