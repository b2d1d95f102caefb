import Database from 'better-sqlite3';

/** A batch or reading the pipeline refused, kept with its reason so nothing is lost silently. */
export interface DeadLetter {
  topic: string;
  gatewayId: string | null;
  deviceId: string | null;
  /** Stable, low-cardinality: 'malformed-protobuf', 'unknown-profile', 'above-max', 'influx-rejected', ... */
  reason: string;
  /** Human detail: which metric, which value, the server's message. */
  detail: string;
  /** The raw batch bytes, or the one refused reading re-encoded as an UplinkBatch (replayable). */
  payload: Uint8Array;
}

export interface DeadLetterRecord extends DeadLetter {
  id: number;
  /** ISO-8601 time the letter was stored. */
  receivedAt: string;
}

export interface DeadLetterStore {
  /** Stores letters in one transaction; durable (WAL, synchronous=FULL) when it returns. */
  add(letters: readonly DeadLetter[]): void;
  list(options?: { reason?: string; limit?: number }): DeadLetterRecord[];
  count(reason?: string): number;
  close(): void;
}

interface Row {
  id: number;
  received_at: string;
  topic: string;
  gateway_id: string | null;
  device_id: string | null;
  reason: string;
  detail: string;
  payload: Buffer;
}

/** The dead-letter store in a SQLite file (better-sqlite3, WAL). */
export function openDeadLetterStore(path: string): DeadLetterStore {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  // FULL: a letter is on disk before the MQTT message it came from is acknowledged.
  db.pragma('synchronous = FULL');
  db.exec(`CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    topic TEXT NOT NULL,
    gateway_id TEXT,
    device_id TEXT,
    reason TEXT NOT NULL,
    detail TEXT NOT NULL,
    payload BLOB NOT NULL
  );
  CREATE INDEX IF NOT EXISTS dead_letters_reason ON dead_letters(reason);`);
  const insert = db.prepare('INSERT INTO dead_letters (received_at, topic, gateway_id, device_id, reason, detail, payload) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insertMany = db.transaction((letters: readonly DeadLetter[]) => {
    const now = new Date().toISOString();
    for (const l of letters) insert.run(now, l.topic, l.gatewayId, l.deviceId, l.reason, l.detail, Buffer.from(l.payload));
  });
  const countAll = db.prepare('SELECT COUNT(*) AS n FROM dead_letters');
  const countReason = db.prepare('SELECT COUNT(*) AS n FROM dead_letters WHERE reason = ?');
  const listAll = db.prepare('SELECT * FROM dead_letters ORDER BY id LIMIT ?');
  const listReason = db.prepare('SELECT * FROM dead_letters WHERE reason = ? ORDER BY id LIMIT ?');
  const toRecord = (r: Row): DeadLetterRecord => ({ id: r.id, receivedAt: r.received_at, topic: r.topic, gatewayId: r.gateway_id, deviceId: r.device_id, reason: r.reason, detail: r.detail, payload: new Uint8Array(r.payload) });

  return {
    add(letters) {
      if (letters.length > 0) insertMany(letters);
    },
    list(options = {}) {
      const limit = options.limit ?? 1000;
      const rows = (options.reason === undefined ? listAll.all(limit) : listReason.all(options.reason, limit)) as Row[];
      return rows.map(toRecord);
    },
    count(reason) {
      const row = (reason === undefined ? countAll.get() : countReason.get(reason)) as { n: number };
      return row.n;
    },
    close() {
      if (db.open) db.close();
    },
  };
}
