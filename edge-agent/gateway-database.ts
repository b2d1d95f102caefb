import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { TzError } from '../service-kit/index.ts';

export type GatewayDatabase = Database.Database;

/**
 * Opens the gateway's one SQLite file (queue, per-device counters, command
 * log). WAL + synchronous=FULL: a commit is on disk (fsync of the WAL) before
 * it returns, so an acknowledged append survives kill -9 and power loss
 * (SQLite "How To Corrupt", §3; WAL mode with FULL syncs every commit).
 */
export function openGatewayDatabase(path: string): GatewayDatabase {
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const db = new Database(path);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    // Another process on the same file (a second agent with the same dataDir) waits briefly, then fails clearly.
    db.pragma('busy_timeout = 2000');
    return db;
  } catch (err) {
    throw new TzError('TZ_QUEUE_STORE', `cannot open the gateway database ${path}: ${(err as Error).message}; check dataDir in the config (it must be writable)`, { cause: err });
  }
}
