import type Database from 'better-sqlite3';
import { clockKind, type Clock, type ClockKind, SimulatedClock } from './clock.ts';
import { TzError } from './errors.ts';
import { openSqlite } from './sqlite.ts';
import { createInfluxDatabase, influxAuthHeaders, queryInfluxQL, type InfluxTarget } from './influx-client.ts';

// A store remembers the clock it was created with, so a compressed run (a
// simulated month) can never write into a production database by mistake,
// nor a production service into a simulation's: opening a store with the
// other kind of clock is refused with TZ_CLOCK_MISMATCH. A store that holds
// data but no mark predates the mark and was written on the wall clock.

const MARK_TABLE = 'tz_clock';

function mismatch(store: string, marked: ClockKind, clock: Clock, detail: string): TzError {
  const kind = clockKind(clock);
  const hint = kind === 'simulated'
    ? 'a simulated (compressed) run must use its own stores: give it a fresh --var folder / database'
    : 'this store holds a simulated run; start production on its own stores (or unset TZ_SIM_CLOCK / --sim-clock)';
  return new TzError('TZ_CLOCK_MISMATCH', `${store} was created with the ${marked} clock${detail}, this service runs on the ${kind} clock: ${hint}`, { details: { store, marked, clock: kind } });
}

/**
 * Marks a fresh SQLite store with the service's clock kind, or checks the
 * mark of an existing one. Call before the store's migrations (a store with
 * tables and no mark is an old wall-clock store).
 */
export function claimSqliteClock(db: Database.Database, clock: Clock, store: string): void {
  const hasMark = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(MARK_TABLE) !== undefined;
  if (hasMark) {
    const row = db.prepare(`SELECT kind, spec FROM ${MARK_TABLE} WHERE id = 1`).get() as { kind: ClockKind; spec: string | null } | undefined;
    if (row && row.kind !== clockKind(clock)) throw mismatch(store, row.kind, clock, row.spec ? ` (${row.spec})` : '');
    if (row) return;
  }
  const tables = (db.prepare("SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> ?").get(MARK_TABLE) as { n: number }).n;
  const kind: ClockKind = tables > 0 ? 'wall' : clockKind(clock);
  if (kind !== clockKind(clock)) throw mismatch(store, kind, clock, ' (it holds data from before clock marks)');
  db.exec(`CREATE TABLE IF NOT EXISTS ${MARK_TABLE} (id INTEGER PRIMARY KEY CHECK (id = 1), kind TEXT NOT NULL, spec TEXT, created_at INTEGER NOT NULL)`);
  db.prepare(`INSERT OR IGNORE INTO ${MARK_TABLE} (id, kind, spec, created_at) VALUES (1, ?, ?, ?)`).run(kind, clock instanceof SimulatedClock ? clock.toSpec() : null, Date.now());
}

/**
 * The same for an InfluxDB (1.x) database: one point `tz_clock,kind=…` in the
 * database's `autogen` policy (infinite retention, apart from the raw and
 * hourly policies ingest sets up). Needs the server reachable.
 */
export async function claimInfluxClock(target: InfluxTarget, clock: Clock): Promise<void> {
  const store = `InfluxDB database "${target.database}" at ${target.url}`;
  const admin: InfluxTarget = { ...target, retentionPolicy: undefined };
  const databases = (await queryInfluxQL(admin, 'SHOW DATABASES')).flatMap((s) => (s.values ?? []).map((v) => String(v[0])));
  let marked: ClockKind | null = null;
  let fresh = !databases.includes(target.database);
  if (!fresh) {
    const measurements = (await queryInfluxQL(admin, 'SHOW MEASUREMENTS')).flatMap((s) => (s.values ?? []).map((v) => String(v[0])));
    if (measurements.includes(MARK_TABLE)) {
      const kinds = (await queryInfluxQL(admin, `SHOW TAG VALUES FROM "${MARK_TABLE}" WITH KEY = "kind"`)).flatMap((s) => (s.values ?? []).map((v) => String(v[1])));
      marked = kinds.includes('simulated') ? 'simulated' : kinds.includes('wall') ? 'wall' : null;
    }
    fresh = measurements.length === 0;
  }
  if (marked === null && !fresh) marked = 'wall';
  if (marked !== null) {
    if (marked !== clockKind(clock)) throw mismatch(store, marked, clock, '');
    return;
  }
  if (!databases.includes(target.database)) await createInfluxDatabase(target);
  const spec = clock instanceof SimulatedClock ? clock.toSpec() : '';
  const line = `${MARK_TABLE},kind=${clockKind(clock)} spec="${spec}",created=${Date.now()}i 1`;
  const url = new URL('/write', target.url);
  url.searchParams.set('db', target.database);
  url.searchParams.set('rp', 'autogen');
  url.searchParams.set('precision', 'ms');
  const res = await fetch(url, { method: 'POST', headers: influxAuthHeaders(target), body: line, signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new TzError('TZ_INFLUX_WRITE', `${store}: the clock mark was refused: HTTP ${res.status} ${(await res.text()).slice(0, 200)}`);
}

/** claimSqliteClock on a store's file before its owner opens it (':memory:' has nothing to protect). */
export function claimSqliteFileClock(path: string, clock: Clock, store: string): void {
  if (path === ':memory:' || path === '') return;
  const db = openSqlite(path, { durability: 'full' });
  try {
    claimSqliteClock(db, clock, `${store} (${path})`);
  } finally {
    db.close();
  }
}
