import Database from 'better-sqlite3';
import type { Registry } from 'prom-client';
import type { RuleSpec, Severity } from '../device-profiles/index.ts';
import { migrateSqlite, openSqlite, TzError, type Logger } from '../service-kit/index.ts';
import type { MetricValue } from './evaluator.ts';
import { toAlarm, type AlarmRow } from './alarm-rows.ts';
import { AlarmWriter } from './alarm-writer.ts';
import { WalCheckpoints } from './wal-checkpoints.ts';
import {
  runSteps, type AlarmPatch, type AlarmQuery, type AlarmRecord, type AlarmState, type CaseSpec, type DeviceCheckpoint, type GatewayRow, type Incident, type NewAlarm,
  type NewSilenceRecord, type OutboxRow, type RuleDocRow, type RuleVersionRow, type RulesStore, type RulesTx, type ShadowRow, type SilenceRecord, type Steps,
} from './rules-store.ts';

// The rules service's state in SQLite (better-sqlite3, WAL): alarms and
// incidents, the alarm-event outbox, rule documents and their versions,
// evaluator checkpoints, shadow-mode records, gateway connectivity. Every
// method is synchronous, so an MQTT message is fully stored before its PUBACK.
// Schema changes are numbered migrations recorded in `migrations`: add, never edit.

