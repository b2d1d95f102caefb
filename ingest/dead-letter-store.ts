import type Database from 'better-sqlite3';
import { openSqlite } from '../service-kit/index.ts';
import type { RejectReason } from './reject-reasons.ts';

/** A batch or reading the pipeline refused, kept with its reason so nothing is lost silently. */
export interface DeadLetter {
  topic: string;
  gatewayId: string | null;
  deviceId: string | null;
  /** One of the closed set in reject-reasons.ts. */
  reason: RejectReason;
  /** Human detail: which metric, which value, the server's message. */
  detail: string;
  /** The raw batch bytes, or the one refused reading re-encoded as an UplinkBatch (replayable). */
  payload: Uint8Array;
}

export interface DeadLetterRecord extends Omit<DeadLetter, 'reason'> {
  /** As stored: a store written by an older release may hold a reason no longer in the set. */
  reason: string;
  id: number;
  /** ISO-8601 time the letter was stored. */
  receivedAt: string;
  /** ISO-8601 time a replay wrote it; null while it is still dead. */
  replayedAt: string | null;
  replayAttempts: number;
  /** Why the last replay could not write it (the current profiles still refuse it), if one was tried. */
  lastReplayProblem: string | null;
}

export interface DeadLetterQuery {
  reason?: string;
  /** Only letters with an id above this (paging). */
  afterId?: number;
  /** Replayed letters are kept for the record but hidden unless asked for. */
  includeReplayed?: boolean;
  limit?: number;
}

export interface DeadLetterStore {
  /** Stores letters in one transaction; durable (WAL, synchronous=FULL) when it returns. */
  add(letters: readonly DeadLetter[]): void;
  list(query?: DeadLetterQuery): DeadLetterRecord[];
  get(id: number): DeadLetterRecord | undefined;
  /** Letters still dead (not replayed), optionally of one reason. */
  count(reason?: string): number;
  /** Counts of letters still dead, by reason. */
  countByReason(): Record<string, number>;
  markReplayed(id: number): void;
  markReplayFailed(id: number, problem: string): void;
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
  replayed_at: string | null;
  replay_attempts: number;
  last_replay_problem: string | null;
}

/** The dead-letter store in a SQLite file (better-sqlite3, WAL): the service writes, the CLI reads and replays concurrently. */
export function openDeadLetterStore(path: string): DeadLetterStore {
  // Full: a letter is on disk before the MQTT message it came from is acknowledged.
  const db = openSqlite(path, { durability: 'full' });
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
  // Files written before replay existed get the replay columns added in place.
  const columns = new Set((db.prepare('PRAGMA table_info(dead_letters)').all() as Array<{ name: string }>).map((c) => c.name));
  if (!columns.has('replayed_at')) db.exec('ALTER TABLE dead_letters ADD COLUMN replayed_at TEXT');
  if (!columns.has('replay_attempts')) db.exec('ALTER TABLE dead_letters ADD COLUMN replay_attempts INTEGER NOT NULL DEFAULT 0');
  if (!columns.has('last_replay_problem')) db.exec('ALTER TABLE dead_letters ADD COLUMN last_replay_problem TEXT');

  const insert = db.prepare('INSERT INTO dead_letters (received_at, topic, gateway_id, device_id, reason, detail, payload) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const insertMany = db.transaction((letters: readonly DeadLetter[]) => {
    const now = new Date().toISOString();
    for (const l of letters) insert.run(now, l.topic, l.gatewayId, l.deviceId, l.reason, l.detail, Buffer.from(l.payload.buffer, l.payload.byteOffset, l.payload.byteLength));
  });
  const select = db.prepare(`SELECT * FROM dead_letters
    WHERE id > @afterId AND (@reason IS NULL OR reason = @reason) AND (@includeReplayed = 1 OR replayed_at IS NULL)
    ORDER BY id LIMIT @limit`);
  const selectOne = db.prepare('SELECT * FROM dead_letters WHERE id = ?');
  const countLive = db.prepare('SELECT COUNT(*) AS n FROM dead_letters WHERE replayed_at IS NULL AND (@reason IS NULL OR reason = @reason)');
  const countReasons = db.prepare('SELECT reason, COUNT(*) AS n FROM dead_letters WHERE replayed_at IS NULL GROUP BY reason ORDER BY reason');
  const replayed = db.prepare('UPDATE dead_letters SET replayed_at = ?, replay_attempts = replay_attempts + 1, last_replay_problem = NULL WHERE id = ?');
  const replayFailed = db.prepare('UPDATE dead_letters SET replay_attempts = replay_attempts + 1, last_replay_problem = ? WHERE id = ?');
  const toRecord = (r: Row): DeadLetterRecord => ({
    id: r.id, receivedAt: r.received_at, topic: r.topic, gatewayId: r.gateway_id, deviceId: r.device_id, reason: r.reason, detail: r.detail,
    payload: new Uint8Array(r.payload), replayedAt: r.replayed_at, replayAttempts: r.replay_attempts, lastReplayProblem: r.last_replay_problem,
  });

  return {
    add(letters) {
      if (letters.length > 0) insertMany(letters);
    },
    list(query = {}) {
      const rows = select.all({ afterId: query.afterId ?? 0, reason: query.reason ?? null, includeReplayed: query.includeReplayed ? 1 : 0, limit: query.limit ?? 1000 }) as Row[];
      return rows.map(toRecord);
    },
    get(id) {
      const row = selectOne.get(id) as Row | undefined;
      return row ? toRecord(row) : undefined;
    },
    count(reason) {
      return (countLive.get({ reason: reason ?? null }) as { n: number }).n;
    },
    countByReason() {
      return Object.fromEntries((countReasons.all() as Array<{ reason: string; n: number }>).map((r) => [r.reason, r.n]));
    },
    markReplayed(id) {
      replayed.run(new Date().toISOString(), id);
    },
    markReplayFailed(id, problem) {
      replayFailed.run(problem, id);
    },
    close() {
      if (db.open) db.close();
    },
  };
}
