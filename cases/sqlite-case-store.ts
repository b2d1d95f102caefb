import Database from 'better-sqlite3';
import { migrateSqlite, openSqlite, TzError } from '../service-kit/index.ts';
import type { CaseQuery, CaseStore, CaseTx, OutboxCounts } from './case-store.ts';
import type {
  CaseAlarmLink, CaseEventRecord, CasePatch, CaseRecord, CaseStatus, Crew, NewCase, NewCaseEvent, NewOutboxMessage, OutboxMessage, PhotoRecord,
} from './model.ts';
import { FINAL_STATUSES } from './model.ts';
import type { Subscription } from './subscriptions.ts';

// SQLite (better-sqlite3, WAL) implementation of the CaseStore. Schema changes
// are numbered migrations recorded in `case_migrations`; add, never edit.
// better-sqlite3 is synchronous, so a transaction is BEGIN IMMEDIATE … COMMIT
// around the (immediately resolving) async work, serialised by a promise chain.

const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'cases, audit trail, alarm links, photos, crews, outbox',
    sql: `
      CREATE TABLE cases (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        status TEXT NOT NULL,
        category TEXT NOT NULL,
        department TEXT NOT NULL,
        priority TEXT NOT NULL,
        title TEXT NOT NULL,
        description TEXT NOT NULL,
        source TEXT NOT NULL,
        asset_id TEXT,
        incident_id TEXT,
        gateway_id TEXT,
        district TEXT,
        grid_cell TEXT,
        lat REAL,
        long REAL,
        address TEXT,
        crew_id TEXT,
        dispatch_due_at INTEGER,
        handle_due_at INTEGER,
        verify_due_at INTEGER,
        due_at INTEGER,
        escalation_level INTEGER NOT NULL DEFAULT 0,
        overdue_stage TEXT,
        rework_count INTEGER NOT NULL DEFAULT 0,
        cleared_before_dispatch INTEGER NOT NULL DEFAULT 0,
        open311_token TEXT UNIQUE,
        reporter TEXT,
        media_url TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        closed_at INTEGER,
        version INTEGER NOT NULL DEFAULT 1
      );
      CREATE INDEX cases_status ON cases (status, id);
      CREATE INDEX cases_asset ON cases (asset_id, status);
      CREATE INDEX cases_incident ON cases (incident_id, status);
      CREATE INDEX cases_crew ON cases (crew_id, status);
      CREATE INDEX cases_created ON cases (created_at);
      CREATE TABLE case_events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id INTEGER NOT NULL REFERENCES cases (id),
        at INTEGER NOT NULL,
        who TEXT NOT NULL,
        action TEXT NOT NULL,
        from_status TEXT,
        to_status TEXT,
        note TEXT,
        detail TEXT NOT NULL
      );
      CREATE INDEX case_events_case ON case_events (case_id, id);
      CREATE TABLE case_alarms (
        alarm_id TEXT PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases (id),
        rule_id TEXT NOT NULL,
        state TEXT NOT NULL,
        linked_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
      CREATE INDEX case_alarms_case ON case_alarms (case_id);
      CREATE TABLE alarm_events_seen (
        event_id TEXT PRIMARY KEY,
        at INTEGER NOT NULL
      );
      CREATE INDEX alarm_events_seen_at ON alarm_events_seen (at);
      CREATE TABLE case_photos (
        id TEXT PRIMARY KEY,
        case_id INTEGER NOT NULL REFERENCES cases (id),
        file TEXT NOT NULL,
        mime TEXT NOT NULL,
        size INTEGER NOT NULL,
        sha256 TEXT NOT NULL,
        uploaded_by TEXT NOT NULL,
        at INTEGER NOT NULL
      );
      CREATE INDEX case_photos_case ON case_photos (case_id);
      CREATE TABLE crews (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        department TEXT NOT NULL,
        districts TEXT NOT NULL,
        grid_cells TEXT NOT NULL,
        skills TEXT NOT NULL,
        webhook_url TEXT,
        active INTEGER NOT NULL
      );
      CREATE TABLE case_outbox (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        case_id INTEGER NOT NULL,
        channel TEXT NOT NULL,
        target TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        delivered_at INTEGER,
        last_error TEXT
      );
      CREATE INDEX case_outbox_due ON case_outbox (state, next_attempt_at);
    `,
  },
  {
    version: 2,
    name: 'alert subscriptions; outbox idempotency keys (event x subscription)',
    sql: `
      ALTER TABLE case_outbox ADD COLUMN dedup_key TEXT;
      ALTER TABLE case_outbox ADD COLUMN subscription_id TEXT;
      CREATE UNIQUE INDEX case_outbox_dedup ON case_outbox (dedup_key) WHERE dedup_key IS NOT NULL;
      CREATE TABLE alert_subscriptions (
        id TEXT PRIMARY KEY,
        doc TEXT NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('config', 'api')),
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
];

interface CaseRow {
  id: number; status: string; category: string; department: string; priority: string; title: string; description: string; source: string;
  asset_id: string | null; incident_id: string | null; gateway_id: string | null; district: string | null; grid_cell: string | null;
  lat: number | null; long: number | null; address: string | null; crew_id: string | null;
  dispatch_due_at: number | null; handle_due_at: number | null; verify_due_at: number | null; due_at: number | null;
  escalation_level: number; overdue_stage: string | null; rework_count: number; cleared_before_dispatch: number;
  open311_token: string | null; reporter: string | null; media_url: string | null;
  created_at: number; updated_at: number; closed_at: number | null; version: number;
}

/** Record field → column, for inserts and patches. */
const COLUMNS: Record<keyof Omit<CaseRecord, 'id'>, keyof CaseRow> = {
  status: 'status', category: 'category', department: 'department', priority: 'priority', title: 'title', description: 'description', source: 'source',
  assetId: 'asset_id', incidentId: 'incident_id', gatewayId: 'gateway_id', district: 'district', gridCell: 'grid_cell', lat: 'lat', long: 'long',
  address: 'address', crewId: 'crew_id', dispatchDueAt: 'dispatch_due_at', handleDueAt: 'handle_due_at', verifyDueAt: 'verify_due_at', dueAt: 'due_at',
  escalationLevel: 'escalation_level', overdueStage: 'overdue_stage', reworkCount: 'rework_count', clearedBeforeDispatch: 'cleared_before_dispatch',
  open311Token: 'open311_token', reporter: 'reporter', mediaUrl: 'media_url', createdAt: 'created_at', updatedAt: 'updated_at', closedAt: 'closed_at',
  version: 'version',
};

function toColumn(key: keyof Omit<CaseRecord, 'id'>, value: unknown): unknown {
  if (key === 'reporter') return value === null || value === undefined ? null : JSON.stringify(value);
  if (key === 'clearedBeforeDispatch') return value ? 1 : 0;
  return value ?? null;
}

function caseOf(row: CaseRow): CaseRecord {
  return {
    id: row.id, status: row.status as CaseStatus, category: row.category, department: row.department, priority: row.priority as CaseRecord['priority'],
    title: row.title, description: row.description, source: row.source as CaseRecord['source'], assetId: row.asset_id, incidentId: row.incident_id,
    gatewayId: row.gateway_id, district: row.district, gridCell: row.grid_cell, lat: row.lat, long: row.long, address: row.address, crewId: row.crew_id,
    dispatchDueAt: row.dispatch_due_at, handleDueAt: row.handle_due_at, verifyDueAt: row.verify_due_at, dueAt: row.due_at,
    escalationLevel: row.escalation_level, overdueStage: row.overdue_stage as CaseRecord['overdueStage'], reworkCount: row.rework_count,
    clearedBeforeDispatch: row.cleared_before_dispatch === 1, open311Token: row.open311_token,
    reporter: row.reporter === null ? null : (JSON.parse(row.reporter) as CaseRecord['reporter']), mediaUrl: row.media_url,
    createdAt: row.created_at, updatedAt: row.updated_at, closedAt: row.closed_at, version: row.version,
  };
}

interface EventRow { id: number; case_id: number; at: number; who: string; action: string; from_status: string | null; to_status: string | null; note: string | null; detail: string }
const eventOf = (r: EventRow): CaseEventRecord => ({
  id: r.id, caseId: r.case_id, at: r.at, who: r.who, action: r.action, fromStatus: r.from_status as CaseStatus | null,
  toStatus: r.to_status as CaseStatus | null, note: r.note, detail: JSON.parse(r.detail) as Record<string, unknown>,
});

interface OutboxRow { id: number; case_id: number; channel: string; target: string; payload: string; state: string; attempts: number; next_attempt_at: number; created_at: number; delivered_at: number | null; last_error: string | null; dedup_key: string | null; subscription_id: string | null }
interface SubscriptionRow { id: string; doc: string; source: string; created_at: number; updated_at: number }
const subscriptionOf = (r: SubscriptionRow): Subscription => ({
  ...(JSON.parse(r.doc) as Omit<Subscription, 'id' | 'source' | 'createdAt' | 'updatedAt'>), id: r.id, source: r.source as Subscription['source'], createdAt: r.created_at, updatedAt: r.updated_at,
});
const outboxOf = (r: OutboxRow): OutboxMessage => ({
  id: r.id, caseId: r.case_id, channel: r.channel as OutboxMessage['channel'], target: r.target, payload: r.payload, state: r.state as OutboxMessage['state'],
  attempts: r.attempts, nextAttemptAt: r.next_attempt_at, createdAt: r.created_at, deliveredAt: r.delivered_at, lastError: r.last_error,
  dedupKey: r.dedup_key, subscriptionId: r.subscription_id,
});

interface CrewRow { id: string; name: string; department: string; districts: string; grid_cells: string; skills: string; webhook_url: string | null; active: number }
const crewOf = (r: CrewRow): Crew => ({
  id: r.id, name: r.name, department: r.department, districts: JSON.parse(r.districts) as string[], gridCells: JSON.parse(r.grid_cells) as string[],
  skills: JSON.parse(r.skills) as string[], webhookUrl: r.webhook_url, active: r.active === 1,
});

interface PhotoRow { id: string; case_id: number; file: string; mime: string; size: number; sha256: string; uploaded_by: string; at: number }
const photoOf = (r: PhotoRow): PhotoRecord => ({ id: r.id, caseId: r.case_id, file: r.file, mime: r.mime, size: r.size, sha256: r.sha256, uploadedBy: r.uploaded_by, at: r.at });

const FINAL_SQL = FINAL_STATUSES.map((s) => `'${s}'`).join(', ');

function whereOf(q: CaseQuery): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  if (q.status === 'open') parts.push(`status NOT IN (${FINAL_SQL})`);
  else if (q.status) { parts.push('status = ?'); args.push(q.status); }
  if (q.category) { parts.push('category = ?'); args.push(q.category); }
  if (q.district) { parts.push('district = ?'); args.push(q.district); }
  if (q.crewId) { parts.push('crew_id = ?'); args.push(q.crewId); }
  if (q.assetId) { parts.push('asset_id = ?'); args.push(q.assetId); }
  if (q.source) { parts.push('source = ?'); args.push(q.source); }
  if (q.overdue === true) parts.push('overdue_stage IS NOT NULL');
  if (q.overdue === false) parts.push('overdue_stage IS NULL');
  if (q.ids) { parts.push(`id IN (${q.ids.map(() => '?').join(', ') || 'NULL'})`); args.push(...q.ids); }
  if (q.createdFrom !== undefined) { parts.push('created_at >= ?'); args.push(q.createdFrom); }
  if (q.createdTo !== undefined) { parts.push('created_at < ?'); args.push(q.createdTo); }
  return { sql: parts.length ? `WHERE ${parts.join(' AND ')}` : '', args };
}

export class SqliteCaseStore implements CaseStore {
  private readonly db: Database.Database;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly tx: CaseTx;

  constructor(path: string) {
    // Full: a case action is acknowledged to a person only once it is on disk.
    this.db = openSqlite(path, { durability: 'full' });
    migrateSqlite(this.db, 'case_migrations', MIGRATIONS, () => Date.now());
    this.tx = this.buildTx();
  }

  /** The open database, for tables other rooms keep beside the cases (access tokens). */
  get database(): Database.Database {
    return this.db;
  }

  atomically<T>(work: (tx: CaseTx) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      this.db.exec('BEGIN IMMEDIATE');
      try {
        const result = await work(this.tx);
        this.db.exec('COMMIT');
        return result;
      } catch (err) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK');
        throw err;
      }
    };
    const next = this.queue.then(run, run);
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    await this.queue;
    if (this.db.open) this.db.close();
  }

  private buildTx(): CaseTx {
    const db = this.db;
    const caseById = db.prepare<[number], CaseRow>('SELECT * FROM cases WHERE id = ?');
    const eventById = db.prepare<[number], EventRow>('SELECT * FROM case_events WHERE id = ?');
    const outboxById = db.prepare<[number], OutboxRow>('SELECT * FROM case_outbox WHERE id = ?');
    const insertEvent = db.prepare('INSERT INTO case_events (case_id, at, who, action, from_status, to_status, note, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const insertOutbox = db.prepare('INSERT INTO case_outbox (case_id, channel, target, payload, state, attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, \'pending\', 0, ?, ?)');
    const insertCase = (input: NewCase, at: number): CaseRecord => {
      const keys = (Object.keys(COLUMNS) as Array<keyof typeof COLUMNS>);
      const values = keys.map((k) => {
        if (k === 'createdAt' || k === 'updatedAt') return at;
        if (k === 'version') return 1;
        if (k === 'closedAt') return null;
        return toColumn(k, input[k]);
      });
      const info = db.prepare(`INSERT INTO cases (${keys.map((k) => COLUMNS[k]).join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`).run(...values);
      return caseOf(caseById.get(Number(info.lastInsertRowid))!);
    };

    return {
      insertCase: async (input, at) => insertCase(input, at),
      updateCase: async (id, expectedVersion, patch, at) => {
        const keys = (Object.keys(patch) as Array<keyof CasePatch>).filter((k) => k in COLUMNS && k !== 'updatedAt');
        const sets = keys.map((k) => `${COLUMNS[k]} = ?`);
        const args = keys.map((k) => toColumn(k, patch[k]));
        const info = db.prepare(`UPDATE cases SET ${[...sets, 'updated_at = ?', 'version = version + 1'].join(', ')} WHERE id = ? AND version = ?`)
          .run(...args, at, id, expectedVersion);
        if (info.changes === 0) return null;
        return caseOf(caseById.get(id)!);
      },
      getCase: async (id) => {
        const row = caseById.get(id);
        return row ? caseOf(row) : null;
      },
      getCaseByToken: async (token) => {
        const row = db.prepare<[string], CaseRow>('SELECT * FROM cases WHERE open311_token = ?').get(token);
        return row ? caseOf(row) : null;
      },
      listCases: async (q) => {
        const { sql, args } = whereOf(q);
        return db.prepare<unknown[], CaseRow>(`SELECT * FROM cases ${sql} ORDER BY id DESC LIMIT ? OFFSET ?`).all(...args, q.limit ?? 100, q.offset ?? 0).map(caseOf);
      },
      countCases: async (q) => {
        const { sql, args } = whereOf(q);
        return db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM cases ${sql}`).get(...args)!.n;
      },
      findOpenCase: async ({ assetId, incidentId }) => {
        if (incidentId) {
          const row = db.prepare<[string], CaseRow>(`SELECT * FROM cases WHERE incident_id = ? AND status NOT IN (${FINAL_SQL}) ORDER BY id DESC LIMIT 1`).get(incidentId);
          if (row) return caseOf(row);
        }
        if (assetId) {
          const row = db.prepare<[string], CaseRow>(`SELECT * FROM cases WHERE asset_id = ? AND status NOT IN (${FINAL_SQL}) ORDER BY id DESC LIMIT 1`).get(assetId);
          if (row) return caseOf(row);
        }
        return null;
      },
      findClosedSince: async (assetId, since) => {
        const row = db.prepare<[string, number], CaseRow>("SELECT * FROM cases WHERE asset_id = ? AND status = 'closed' AND closed_at >= ? ORDER BY closed_at DESC LIMIT 1").get(assetId, since);
        return row ? caseOf(row) : null;
      },

      appendEvent: async (e: NewCaseEvent) => {
        const info = insertEvent.run(e.caseId, e.at, e.who, e.action, e.fromStatus, e.toStatus, e.note, JSON.stringify(e.detail));
        return eventOf(eventById.get(Number(info.lastInsertRowid))!);
      },
      eventsOf: async (caseId) => db.prepare<[number], EventRow>('SELECT * FROM case_events WHERE case_id = ? ORDER BY id').all(caseId).map(eventOf),
      eventsOfCases: async (caseIds) => {
        const out: CaseEventRecord[] = [];
        // Chunks keep under SQLite's bound-parameter limit.
        for (let i = 0; i < caseIds.length; i += 500) {
          const chunk = caseIds.slice(i, i + 500);
          out.push(...db.prepare<number[], EventRow>(`SELECT * FROM case_events WHERE case_id IN (${chunk.map(() => '?').join(', ')}) ORDER BY id`).all(...chunk).map(eventOf));
        }
        return out.sort((a, b) => a.id - b.id);
      },

      linkAlarm: async (l: CaseAlarmLink) => {
        db.prepare('INSERT INTO case_alarms (alarm_id, case_id, rule_id, state, linked_at, updated_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (alarm_id) DO UPDATE SET case_id = excluded.case_id, state = excluded.state, updated_at = excluded.updated_at')
          .run(l.alarmId, l.caseId, l.ruleId, l.state, l.linkedAt, l.updatedAt);
      },
      updateAlarmLink: async (alarmId, state, at) => {
        db.prepare('UPDATE case_alarms SET state = ?, updated_at = ? WHERE alarm_id = ?').run(state, at, alarmId);
      },
      caseOfAlarm: async (alarmId) => db.prepare<[string], { case_id: number }>('SELECT case_id FROM case_alarms WHERE alarm_id = ?').get(alarmId)?.case_id ?? null,
      alarmsOf: async (caseId) => db.prepare<[number], { alarm_id: string; case_id: number; rule_id: string; state: string; linked_at: number; updated_at: number }>('SELECT * FROM case_alarms WHERE case_id = ? ORDER BY linked_at, alarm_id').all(caseId)
        .map((r) => ({ caseId: r.case_id, alarmId: r.alarm_id, ruleId: r.rule_id, state: r.state, linkedAt: r.linked_at, updatedAt: r.updated_at })),
      rememberAlarmEvent: async (eventId, at) => db.prepare('INSERT OR IGNORE INTO alarm_events_seen (event_id, at) VALUES (?, ?)').run(eventId, at).changes === 1,
      forgetAlarmEventsBefore: async (at) => db.prepare('DELETE FROM alarm_events_seen WHERE at < ?').run(at).changes,

      addPhoto: async (p) => {
        db.prepare('INSERT INTO case_photos (id, case_id, file, mime, size, sha256, uploaded_by, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)').run(p.id, p.caseId, p.file, p.mime, p.size, p.sha256, p.uploadedBy, p.at);
      },
      photosOf: async (caseId) => db.prepare<[number], PhotoRow>('SELECT * FROM case_photos WHERE case_id = ? ORDER BY at, id').all(caseId).map(photoOf),
      getPhoto: async (caseId, photoId) => {
        const row = db.prepare<[number, string], PhotoRow>('SELECT * FROM case_photos WHERE case_id = ? AND id = ?').get(caseId, photoId);
        return row ? photoOf(row) : null;
      },

      upsertCrew: async (c) => {
        db.prepare(`INSERT INTO crews (id, name, department, districts, grid_cells, skills, webhook_url, active) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET name = excluded.name, department = excluded.department, districts = excluded.districts, grid_cells = excluded.grid_cells,
          skills = excluded.skills, webhook_url = excluded.webhook_url, active = excluded.active`)
          .run(c.id, c.name, c.department, JSON.stringify(c.districts), JSON.stringify(c.gridCells), JSON.stringify(c.skills), c.webhookUrl, c.active ? 1 : 0);
      },
      getCrew: async (id) => {
        const row = db.prepare<[string], CrewRow>('SELECT * FROM crews WHERE id = ?').get(id);
        return row ? crewOf(row) : null;
      },
      listCrews: async () => db.prepare<[], CrewRow>('SELECT * FROM crews ORDER BY id').all().map(crewOf),
      openCaseCounts: async () => new Map(db.prepare<[], { crew_id: string; n: number }>(`SELECT crew_id, COUNT(*) AS n FROM cases WHERE crew_id IS NOT NULL AND status NOT IN (${FINAL_SQL}) GROUP BY crew_id`).all().map((r) => [r.crew_id, r.n])),

      enqueue: async (caseId, m: NewOutboxMessage, at) => {
        const info = insertOutbox.run(caseId, m.channel, m.target, m.payload, at, at);
        return outboxOf(outboxById.get(Number(info.lastInsertRowid))!);
      },
      enqueueOnce: async (caseId, m, at, o) => {
        // The unique index on dedup_key makes a second message for the same event × subscription a no-op.
        const info = db.prepare('INSERT INTO case_outbox (case_id, channel, target, payload, state, attempts, next_attempt_at, created_at, dedup_key, subscription_id) VALUES (?, ?, ?, ?, \'pending\', 0, ?, ?, ?, ?) ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING')
          .run(caseId, m.channel, m.target, m.payload, o.dueAt, at, o.dedupKey, o.subscriptionId);
        return info.changes === 1 ? outboxOf(outboxById.get(Number(info.lastInsertRowid))!) : null;
      },
      putSubscription: async (sub) => {
        const { id, source, createdAt, updatedAt, ...doc } = sub;
        db.prepare(`INSERT INTO alert_subscriptions (id, doc, source, created_at, updated_at) VALUES (?, ?, ?, ?, ?)
          ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, source = excluded.source, updated_at = excluded.updated_at`).run(id, JSON.stringify(doc), source, createdAt, updatedAt);
      },
      getSubscription: async (id) => {
        const row = db.prepare<[string], SubscriptionRow>('SELECT * FROM alert_subscriptions WHERE id = ?').get(id);
        return row ? subscriptionOf(row) : null;
      },
      listSubscriptions: async () => db.prepare<[], SubscriptionRow>('SELECT * FROM alert_subscriptions ORDER BY id').all().map(subscriptionOf),
      deleteSubscription: async (id) => db.prepare('DELETE FROM alert_subscriptions WHERE id = ?').run(id).changes === 1,
      dueOutbox: async (now, limit) => db.prepare<[number, number], OutboxRow>("SELECT * FROM case_outbox WHERE state = 'pending' AND next_attempt_at <= ? ORDER BY next_attempt_at, id LIMIT ?").all(now, limit).map(outboxOf),
      markDelivered: async (id, at) => {
        db.prepare("UPDATE case_outbox SET state = 'delivered', delivered_at = ?, attempts = attempts + 1, last_error = NULL WHERE id = ?").run(at, id);
      },
      markFailed: async (id, error, nextAttemptAt, dead) => {
        db.prepare('UPDATE case_outbox SET state = ?, attempts = attempts + 1, last_error = ?, next_attempt_at = ? WHERE id = ?').run(dead ? 'dead' : 'pending', error.slice(0, 500), nextAttemptAt, id);
      },
      retryOutbox: async (id, at) => db.prepare("UPDATE case_outbox SET state = 'pending', next_attempt_at = ?, attempts = 0 WHERE id = ? AND state = 'dead'").run(at, id).changes === 1,
      listOutbox: async ({ state, caseId, limit, channel }) => {
        const parts: string[] = [];
        const args: unknown[] = [];
        if (channel) { parts.push('channel = ?'); args.push(channel); }
        if (state) { parts.push('state = ?'); args.push(state); }
        if (caseId !== undefined) { parts.push('case_id = ?'); args.push(caseId); }
        return db.prepare<unknown[], OutboxRow>(`SELECT * FROM case_outbox ${parts.length ? `WHERE ${parts.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ?`).all(...args, limit ?? 100).map(outboxOf);
      },
      outboxCounts: async (): Promise<OutboxCounts[]> => db.prepare<[], { channel: string; state: string; n: number }>('SELECT channel, state, COUNT(*) AS n FROM case_outbox GROUP BY channel, state').all()
        .map((r) => ({ channel: r.channel as OutboxCounts['channel'], state: r.state as OutboxCounts['state'], count: r.n })),
      nextOutboxDue: async () => db.prepare<[], { t: number | null }>("SELECT MIN(next_attempt_at) AS t FROM case_outbox WHERE state = 'pending'").get()?.t ?? null,
    };
  }
}

/** Raised by the workflow when an optimistic update lost a race. */
export function concurrentChange(id: number): TzError {
  return new TzError('TZ_CASE_TRANSITION', `case ${id} was changed by someone else meanwhile; reload it and try again`, { retryable: true, details: { reason: 'conflict' } });
}