const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'alarms, cases, links and the case audit trail',
    sql: `
      CREATE TABLE alarms (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_id TEXT NOT NULL,
        rule_name TEXT NOT NULL,
        severity TEXT NOT NULL,
        device_id TEXT NOT NULL,
        gateway_id TEXT NOT NULL,
        district TEXT NOT NULL,
        profile TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'acknowledged', 'cleared')),
        count INTEGER NOT NULL,
        raised_at INTEGER NOT NULL,
        last_seen_at INTEGER NOT NULL,
        acknowledged_at INTEGER,
        acknowledged_by TEXT,
        cleared_at INTEGER,
        last_values TEXT NOT NULL,
        evidence TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      -- One open alarm per (rule, device), enforced by the database too.
      CREATE UNIQUE INDEX alarms_one_open ON alarms (rule_id, device_id) WHERE state <> 'cleared';
      CREATE INDEX alarms_device ON alarms (device_id, id);
      CREATE INDEX alarms_state ON alarms (state, id);
      CREATE TABLE cases (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        status TEXT NOT NULL,
        category TEXT NOT NULL,
        priority TEXT NOT NULL,
        title TEXT NOT NULL,
        source TEXT NOT NULL,
        device_id TEXT NOT NULL,
        gateway_id TEXT NOT NULL,
        district TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        due_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX cases_device_status ON cases (device_id, status);
      CREATE INDEX cases_status ON cases (status, id);
      CREATE TABLE case_alarms (
        case_id INTEGER NOT NULL REFERENCES cases (id),
        alarm_id INTEGER NOT NULL UNIQUE REFERENCES alarms (id),
        linked_at INTEGER NOT NULL,
        PRIMARY KEY (case_id, alarm_id)
      );
      CREATE TABLE case_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id INTEGER NOT NULL REFERENCES cases (id),
        at INTEGER NOT NULL,
        who TEXT NOT NULL,
        what TEXT NOT NULL,
        detail TEXT NOT NULL
      );
      CREATE INDEX case_events_case ON case_events (case_id, id);
    `,
  },
  {
    version: 2,
    name: 'cases move to the cases room; alarm lifecycle with close, incidents, suppression, flapping, escalation; outbox; rule versions; checkpoints',
    sql: `
      DROP TABLE IF EXISTS case_events;
      DROP TABLE IF EXISTS case_alarms;
      DROP TABLE IF EXISTS cases;
      CREATE TABLE alarms_v2 (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        rule_id TEXT NOT NULL, rule_name TEXT NOT NULL, severity TEXT NOT NULL, base_severity TEXT NOT NULL,
        device_id TEXT NOT NULL, gateway_id TEXT NOT NULL, district TEXT NOT NULL, profile TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'acknowledged', 'cleared', 'closed')),
        count INTEGER NOT NULL, raised_at INTEGER NOT NULL, last_seen_at INTEGER NOT NULL,
        acknowledged_at INTEGER, acknowledged_by TEXT, ack_note TEXT,
        cleared_at INTEGER, cleared_by TEXT,
        closed_at INTEGER, closed_by TEXT, close_note TEXT, case_id TEXT,
        incident_id INTEGER, suppressed_by INTEGER, flapping INTEGER NOT NULL DEFAULT 0, escalation_level INTEGER NOT NULL DEFAULT 0,
        no_data INTEGER NOT NULL DEFAULT 0, case_spec TEXT, escalate TEXT NOT NULL DEFAULT '[]',
        last_values TEXT NOT NULL, evidence TEXT NOT NULL, created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL
      );
      INSERT INTO alarms_v2 (id, rule_id, rule_name, severity, base_severity, device_id, gateway_id, district, profile, state, count, raised_at,
        last_seen_at, acknowledged_at, acknowledged_by, cleared_at, last_values, evidence, created_at, updated_at)
        SELECT id, rule_id, rule_name, severity, severity, device_id, gateway_id, district, profile, state, count, raised_at,
        last_seen_at, acknowledged_at, acknowledged_by, cleared_at, last_values, evidence, created_at, updated_at FROM alarms;
      DROP TABLE alarms;
      ALTER TABLE alarms_v2 RENAME TO alarms;
      -- One open alarm per (rule, device), enforced by the database too.
      CREATE UNIQUE INDEX alarms_one_open ON alarms (rule_id, device_id) WHERE state IN ('active', 'acknowledged');
      CREATE INDEX alarms_device ON alarms (device_id, id);
      CREATE INDEX alarms_state ON alarms (state, id);
      CREATE INDEX alarms_rule ON alarms (rule_id, id);
      CREATE INDEX alarms_suppressed ON alarms (suppressed_by) WHERE suppressed_by IS NOT NULL;
      CREATE TABLE incidents (id INTEGER PRIMARY KEY AUTOINCREMENT, asset_id TEXT NOT NULL, opened_at INTEGER NOT NULL, closed_at INTEGER);
      CREATE UNIQUE INDEX incidents_one_open ON incidents (asset_id) WHERE closed_at IS NULL;
      -- At-least-once delivery: one row per (event, sink), written in the alarm change's transaction.
      CREATE TABLE outbox (id INTEGER PRIMARY KEY AUTOINCREMENT, event_id TEXT NOT NULL, sink TEXT NOT NULL, payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at INTEGER NOT NULL);
      CREATE INDEX outbox_sink ON outbox (sink, id);
      CREATE TABLE rule_docs (id TEXT PRIMARY KEY, doc TEXT NOT NULL, version INTEGER NOT NULL, updated_at INTEGER NOT NULL, updated_by TEXT NOT NULL);
      CREATE TABLE rule_versions (rule_id TEXT NOT NULL, version INTEGER NOT NULL, action TEXT NOT NULL, doc TEXT, diff TEXT NOT NULL,
        who TEXT NOT NULL, at INTEGER NOT NULL, note TEXT, PRIMARY KEY (rule_id, version));
      CREATE TABLE device_state (device_id TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE shadow_records (id INTEGER PRIMARY KEY AUTOINCREMENT, rule_id TEXT NOT NULL, device_id TEXT NOT NULL, kind TEXT NOT NULL,
        at INTEGER NOT NULL, severity TEXT NOT NULL, values_json TEXT NOT NULL, recorded_at INTEGER NOT NULL);
      CREATE INDEX shadow_rule ON shadow_records (rule_id, id);
      CREATE TABLE gateways (gateway_id TEXT PRIMARY KEY, online INTEGER NOT NULL, client_id TEXT, connection_seq INTEGER NOT NULL DEFAULT 0,
        since INTEGER NOT NULL, alarm_id INTEGER);
    `,
  },
  {
    version: 3,
    name: 'silences and maintenance windows; alarms marked silenced',
    sql: `
      ALTER TABLE alarms ADD COLUMN silenced_by INTEGER;
      CREATE INDEX alarms_silenced ON alarms (silenced_by) WHERE silenced_by IS NOT NULL;
      CREATE TABLE silences (id INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT NOT NULL CHECK (kind IN ('silence', 'maintenance')),
        matchers TEXT NOT NULL, starts_at INTEGER NOT NULL, ends_at INTEGER NOT NULL, reason TEXT NOT NULL,
        created_by TEXT NOT NULL, created_at INTEGER NOT NULL, expired_at INTEGER, expired_by TEXT);
      CREATE INDEX silences_ends ON silences (ends_at);
    `,
  },
  {
    version: 4,
    name: 'alarms found by the reading that raised them (a redelivered reading raises nothing new)',
    sql: 'CREATE INDEX alarms_raised ON alarms (rule_id, device_id, raised_at);',
  },
];

