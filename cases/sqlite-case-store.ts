import Database from 'better-sqlite3';
import { migrateSqlite, openSqlite, TzError } from '../service-kit/index.ts';
import type { CaseQuery, CaseStore, CaseTx, OutboxCounts } from './case-store.ts';
import type {
  CaseAlarmLink, CaseEventRecord, CasePatch, CaseRecord, CaseStatus, Crew, NewCase, NewCaseEvent, NewOutboxMessage, OutboxMessage, PhotoRecord,
} from './model.ts';
import { FINAL_STATUSES } from './model.ts';
import { CASE_COLUMNS, caseColumnValue, caseOf, crewOf, eventOf, outboxOf, subscriptionOf, type CaseRow, type CrewRow, type EventRow, type OutboxRow, type SubscriptionRow } from './case-rows.ts';
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

/** A record field's value as this store writes it (flags as 0/1). */
const toColumn = (key: keyof typeof CASE_COLUMNS, value: unknown): unknown => caseColumnValue(key, value, (b) => (b ? 1 : 0));

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
      const keys = (Object.keys(CASE_COLUMNS) as Array<keyof typeof CASE_COLUMNS>);
      const values = keys.map((k) => {
        if (k === 'createdAt' || k === 'updatedAt') return at;
        if (k === 'version') return 1;
        if (k === 'closedAt') return null;
        return toColumn(k, input[k]);
      });
      const info = db.prepare(`INSERT INTO cases (${keys.map((k) => CASE_COLUMNS[k]).join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`).run(...values);
      return caseOf(caseById.get(Number(info.lastInsertRowid))!);
    };

    return {
      insertCase: async (input, at) => insertCase(input, at),
      updateCase: async (id, expectedVersion, patch, at) => {
        const keys = (Object.keys(patch) as Array<keyof CasePatch>).filter((k) => k in CASE_COLUMNS && k !== 'updatedAt');
        const sets = keys.map((k) => `${CASE_COLUMNS[k]} = ?`);
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
