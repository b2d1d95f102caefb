import Database from 'better-sqlite3';
import { TzError } from '../service-kit/index.ts';
import type { MetricValue } from './conditions.ts';
import type {
  AlarmQuery, AlarmRecord, AlarmState, CaseEventRecord, CaseQuery, CaseRecord, CaseStatus, CaseStore, NewAlarm, NewCase,
} from './case-store.ts';
import { CLOSED_CASE_STATUSES, OPEN_ALARM_STATES } from './case-store.ts';

// SQLite (better-sqlite3, WAL) implementation of the CaseStore. Schema
// changes are numbered migrations recorded in `migrations`; add, never edit.

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
];

interface AlarmRow {
  id: number; rule_id: string; rule_name: string; severity: string; device_id: string; gateway_id: string; district: string; profile: string;
  state: string; count: number; raised_at: number; last_seen_at: number; acknowledged_at: number | null; acknowledged_by: string | null;
  cleared_at: number | null; last_values: string; evidence: string; created_at: number; updated_at: number; case_id: number | null;
}

interface CaseRow {
  id: number; status: string; category: string; priority: string; title: string; source: string; device_id: string; gateway_id: string;
  district: string; created_at: number; due_at: number; updated_at: number;
}

interface CaseEventRow { id: number; case_id: number; at: number; who: string; what: string; detail: string }

const ALARM_SELECT = `SELECT a.*, l.case_id FROM alarms a LEFT JOIN case_alarms l ON l.alarm_id = a.id`;
const OPEN_CASE = `status NOT IN (${CLOSED_CASE_STATUSES.map((s) => `'${s}'`).join(', ')})`;
const OPEN_ALARM = `state IN (${OPEN_ALARM_STATES.map((s) => `'${s}'`).join(', ')})`;