export { OPEN_STATES, ALARM_STATES } from './rules-store.ts';
export type { AlarmState, CaseSpec, AlarmRecord, NewAlarm, AlarmQuery, OutboxRow, RuleDocRow, RuleVersionRow, GatewayRow, ShadowRow } from './rules-store.ts';


const OPEN = `state IN ('active', 'acknowledged')`;

export class SqliteRulesStore implements RulesStore {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  private readonly stmts: ReturnType<SqliteRulesStore['prepareStatements']>;
  /**
   * The thread that commits the engine's batches of alarm changes off the
   * event loop (alarm-writer.ts; asked for with `alarmWriter`, a WAL file only).
   */
  readonly alarmWriter: AlarmWriter | undefined;
  /** WAL checkpoints on a worker thread (SQLite's own, inside a COMMIT on the event loop, is off while it works). */
  private readonly checkpoints: WalCheckpoints | undefined;
  private commitsSinceCheckpoint = 0;
  /** Every other statement, prepared once per SQL text (preparing per alarm change cost ~1.8 µs a reading in the bench). */
  private readonly prepared = new Map<string, Database.Statement>();

  /** The prepared statement of this SQL (bounded: the dynamic texts are a few filter combinations). */
  private statement(sql: string): Database.Statement {
    let s = this.prepared.get(sql);
    if (s === undefined) {
      if (this.prepared.size >= 512) this.prepared.clear();
      s = this.db.prepare(sql);
      this.prepared.set(sql, s);
    }
    return s;
  }

  /**
   * `checkpointWorker`: checkpoints on a worker thread (default true for a file).
   * `alarmWriter`: the engine's batches are committed on a writer thread (default false: the rules service asks for it; tests that
   * read rows right after a batch and ':memory:' commit on this connection). `writerGate`: its test seam (alarm-writer-protocol.ts).
   * `registry`: where the writer's metrics go.
   */
  constructor(path: string, options: { checkpointWorker?: boolean; alarmWriter?: boolean; writerGate?: Int32Array; registry?: Registry; log?: Logger } = {}) {
    // Full: alarm rows and their outbox are committed before the PUBACK of the
    // batch that raised them, and that promise must hold across a power loss.
    this.db = openSqlite(path, { durability: 'full' });
    migrateSqlite(this.db, 'migrations', MIGRATIONS);
    this.stmts = this.prepareStatements();
    const wal = !this.db.memory && String(this.db.pragma('journal_mode', { simple: true })).toLowerCase() === 'wal';
    this.alarmWriter = wal && options.alarmWriter === true
      ? new AlarmWriter(this.db.name, {
        ...(options.log ? { log: options.log } : {}), ...(options.registry ? { registry: options.registry } : {}), ...(options.writerGate ? { gate: options.writerGate } : {}),
        // A checkpoint slice on the writer's connection is hundreds of WAL pages, as on this one (see saveDeviceStates).
        onStatesSaved: () => this.slicesSaved(),
      })
      : undefined;
    if (wal && (options.checkpointWorker ?? true)) {
      this.checkpoints = new WalCheckpoints(this.db.name, (why) => {
        // Nothing is lost (the frames stay in the WAL): SQLite checkpoints on the committing connection again.
        if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
        options.log?.warn({ err: why }, 'rules: WAL checkpoints back on the event loop');
      });
      this.db.pragma('wal_autocheckpoint = 0');
    }
  }

