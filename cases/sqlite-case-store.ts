import Database from 'better-sqlite3';
import { TzError, migrateSqlite, openSqlite } from '../service-kit/index.ts';
import type { CaseQuery, CaseStore, CaseTx } from './case-store.ts';
import type {
  CaseAlarmLink, CaseEventRecord, CasePatch, CaseRecord, NewCase, NewCaseEvent, PhotoRecord,
} from './model.ts';
import { FINAL_STATUSES } from './model.ts';
import { CASE_COLUMNS, caseColumnValue, caseOf, crewOf, eventOf, type CaseRow, type CrewRow, type EventRow } from './case-rows.ts';
import { SQLITE_CASE_MIGRATIONS } from './case-schema.ts';
import { outboxTx } from './sqlite-outbox.ts';

// SQLite (better-sqlite3, WAL) implementation of the CaseStore. Schema changes
// are numbered migrations (case-schema.ts, rendered for SQLite); the notification
// outbox and alert subscriptions are sqlite-outbox.ts.
// better-sqlite3 is synchronous, so a transaction is BEGIN IMMEDIATE … COMMIT
// around the (immediately resolving) async work, serialised by a promise chain.

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
    migrateSqlite(this.db, 'case_migrations', SQLITE_CASE_MIGRATIONS, () => Date.now());
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
    // A row just inserted, or a COUNT(*), is always there; none is a bug, not a state.
    const stored = <R>(row: R | undefined, what: string): R => {
      if (row === undefined) throw new TzError('TZ_INTERNAL', `case store: SQLite has no row for ${what}`);
      return row;
    };
    const insertEvent = db.prepare('INSERT INTO case_events (case_id, at, who, action, from_status, to_status, note, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    const insertCase = (input: NewCase, at: number): CaseRecord => {
      const keys = (Object.keys(CASE_COLUMNS) as Array<keyof typeof CASE_COLUMNS>);
      const values = keys.map((k) => {
        if (k === 'createdAt' || k === 'updatedAt') return at;
        if (k === 'version') return 1;
        if (k === 'closedAt') return null;
        return toColumn(k, input[k]);
      });
      const info = db.prepare(`INSERT INTO cases (${keys.map((k) => CASE_COLUMNS[k]).join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`).run(...values);
      return caseOf(stored(caseById.get(Number(info.lastInsertRowid)), 'the new case'));
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
        return caseOf(stored(caseById.get(id), `case ${id} just updated`));
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
        return stored(db.prepare<unknown[], { n: number }>(`SELECT COUNT(*) AS n FROM cases ${sql}`).get(...args), 'the case count').n;
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
        return eventOf(stored(eventById.get(Number(info.lastInsertRowid)), 'the new case event'));
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

      ...outboxTx(db),
    };
  }
}
