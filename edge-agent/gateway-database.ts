import type Database from 'better-sqlite3';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { openSqlite, TzError } from '../service-kit/index.ts';

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
    // Full: a reading is on disk before the device side of the ledger counts it.
    // Another process on the same file (a second agent with the same dataDir) waits briefly, then fails clearly.
    const db = openSqlite(path, { durability: 'full', busyTimeoutMs: 2000 });
    ensureDiskReserve(db);
    return db;
  } catch (err) {
    throw new TzError('TZ_QUEUE_STORE', `cannot open the gateway database ${path}: ${(err as Error).message}; check dataDir in the config (it must be writable)`, { cause: err });
  }
}

/**
 * Space held back for a full disk. When the disk fills while the link is
 * down, even deleting acknowledged batches needs room (WAL frames), so the
 * queue could never drain. A small file next to the database is kept as a
 * reserve: freed when SQLite says SQLITE_FULL, re-made once the queue is empty.
 */
const RESERVE_BYTES = 256 * 1024;
const reservePath = (db: GatewayDatabase): string | null => (db.memory || db.name === ':memory:' ? null : `${db.name}.reserve`);

export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: string }).code;
  return code === 'SQLITE_FULL' || code === 'SQLITE_IOERR_WRITE' || code === 'ENOSPC';
}

/** Makes the reserve file if it is missing; false when there is no room for it (the disk is still full). */
export function ensureDiskReserve(db: GatewayDatabase): boolean {
  const path = reservePath(db);
  if (!path || existsSync(path)) return true;
  try {
    writeFileSync(path, Buffer.alloc(RESERVE_BYTES));
    return true;
  } catch {
    rmSync(path, { force: true });
    return false;
  }
}

/** Gives the reserve back to the file system; true when there was one. */
export function releaseDiskReserve(db: GatewayDatabase): boolean {
  const path = reservePath(db);
  if (!path || !existsSync(path)) return false;
  rmSync(path, { force: true });
  return true;
}