  private prepareStatements() {
    const p = (sql: string) => this.db.prepare(sql);
    return {
      getAlarm: p('SELECT * FROM alarms WHERE id = ?'),
      raisedAlarm: p('SELECT * FROM alarms WHERE rule_id = ? AND device_id = ? AND raised_at = ? ORDER BY id LIMIT 1'),
      openAlarm: p(`SELECT * FROM alarms WHERE rule_id = ? AND device_id = ? AND ${OPEN}`),
      insertAlarm: p(`INSERT INTO alarms (rule_id, rule_name, severity, base_severity, device_id, gateway_id, district, profile, state, count, raised_at,
        last_seen_at, flapping, no_data, case_spec, escalate, last_values, evidence, created_at, updated_at, suppressed_by, silenced_by)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'active', 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *`),
      repeat: p(`UPDATE alarms SET count = count + 1, last_seen_at = MAX(last_seen_at, ?), last_values = ?, flapping = MAX(flapping, ?), updated_at = ? WHERE id = ? AND ${OPEN} RETURNING *`),
      outbox: p('INSERT INTO outbox (event_id, sink, payload, created_at) VALUES (?, ?, ?, ?)'),
      dueOutbox: p('SELECT id, event_id AS eventId, sink, payload, attempts FROM outbox WHERE sink = ? ORDER BY id LIMIT ?'),
      deleteOutbox: p('DELETE FROM outbox WHERE id = ?'),
      failOutbox: p('UPDATE outbox SET attempts = attempts + 1, last_error = ? WHERE id = ?'),
      saveDevice: p('INSERT INTO device_state (device_id, state, updated_at) VALUES (?, ?, ?) ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at'),
      shadow: p('INSERT INTO shadow_records (rule_id, device_id, kind, at, severity, values_json, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?)'),
    };
  }

  /**
   * better-sqlite3 transactions are synchronous: every step of `work` must answer at once (this store's do).
   * BEGIN IMMEDIATE: the alarm writer thread has a connection of its own, and a deferred transaction that
   * read before the other committed could not write (SQLITE_BUSY_SNAPSHOT, which busy_timeout does not wait
   * out); taking the write lock first waits for the other's COMMIT (busy_timeout) and then reads fresh rows.
   * A nested call is a savepoint.
   */
  transaction<T>(work: (tx: RulesTx) => Steps<T>): T {
    const outer = !this.db.inTransaction;
    const value = this.db.transaction(() => {
      const out = runSteps(work(this));
      if (out instanceof Promise) throw new TzError('TZ_INTERNAL', 'rules: an asynchronous step inside a SQLite transaction');
      return out;
    }).immediate();
    if (outer) this.committed();
    return value;
  }

  /** About every 32 commits (each a few WAL pages) the worker copies the WAL into the database: SQLite's own default is 1,000 pages. */
  private committed(): void {
    if (this.checkpoints === undefined || ++this.commitsSinceCheckpoint < 32) return;
    this.commitsSinceCheckpoint = 0;
    this.checkpoints.request();
  }

  /** Transactions the alarm writer thread committed so far, each one WAL fsync covering every batch that queued while the one before ran. */
  walSyncsRun(): number {
    return this.alarmWriter?.commits ?? 0;
  }

  /** One process: its connections take turns through SQLite's write lock (BEGIN IMMEDIATE, busy_timeout). */
  lockSubject(_subject: string): void {}

  // --- alarms ---

  // Writes answer the row they wrote (RETURNING): no second statement to read it back (a change's events carry the whole alarm).
  insertAlarm(a: NewAlarm): AlarmRecord {
    const row = this.stmts.insertAlarm.get(a.ruleId, a.ruleName, a.severity, a.severity, a.deviceId, a.gatewayId, a.district, a.profile, a.raisedAt, a.lastSeenAt,
      a.flapping ? 1 : 0, a.noData ? 1 : 0, a.caseSpec ? JSON.stringify(a.caseSpec) : null, JSON.stringify(a.escalate), JSON.stringify(a.lastValues),
      JSON.stringify(a.evidence), a.createdAt, a.createdAt, a.suppressedBy, a.silencedBy ?? null) as AlarmRow;
    return toAlarm(row);
  }

  recordRepeat(id: number, lastSeenAt: number, lastValues: Record<string, MetricValue>, flapping: boolean, now: number): AlarmRecord {
    const row = this.stmts.repeat.get(lastSeenAt, JSON.stringify(lastValues), flapping ? 1 : 0, now, id) as AlarmRow | undefined;
    // Not open any more: nothing changed, the alarm as it is.
    return row ? toAlarm(row) : this.mustGetAlarm(id);
  }