export class SqliteCaseStore implements CaseStore {
  private readonly db: Database.Database;

  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('foreign_keys = ON');
    this.db.pragma('busy_timeout = 5000');
    this.migrate();
  }

  private migrate(): void {
    this.db.exec('CREATE TABLE IF NOT EXISTS migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)');
    const applied = new Set((this.db.prepare('SELECT version FROM migrations').all() as { version: number }[]).map((r) => r.version));
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      this.db.transaction(() => {
        this.db.exec(m.sql);
        this.db.prepare('INSERT INTO migrations (version, name, applied_at) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
      })();
    }
  }

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  insertAlarm(a: NewAlarm): AlarmRecord {
    const info = this.db.prepare(`INSERT INTO alarms (rule_id, rule_name, severity, device_id, gateway_id, district, profile, state, count,
        raised_at, last_seen_at, last_values, evidence, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'active', 1, ?, ?, ?, ?, ?, ?)`)
      .run(a.ruleId, a.ruleName, a.severity, a.deviceId, a.gatewayId, a.district, a.profile, a.raisedAt, a.lastSeenAt,
        JSON.stringify(a.lastValues), JSON.stringify(a.evidence), a.createdAt, a.createdAt);
    return this.mustGetAlarm(Number(info.lastInsertRowid));
  }

  recordAlarmRepeat(id: number, lastSeenAt: number, lastValues: Record<string, MetricValue>, now: number): AlarmRecord {
    this.db.prepare(`UPDATE alarms SET count = count + 1, last_seen_at = MAX(last_seen_at, ?), last_values = ?, updated_at = ? WHERE id = ? AND ${OPEN_ALARM}`)
      .run(lastSeenAt, JSON.stringify(lastValues), now, id);
    return this.mustGetAlarm(id);
  }

  acknowledgeAlarm(id: number, who: string, now: number): AlarmRecord {
    this.db.prepare(`UPDATE alarms SET state = 'acknowledged', acknowledged_at = ?, acknowledged_by = ?, updated_at = ? WHERE id = ? AND state = 'active'`)
      .run(now, who, now, id);
    return this.mustGetAlarm(id);
  }

  clearAlarm(id: number, clearedAt: number, lastValues: Record<string, MetricValue>, now: number): AlarmRecord {
    this.db.prepare(`UPDATE alarms SET state = 'cleared', cleared_at = ?, last_values = ?, updated_at = ? WHERE id = ? AND ${OPEN_ALARM}`)
      .run(clearedAt, JSON.stringify(lastValues), now, id);
    return this.mustGetAlarm(id);
  }

  getAlarm(id: number): AlarmRecord | undefined {
    const row = this.db.prepare(`${ALARM_SELECT} WHERE a.id = ?`).get(id) as AlarmRow | undefined;
    return row && toAlarm(row);
  }

  findOpenAlarm(ruleId: string, deviceId: string): AlarmRecord | undefined {
    const row = this.db.prepare(`${ALARM_SELECT} WHERE a.rule_id = ? AND a.device_id = ? AND a.${OPEN_ALARM}`).get(ruleId, deviceId) as AlarmRow | undefined;
    return row && toAlarm(row);
  }

  listAlarms(q: AlarmQuery): AlarmRecord[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.state === 'open') where.push(`a.${OPEN_ALARM}`);
    else if (q.state) { where.push('a.state = ?'); params.push(q.state); }
    if (q.deviceId) { where.push('a.device_id = ?'); params.push(q.deviceId); }
    const sql = `${ALARM_SELECT}${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY a.id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, q.limit) as AlarmRow[]).map(toAlarm);
  }

  openAlarms(): AlarmRecord[] {
    return (this.db.prepare(`${ALARM_SELECT} WHERE a.${OPEN_ALARM} ORDER BY a.id`).all() as AlarmRow[]).map(toAlarm);
  }

  countAlarms(state: AlarmState | 'open'): number {
    const row = state === 'open'
      ? this.db.prepare(`SELECT COUNT(*) AS n FROM alarms WHERE ${OPEN_ALARM}`).get()
      : this.db.prepare('SELECT COUNT(*) AS n FROM alarms WHERE state = ?').get(state);
    return (row as { n: number }).n;
  }

  insertCase(c: NewCase): CaseRecord {
    const info = this.db.prepare(`INSERT INTO cases (status, category, priority, title, source, device_id, gateway_id, district, created_at, due_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
      .run(c.status, c.category, c.priority, c.title, c.source, c.deviceId, c.gatewayId, c.district, c.createdAt, c.dueAt, c.createdAt);
    return this.getCase(Number(info.lastInsertRowid)) as CaseRecord;
  }

  getCase(id: number): CaseRecord | undefined {
    const row = this.db.prepare('SELECT * FROM cases WHERE id = ?').get(id) as CaseRow | undefined;
    return row && toCase(row);
  }

  findOpenCaseForDevice(deviceId: string): CaseRecord | undefined {
    const row = this.db.prepare(`SELECT * FROM cases WHERE device_id = ? AND ${OPEN_CASE} ORDER BY id DESC LIMIT 1`).get(deviceId) as CaseRow | undefined;
    return row && toCase(row);
  }

  listCases(q: CaseQuery): CaseRecord[] {
    const where: string[] = [];
    const params: (string | number)[] = [];
    if (q.status === 'open') where.push(OPEN_CASE);
    else if (q.status) { where.push('status = ?'); params.push(q.status); }
    if (q.deviceId) { where.push('device_id = ?'); params.push(q.deviceId); }
    const sql = `SELECT * FROM cases${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`;
    return (this.db.prepare(sql).all(...params, q.limit) as CaseRow[]).map(toCase);
  }

  countCases(status: CaseStatus | 'open'): number {
    const row = status === 'open'
      ? this.db.prepare(`SELECT COUNT(*) AS n FROM cases WHERE ${OPEN_CASE}`).get()
      : this.db.prepare('SELECT COUNT(*) AS n FROM cases WHERE status = ?').get(status);
    return (row as { n: number }).n;
  }

  linkAlarm(caseId: number, alarmId: number, at: number): void {
    this.db.prepare('INSERT INTO case_alarms (case_id, alarm_id, linked_at) VALUES (?, ?, ?)').run(caseId, alarmId, at);
    this.db.prepare('UPDATE cases SET updated_at = ? WHERE id = ?').run(at, caseId);
  }

  alarmsOfCase(caseId: number): AlarmRecord[] {
    return (this.db.prepare(`${ALARM_SELECT} WHERE l.case_id = ? ORDER BY a.id`).all(caseId) as AlarmRow[]).map(toAlarm);
  }

  appendCaseEvent(caseId: number, at: number, who: string, what: string, detail: Record<string, unknown> = {}): CaseEventRecord {
    const info = this.db.prepare('INSERT INTO case_events (case_id, at, who, what, detail) VALUES (?, ?, ?, ?, ?)').run(caseId, at, who, what, JSON.stringify(detail));
    return { id: Number(info.lastInsertRowid), caseId, at, who, what, detail };
  }

  eventsOfCase(caseId: number): CaseEventRecord[] {
    return (this.db.prepare('SELECT * FROM case_events WHERE case_id = ? ORDER BY id').all(caseId) as CaseEventRow[])
      .map((r) => ({ id: r.id, caseId: r.case_id, at: r.at, who: r.who, what: r.what, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  private mustGetAlarm(id: number): AlarmRecord {
    const alarm = this.getAlarm(id);
    if (!alarm) throw new TzError('TZ_ALARM_NOT_FOUND', `no alarm ${id}`);
    return alarm;
  }
}

function toAlarm(r: AlarmRow): AlarmRecord {
  return {
    id: r.id, ruleId: r.rule_id, ruleName: r.rule_name, severity: r.severity as AlarmRecord['severity'], deviceId: r.device_id,
    gatewayId: r.gateway_id, district: r.district, profile: r.profile, state: r.state as AlarmState, count: r.count,
    raisedAt: r.raised_at, lastSeenAt: r.last_seen_at, acknowledgedAt: r.acknowledged_at, acknowledgedBy: r.acknowledged_by,
    clearedAt: r.cleared_at, lastValues: JSON.parse(r.last_values) as Record<string, MetricValue>,
    evidence: JSON.parse(r.evidence) as AlarmRecord['evidence'], createdAt: r.created_at, updatedAt: r.updated_at, caseId: r.case_id,
  };
}

function toCase(r: CaseRow): CaseRecord {
  return {
    id: r.id, status: r.status as CaseStatus, category: r.category, priority: r.priority as CaseRecord['priority'], title: r.title,
    source: r.source, deviceId: r.device_id, gatewayId: r.gateway_id, district: r.district, createdAt: r.created_at, dueAt: r.due_at, updatedAt: r.updated_at,
  };
}
