import Database from 'better-sqlite3';
import { createHash } from 'node:crypto';

/** The seq and time a direct device's message was given; a retransmission gets the same again. */
export interface Stamp {
  seq: number;
  atMs: number;
  /** True when this message was seen before (same message id, or the same bytes within the retransmit window). */
  repeat: boolean;
}

/**
 * Per-device sequence numbers and the messages already stamped, durable in
 * SQLite (WAL, synchronous=FULL). Why: an UplinkBatch reading is idempotent in
 * InfluxDB only when a replay carries the same device time; a device that sends
 * no timestamp would otherwise get a new receive time on every retransmission
 * and be written twice. So a message is keyed by the device's own message id
 * (remembered `idWindowMs`), or else by the hash of its bytes (remembered only
 * `retransmitWindowMs`: two honest identical readings minutes apart are two
 * readings), and a repeat is given its first seq and time back.
 */
export class DirectLedger {
  private readonly db: Database.Database;
  private readonly stmt;
  private batchSeq: number;

  constructor(path: string, private readonly windows: { idWindowMs: number; retransmitWindowMs: number }) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = FULL');
    this.db.pragma('busy_timeout = 2000');
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS direct_seq (device_id TEXT PRIMARY KEY, seq INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS direct_seen (device_id TEXT NOT NULL, msg_key TEXT NOT NULL, seq INTEGER NOT NULL, at_ms INTEGER NOT NULL, expires_at INTEGER NOT NULL, PRIMARY KEY (device_id, msg_key));
      CREATE TABLE IF NOT EXISTS direct_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
    `);
    this.stmt = {
      seen: this.db.prepare('SELECT seq, at_ms AS atMs FROM direct_seen WHERE device_id = ? AND msg_key = ? AND expires_at > ?'),
      seq: this.db.prepare('SELECT seq FROM direct_seq WHERE device_id = ?'),
      setSeq: this.db.prepare('INSERT INTO direct_seq (device_id, seq) VALUES (?, ?) ON CONFLICT(device_id) DO UPDATE SET seq = excluded.seq'),
      remember: this.db.prepare('INSERT INTO direct_seen (device_id, msg_key, seq, at_ms, expires_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT(device_id, msg_key) DO UPDATE SET seq = excluded.seq, at_ms = excluded.at_ms, expires_at = excluded.expires_at'),
      prune: this.db.prepare('DELETE FROM direct_seen WHERE expires_at <= ?'),
      setMeta: this.db.prepare('INSERT INTO direct_meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
    };
    this.batchSeq = (this.db.prepare("SELECT value FROM direct_meta WHERE key = 'batch_seq'").get() as { value: number } | undefined)?.value ?? 0;
  }

  /** Seq and time for one message, durable when it returns. */
  stamp(deviceId: string, raw: Buffer, messageId: string | undefined, deviceTimeMs: number | undefined, now: number): Stamp {
    const key = messageId !== undefined ? `id:${messageId}` : `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    return this.db.transaction((): Stamp => {
      const seen = this.stmt.seen.get(deviceId, key, now) as { seq: number; atMs: number } | undefined;
      if (seen) return { ...seen, repeat: true };
      const seq = ((this.stmt.seq.get(deviceId) as { seq: number } | undefined)?.seq ?? 0) + 1;
      const atMs = deviceTimeMs ?? now;
      this.stmt.setSeq.run(deviceId, seq);
      this.stmt.remember.run(deviceId, key, seq, atMs, now + (messageId !== undefined ? this.windows.idWindowMs : this.windows.retransmitWindowMs));
      return { seq, atMs, repeat: false };
    })();
  }

  nextBatchSeq(): number {
    this.batchSeq++;
    this.stmt.setMeta.run('batch_seq', this.batchSeq);
    return this.batchSeq;
  }

  prune(now: number): number {
    return this.stmt.prune.run(now).changes;
  }

  close(): void {
    this.db.close();
  }
}
