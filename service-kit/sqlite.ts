import Database from 'better-sqlite3';

// The one way a room opens SQLite: WAL, a busy timeout, foreign keys, and a
// durability level chosen on purpose (see SqliteDurability), plus numbered
// migrations. A store that promises "stored before the PUBACK" opens `full`.

/**
 * `full`: every commit is fsynced (synchronous=FULL) — survives power loss;
 *   for rows acknowledged to someone else (alarms before the PUBACK, dead
 *   letters, the edge queue, cases, tokens).
 * `normal`: WAL with synchronous=NORMAL — survives a process crash, a power
 *   loss may drop the last commits; only for data that can be rebuilt
 *   (caches, what-the-cloud-saw device views).
 */
export type SqliteDurability = 'full' | 'normal';

export interface OpenSqliteOptions {
  durability: SqliteDurability;
  /** How long a writer waits for another connection's lock before SQLITE_BUSY (default 5 s). */
  busyTimeoutMs?: number;
  readonly?: boolean;
  /** Refuse to create a missing file (read-only tools). */
  fileMustExist?: boolean;
}

export function openSqlite(path: string, options: OpenSqliteOptions): Database.Database {
  const db = new Database(path, { readonly: options.readonly ?? false, fileMustExist: options.fileMustExist ?? false });
  if (!options.readonly) db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${options.durability === 'full' ? 'FULL' : 'NORMAL'}`);
  db.pragma(`busy_timeout = ${options.busyTimeoutMs ?? 5000}`);
  db.pragma('foreign_keys = ON');
  return db;
}

/** One numbered schema step; applied once, in order, each in its own transaction. */
export interface SqliteMigration {
  version: number;
  name: string;
  sql: string;
}

/**
 * Applies the migrations not yet recorded in `table`. Versions must be
 * unique and ascending; a database that already has a newer version than the
 * code knows is refused (an older binary must not write a newer schema).
 */
export function migrateSqlite(db: Database.Database, table: string, migrations: readonly SqliteMigration[], now: () => number = Date.now): void {
  if (!/^[a-z_][a-z0-9_]*$/.test(table)) throw new Error(`bad migrations table name ${table}`);
  let previous: SqliteMigration | undefined;
  for (const m of migrations) {
    if (previous && m.version <= previous.version) throw new Error(`${table}: migration versions must ascend (${previous.version} then ${m.version})`);
    previous = m;
  }
  db.exec(`CREATE TABLE IF NOT EXISTS ${table} (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)`);
  const applied = new Set(db.prepare<[], { version: number }>(`SELECT version FROM ${table}`).all().map((r) => r.version));
  const newest = Math.max(0, ...applied);
  const known = migrations.at(-1)?.version ?? 0;
  if (newest > known) throw new Error(`${table}: the database is at schema version ${newest}, newer than this program knows (${known}); run the newer version`);
  const record = db.prepare(`INSERT INTO ${table} (version, name, applied_at) VALUES (?, ?, ?)`);
  for (const m of migrations) {
    if (applied.has(m.version)) continue;
    db.transaction(() => {
      db.exec(m.sql);
      record.run(m.version, m.name, now());
    })();
  }
}