  /** Sets columns of one alarm (names are this module's own, never user input). */
  updateAlarm(id: number, set: AlarmPatch, now: number): AlarmRecord {
    const keys = Object.keys(set);
    const row = this.statement(`UPDATE alarms SET ${keys.map((k) => `${k} = ?`).join(', ')}, updated_at = ? WHERE id = ? RETURNING *`).get(...keys.map((k) => set[k as keyof typeof set] ?? null), now, id) as AlarmRow | undefined;
    if (!row) throw new TzError('TZ_ALARM_NOT_FOUND', `no alarm ${id}`);
    return toAlarm(row);
  }

  getAlarm(id: number): AlarmRecord | undefined {
    const row = this.stmts.getAlarm.get(id) as AlarmRow | undefined;
    return row && toAlarm(row);
  }

  mustGetAlarm(id: number): AlarmRecord {
    const a = this.getAlarm(id);
    if (!a) throw new TzError('TZ_ALARM_NOT_FOUND', `no alarm ${id}`);
    return a;
  }

  findOpenAlarm(ruleId: string, deviceId: string): AlarmRecord | undefined {
    const row = this.stmts.openAlarm.get(ruleId, deviceId) as AlarmRow | undefined;
    return row && toAlarm(row);
  }

  findRaisedAlarm(ruleId: string, deviceId: string, raisedAt: number): AlarmRecord | undefined {
    const row = this.stmts.raisedAlarm.get(ruleId, deviceId, raisedAt) as AlarmRow | undefined;
    return row && toAlarm(row);
  }

  listAlarms(q: AlarmQuery): AlarmRecord[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.state === 'open') where.push(OPEN);
    else if (q.state) { where.push('state = ?'); params.push(q.state); }
    if (q.deviceId) { where.push('device_id = ?'); params.push(q.deviceId); }
    if (q.ruleId) { where.push('rule_id = ?'); params.push(q.ruleId); }
    if (q.incidentId !== undefined) { where.push('incident_id = ?'); params.push(q.incidentId); }
    if (q.suppressed !== undefined) where.push(q.suppressed ? 'suppressed_by IS NOT NULL' : 'suppressed_by IS NULL');
    if (q.silenced !== undefined) where.push(q.silenced ? 'silenced_by IS NOT NULL' : 'silenced_by IS NULL');
    const sql = `SELECT * FROM alarms${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.statement(sql).all(...params, q.limit) as AlarmRow[]).map(toAlarm);
  }

  openAlarms(): AlarmRecord[] {
    return (this.statement(`SELECT * FROM alarms WHERE ${OPEN} ORDER BY id`).all() as AlarmRow[]).map(toAlarm);
  }

  openAlarmsOfDevice(deviceId: string): AlarmRecord[] {
    return (this.statement(`SELECT * FROM alarms WHERE device_id = ? AND ${OPEN} ORDER BY id`).all(deviceId) as AlarmRow[]).map(toAlarm);
  }

  countAlarms(state: AlarmState | 'open'): number {
    const row = state === 'open' ? this.statement(`SELECT COUNT(*) AS n FROM alarms WHERE ${OPEN}`).get() : this.statement('SELECT COUNT(*) AS n FROM alarms WHERE state = ?').get(state);
    return (row as { n: number }).n;
  }

  // --- incidents: several open alarms on one asset ---

  openIncident(assetId: string): number | undefined {
    return (this.statement('SELECT id FROM incidents WHERE asset_id = ? AND closed_at IS NULL').get(assetId) as { id: number } | undefined)?.id;
  }

  createIncident(assetId: string, now: number): number {
    return Number(this.statement('INSERT INTO incidents (asset_id, opened_at) VALUES (?, ?)').run(assetId, now).lastInsertRowid);
  }

  closeIncident(id: number, now: number): void {
    this.statement('UPDATE incidents SET closed_at = ? WHERE id = ? AND closed_at IS NULL').run(now, id);
  }

  getIncident(id: number): Incident | undefined {
    const r = this.statement('SELECT id, asset_id AS assetId, opened_at AS openedAt, closed_at AS closedAt FROM incidents WHERE id = ?').get(id);
    return r as Incident | undefined;
  }

  // --- outbox ---

  enqueue(eventId: string, sinks: readonly string[], payload: string, now: number): void {
    for (const sink of sinks) this.stmts.outbox.run(eventId, sink, payload, now);
  }

  /**
   * One deliverer (this process): the oldest rows, in order. Every row it can see is on disk: outbox rows
   * are only written by FULL commits (this connection's and the writer thread's), and in WAL mode a commit
   * is synced before other connections can see it (the wal-index header is written after the fsync).
   */
  claimOutbox(sink: string, limit: number): OutboxRow[] {
    return this.stmts.dueOutbox.all(sink, limit) as OutboxRow[];
  }

  delivered(id: number): void {
    this.stmts.deleteOutbox.run(id);
  }

  deliveryFailed(id: number, error: string): void {
    this.stmts.failOutbox.run(error.slice(0, 500), id);
  }

  outboxDepth(): Record<string, number> {
    return Object.fromEntries((this.statement('SELECT sink, COUNT(*) AS n FROM outbox GROUP BY sink').all() as { sink: string; n: number }[]).map((r) => [r.sink, r.n]));
  }

  // --- rule documents and versions ---

  ruleDocs(): RuleDocRow[] {
    return (this.statement('SELECT id, doc, version, updated_at, updated_by FROM rule_docs ORDER BY id').all() as { id: string; doc: string; version: number; updated_at: number; updated_by: string }[])
      .map((r) => ({ id: r.id, doc: JSON.parse(r.doc) as RuleSpec, version: r.version, updatedAt: r.updated_at, updatedBy: r.updated_by }));
  }

  putRuleDoc(id: string, doc: RuleSpec, version: number, who: string, now: number): void {
    this.statement('INSERT INTO rule_docs (id, doc, version, updated_at, updated_by) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by')
      .run(id, JSON.stringify(doc), version, now, who);
  }

  deleteRuleDoc(id: string): void {
    this.statement('DELETE FROM rule_docs WHERE id = ?').run(id);
  }

  latestRuleVersion(ruleId: string): number {
    return (this.statement('SELECT MAX(version) AS v FROM rule_versions WHERE rule_id = ?').get(ruleId) as { v: number | null }).v ?? 0;
  }

  addRuleVersion(v: RuleVersionRow): void {
    this.statement('INSERT INTO rule_versions (rule_id, version, action, doc, diff, who, at, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)')
      .run(v.ruleId, v.version, v.action, v.doc ? JSON.stringify(v.doc) : null, JSON.stringify(v.diff), v.who, v.at, v.note);
  }

  ruleVersions(ruleId: string): RuleVersionRow[] {
    return (this.statement('SELECT * FROM rule_versions WHERE rule_id = ? ORDER BY version').all(ruleId) as { rule_id: string; version: number; action: string; doc: string | null; diff: string; who: string; at: number; note: string | null }[])
      .map((r) => ({ ruleId: r.rule_id, version: r.version, action: r.action, doc: r.doc ? (JSON.parse(r.doc) as RuleSpec) : null, diff: JSON.parse(r.diff) as unknown, who: r.who, at: r.at, note: r.note }));
  }

  // --- evaluator checkpoints ---

  /**
   * `relaxed`: a slice of the write-behind, committed without waiting for the
   * disk (synchronous=NORMAL for this transaction only); the next FULL commit
   * (the slice that ends the tick's run, or any alarm change) syncs it too.
   * Alarm and outbox rows never take this path (theirs are FULL commits: synced before the PUBACK).
   */
  saveDeviceStates(states: ReadonlyArray<readonly [string, string]>, now: number, relaxed = false): void {
    if (relaxed) this.db.pragma('synchronous = NORMAL');
    try {
      this.db.transaction(() => { for (const [id, json] of states) this.stmts.saveDevice.run(id, json, now); })();
    } finally {
      if (relaxed) this.db.pragma('synchronous = FULL');
    }
    this.slicesSaved();
  }

  /** A slice is hundreds of pages: the WAL is copied after each (whichever connection wrote it). */
  private slicesSaved(): void {
    this.commitsSinceCheckpoint = 31;
    this.committed();
  }

  /** Streamed: a city's devices need not all be in memory twice. */
  *deviceStates(): IterableIterator<DeviceCheckpoint> {
    for (const r of this.db.prepare('SELECT device_id, state FROM device_state').iterate() as IterableIterator<{ device_id: string; state: string }>) yield { deviceId: r.device_id, state: r.state };
  }

  deviceState(deviceId: string): string | undefined {
    return (this.statement('SELECT state FROM device_state WHERE device_id = ?').get(deviceId) as { state: string } | undefined)?.state;
  }

  // --- silences (audited as rule versions) ---

  liveSilences(now: number): SilenceRecord[] {
    return (this.statement('SELECT * FROM silences WHERE expired_at IS NULL AND ends_at > ? ORDER BY id').all(now) as SilenceRow[]).map(silenceRecordOf);
  }

  getSilence(id: number): SilenceRecord | undefined {
    const row = this.statement('SELECT * FROM silences WHERE id = ?').get(id) as SilenceRow | undefined;
    return row && silenceRecordOf(row);
  }

  listSilences(limit: number): SilenceRecord[] {
    return (this.statement('SELECT * FROM silences ORDER BY id DESC LIMIT ?').all(limit) as SilenceRow[]).map(silenceRecordOf);
  }

  insertSilence(s: NewSilenceRecord): number {
    return Number(this.statement('INSERT INTO silences (kind, matchers, starts_at, ends_at, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
      .run(s.kind, s.matchers, s.startsAt, s.endsAt, s.reason, s.createdBy, s.createdAt).lastInsertRowid);
  }

  expireSilence(id: number, at: number, who: string): void {
    this.statement('UPDATE silences SET expired_at = ?, expired_by = ? WHERE id = ?').run(at, who, id);
  }

  deleteSilence(id: number): void {
    this.statement('DELETE FROM silences WHERE id = ?').run(id);
  }

  // --- shadow mode ---

  recordShadow(ruleId: string, deviceId: string, kind: string, at: number, severity: string, values: Record<string, MetricValue>, now: number): void {
    this.stmts.shadow.run(ruleId, deviceId, kind, at, severity, JSON.stringify(values), now);
  }

  shadowRecords(ruleId: string, limit: number): ShadowRow[] {
    return (this.statement('SELECT * FROM shadow_records WHERE rule_id = ? ORDER BY id DESC LIMIT ?').all(ruleId, limit) as { id: number; rule_id: string; device_id: string; kind: string; at: number; severity: string; values_json: string; recorded_at: number }[])
      .map((r) => ({ id: r.id, ruleId: r.rule_id, deviceId: r.device_id, kind: r.kind, at: r.at, severity: r.severity, values: JSON.parse(r.values_json) as Record<string, MetricValue>, recordedAt: r.recorded_at }));
  }

  countShadow(ruleId: string): number {
    return (this.statement(`SELECT COUNT(*) AS n FROM shadow_records WHERE rule_id = ? AND kind = 'fire'`).get(ruleId) as { n: number }).n;
  }

  // --- gateways ---

  gateways(): GatewayRow[] {
    return (this.statement('SELECT * FROM gateways').all() as { gateway_id: string; online: number; client_id: string | null; connection_seq: number; since: number; alarm_id: number | null }[])
      .map((r) => ({ gatewayId: r.gateway_id, online: r.online === 1, clientId: r.client_id, connectionSeq: r.connection_seq, since: r.since, alarmId: r.alarm_id }));
  }

  putGateway(g: GatewayRow): void {
    this.statement('INSERT INTO gateways (gateway_id, online, client_id, connection_seq, since, alarm_id) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (gateway_id) DO UPDATE SET online = excluded.online, client_id = excluded.client_id, connection_seq = excluded.connection_seq, since = excluded.since, alarm_id = excluded.alarm_id')
      .run(g.gatewayId, g.online ? 1 : 0, g.clientId, g.connectionSeq, g.since, g.alarmId);
  }

  /** Closes the connection; with a writer thread, resolves when it committed what it was given and ended (bounded). */
  close(): void | Promise<void> {
    void this.checkpoints?.close();
    if (this.db.open) this.db.close();
    return this.alarmWriter?.close();
  }
}

interface SilenceRow { id: number; kind: string; matchers: string; starts_at: number; ends_at: number; reason: string; created_by: string; created_at: number; expired_at: number | null; expired_by: string | null }
const silenceRecordOf = (r: SilenceRow): SilenceRecord => ({
  id: r.id, kind: r.kind, matchers: r.matchers, startsAt: r.starts_at, endsAt: r.ends_at, reason: r.reason, createdBy: r.created_by, createdAt: r.created_at,
  expiredAt: r.expired_at, expiredBy: r.expired_by,
});

