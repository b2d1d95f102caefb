import pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import { TzError, createLogger, type Logger } from '../service-kit/index.ts';
import { openPgPool, type PgStoreOptions, PgParams, inPgTransaction, migratePostgres, pgTroubleOf, pgUnavailable, type PgQuery, type PgTransactionContext } from '../service-kit/postgres.ts';
import type { CaseQuery, CaseStore, CaseTx, OutboxCounts } from './case-store.ts';
import type {
  CaseAlarmLink, CaseEventRecord, CasePatch, CaseRecord, CaseStatus, Crew, NewCase, NewCaseEvent, NewOutboxMessage, OutboxMessage, PhotoRecord,
} from './model.ts';
import { FINAL_STATUSES } from './model.ts';
import { CASE_COLUMNS, caseColumnValue, caseOf, crewOf, eventOf, outboxOf, subscriptionOf, type CaseRow, type CrewRow, type EventRow, type OutboxRow, type SubscriptionRow } from './case-rows.ts';
import type { Subscription } from './subscriptions.ts';
import { POSTGRES_CASE_MIGRATIONS } from './case-schema.ts';

// PostgreSQL implementation of the CaseStore (issue 20: more than one rules
// service on more than one machine share one case database). The SQLite store
// gets "transactions never interleave" from its single writer; here every
// transaction first takes one transaction-scoped advisory lock, so the case
// transactions of all machines run one after another, as on SQLite (no two
// cases opened on one asset, no lost read-modify-write). Measured against
// SERIALIZABLE with retries: under 8 concurrent alarm intakes SSI aborted ~2.6
// times per transaction (dispatch reads every open case's crew load) and ran
// ~4x slower than the lock. The lock is released at COMMIT/ROLLBACK or when
// the connection dies, so it cannot leak. Outbox claims take rows FOR UPDATE
// SKIP LOCKED and lease them, so two deliverers do not send one message twice
// while both are alive (still at-least-once across a crash).

/** Tables in the public schema; defaults: pool 10, statements 10 s, connect 5 s; counters `tz_cases_store_retries_total`, `tz_cases_store_unavailable_total`. */
export interface PostgresCaseStoreOptions extends PgStoreOptions {
  /** A claimed outbox message is due again after this long if its deliverer died (default 60 s). */
  outboxLeaseMs?: number;
  /** Times a transaction is run again after a serialization conflict or a lost connection (default 8). */
  maxRetries?: number;
}

/** The advisory lock key every case transaction holds (any constant shared by all machines). */
const CASE_WRITER_LOCK = 0x747a_6361; // 'tzca'
/** SQLSTATEs after which running the transaction again can succeed: serialization failure, deadlock (with a session outside this store). */
const CONFLICT_CODES = new Set(['40001', '40P01']);
const unavailable = (err: unknown): TzError => pgUnavailable('cases', err);

/** A record field's value as this store writes it (flags as booleans). */
const toColumn = (key: keyof typeof CASE_COLUMNS, value: unknown): unknown => caseColumnValue(key, value, (b) => b);

interface PhotoRow { id: string; case_id: number; file: string; mime: string; size: number; sha256: string; uploaded_by: string; at: number }
const photoOf = (r: PhotoRow): PhotoRecord => ({ id: r.id, caseId: r.case_id, file: r.file, mime: r.mime, size: r.size, sha256: r.sha256, uploadedBy: r.uploaded_by, at: r.at });

const FINAL_SQL = FINAL_STATUSES.map((s) => `'${s}'`).join(', ');

function whereOf(q: CaseQuery, p: PgParams): string {
  const parts: string[] = [];
  if (q.status === 'open') parts.push(`status NOT IN (${FINAL_SQL})`);
  else if (q.status) parts.push(`status = ${p.add(q.status)}`);
  if (q.category) parts.push(`category = ${p.add(q.category)}`);
  if (q.district) parts.push(`district = ${p.add(q.district)}`);
  if (q.crewId) parts.push(`crew_id = ${p.add(q.crewId)}`);
  if (q.assetId) parts.push(`asset_id = ${p.add(q.assetId)}`);
  if (q.source) parts.push(`source = ${p.add(q.source)}`);
  if (q.overdue === true) parts.push('overdue_stage IS NOT NULL');
  if (q.overdue === false) parts.push('overdue_stage IS NULL');
  if (q.ids) parts.push(`id = ANY(${p.add(q.ids)}::bigint[])`);
  if (q.createdFrom !== undefined) parts.push(`created_at >= ${p.add(q.createdFrom)}`);
  if (q.createdTo !== undefined) parts.push(`created_at < ${p.add(q.createdTo)}`);
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

type Query = PgQuery;

interface StoreMetrics {
  retries: Counter<'reason'>;
  unavailable: Counter;
}

function storeMetrics(registry: Registry | undefined): StoreMetrics {
  const registers = registry ? [registry] : [];
  return {
    retries: new Counter({ name: 'tz_cases_store_retries_total', help: 'Case transactions run again, by reason (conflict: serialization failure or deadlock; connection: lost before COMMIT)', labelNames: ['reason'], registers }),
    unavailable: new Counter({ name: 'tz_cases_store_unavailable_total', help: 'Case transactions given up as TZ_STORE_UNAVAILABLE (server away, busy, or the connection lost during COMMIT)', registers }),
  };
}

type ResolvedOptions = Required<Omit<PostgresCaseStoreOptions, 'url' | 'log' | 'registry'>> & { log: Logger };

export class PostgresCaseStore implements CaseStore {
  private closed = false;

  private readonly transactions: PgTransactionContext;

  private constructor(private readonly pool: pg.Pool, private readonly opts: ResolvedOptions, private readonly metrics: StoreMetrics) {
    this.transactions = { store: 'cases', pool, log: opts.log, maxRetries: opts.maxRetries, conflictCodes: CONFLICT_CODES, metrics, closed: () => this.closed };
  }

  /** Connects, applies pending migrations (one process at a time, under an advisory lock) and returns the store. */
  static async open(options: PostgresCaseStoreOptions): Promise<PostgresCaseStore> {
    const log = options.log ?? createLogger('cases');
    const opts = {
      poolSize: options.poolSize ?? 10, statementTimeoutMs: options.statementTimeoutMs ?? 10_000, connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      outboxLeaseMs: options.outboxLeaseMs ?? 60_000, maxRetries: options.maxRetries ?? 8, log,
    };
    const pool = openPgPool({
      url: options.url, store: 'cases', poolSize: opts.poolSize, connectTimeoutMs: opts.connectTimeoutMs, statementTimeoutMs: opts.statementTimeoutMs, log,
    });
    const store = new PostgresCaseStore(pool, opts, storeMetrics(options.registry));
    try {
      await store.migrate();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw pgTroubleOf(err) ? unavailable(err) : err;
    }
    return store;
  }

  private migrate(): Promise<void> {
    return migratePostgres(this.pool, { lockName: 'tianzhong.case_migrations', table: 'case_migrations', migrations: POSTGRES_CASE_MIGRATIONS });
  }

  /**
   * One transaction under the case writer lock. After a deadlock, or a lost
   * connection before COMMIT was sent (nothing was committed), `work` runs
   * again from the start, so it must keep its side effects outside. When the
   * connection is lost during COMMIT the outcome is unknown: that, and a
   * server that stays away, is TZ_STORE_UNAVAILABLE (503, retryable).
   */
  async atomically<T>(work: (tx: CaseTx) => Promise<T>): Promise<T> {
    return inPgTransaction(this.transactions, async (query) => {
      // Taken before any read, so every statement after it sees all that earlier holders committed.
      await query('SELECT pg_advisory_xact_lock($1)', [CASE_WRITER_LOCK]);
      return work(this.buildTx(query));
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private buildTx(q: Query): CaseTx {
    const one = async <R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R | undefined> => (await q<R>(sql, values)).rows[0];
    const many = async <R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R[]> => (await q<R>(sql, values)).rows;
    // An INSERT … RETURNING or a COUNT(*) always answers one row; none is a bug, not a state.
    const onlyRow = async <R extends pg.QueryResultRow>(what: string, sql: string, values?: unknown[]): Promise<R> => {
      const row = await one<R>(sql, values);
      if (row === undefined) throw new TzError('TZ_INTERNAL', `case store: PostgreSQL answered no row for ${what}`);
      return row;
    };
    const changed = async (sql: string, values?: unknown[]): Promise<number> => (await q(sql, values)).rowCount ?? 0;
    const leaseMs = this.opts.outboxLeaseMs;

    return {
      insertCase: async (input: NewCase, at) => {
        const keys = Object.keys(CASE_COLUMNS) as Array<keyof typeof CASE_COLUMNS>;
        const p = new PgParams();
        const values = keys.map((k) => {
          if (k === 'createdAt' || k === 'updatedAt') return p.add(at);
          if (k === 'version') return p.add(1);
          if (k === 'closedAt') return p.add(null);
          return p.add(toColumn(k, input[k]));
        });
        return caseOf(await onlyRow<CaseRow>('the new case', `INSERT INTO cases (${keys.map((k) => CASE_COLUMNS[k]).join(', ')}) VALUES (${values.join(', ')}) RETURNING *`, p.values));
      },
      updateCase: async (id, expectedVersion, patch: CasePatch, at) => {
        const keys = (Object.keys(patch) as Array<keyof CasePatch>).filter((k) => k in CASE_COLUMNS && k !== 'updatedAt');
        const p = new PgParams();
        const sets = keys.map((k) => `${CASE_COLUMNS[k]} = ${p.add(toColumn(k, patch[k]))}`);
        const row = await one<CaseRow>(`UPDATE cases SET ${[...sets, `updated_at = ${p.add(at)}`, 'version = version + 1'].join(', ')} WHERE id = ${p.add(id)} AND version = ${p.add(expectedVersion)} RETURNING *`, p.values);
        return row ? caseOf(row) : null;
      },
      getCase: async (id) => {
        const row = await one<CaseRow>('SELECT * FROM cases WHERE id = $1', [id]);
        return row ? caseOf(row) : null;
      },
      getCaseByToken: async (token) => {
        const row = await one<CaseRow>('SELECT * FROM cases WHERE open311_token = $1', [token]);
        return row ? caseOf(row) : null;
      },
      listCases: async (query) => {
        const p = new PgParams();
        const where = whereOf(query, p);
        return (await many<CaseRow>(`SELECT * FROM cases ${where} ORDER BY id DESC LIMIT ${p.add(query.limit ?? 100)} OFFSET ${p.add(query.offset ?? 0)}`, p.values)).map(caseOf);
      },
      countCases: async (query) => {
        const p = new PgParams();
        return (await onlyRow<{ n: number }>('the case count', `SELECT COUNT(*) AS n FROM cases ${whereOf(query, p)}`, p.values)).n;
      },
      findOpenCase: async ({ assetId, incidentId }) => {
        if (incidentId) {
          const row = await one<CaseRow>(`SELECT * FROM cases WHERE incident_id = $1 AND status NOT IN (${FINAL_SQL}) ORDER BY id DESC LIMIT 1`, [incidentId]);
          if (row) return caseOf(row);
        }
        if (assetId) {
          const row = await one<CaseRow>(`SELECT * FROM cases WHERE asset_id = $1 AND status NOT IN (${FINAL_SQL}) ORDER BY id DESC LIMIT 1`, [assetId]);
          if (row) return caseOf(row);
        }
        return null;
      },
      findClosedSince: async (assetId, since) => {
        const row = await one<CaseRow>("SELECT * FROM cases WHERE asset_id = $1 AND status = 'closed' AND closed_at >= $2 ORDER BY closed_at DESC LIMIT 1", [assetId, since]);
        return row ? caseOf(row) : null;
      },

      appendEvent: async (e: NewCaseEvent) => eventOf(await onlyRow<EventRow>('the new case event',
        'INSERT INTO case_events (case_id, at, who, action, from_status, to_status, note, detail) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *',
        [e.caseId, e.at, e.who, e.action, e.fromStatus, e.toStatus, e.note, JSON.stringify(e.detail)],
      )),
      eventsOf: async (caseId) => (await many<EventRow>('SELECT * FROM case_events WHERE case_id = $1 ORDER BY id', [caseId])).map(eventOf),
      eventsOfCases: async (caseIds) => (await many<EventRow>('SELECT * FROM case_events WHERE case_id = ANY($1::bigint[]) ORDER BY id', [caseIds])).map(eventOf),

      linkAlarm: async (l: CaseAlarmLink) => {
        await q(`INSERT INTO case_alarms (alarm_id, case_id, rule_id, state, linked_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6)
          ON CONFLICT (alarm_id) DO UPDATE SET case_id = excluded.case_id, state = excluded.state, updated_at = excluded.updated_at`,
        [l.alarmId, l.caseId, l.ruleId, l.state, l.linkedAt, l.updatedAt]);
      },
      updateAlarmLink: async (alarmId, state, at) => {
        await q('UPDATE case_alarms SET state = $1, updated_at = $2 WHERE alarm_id = $3', [state, at, alarmId]);
      },
      caseOfAlarm: async (alarmId) => (await one<{ case_id: number }>('SELECT case_id FROM case_alarms WHERE alarm_id = $1', [alarmId]))?.case_id ?? null,
      alarmsOf: async (caseId) => (await many<{ alarm_id: string; case_id: number; rule_id: string; state: string; linked_at: number; updated_at: number }>(
        'SELECT * FROM case_alarms WHERE case_id = $1 ORDER BY linked_at, alarm_id', [caseId],
      )).map((r) => ({ caseId: r.case_id, alarmId: r.alarm_id, ruleId: r.rule_id, state: r.state, linkedAt: r.linked_at, updatedAt: r.updated_at })),
      rememberAlarmEvent: async (eventId, at) => (await changed('INSERT INTO alarm_events_seen (event_id, at) VALUES ($1, $2) ON CONFLICT (event_id) DO NOTHING', [eventId, at])) === 1,
      forgetAlarmEventsBefore: async (at) => changed('DELETE FROM alarm_events_seen WHERE at < $1', [at]),

      addPhoto: async (ph) => {
        await q('INSERT INTO case_photos (id, case_id, file, mime, size, sha256, uploaded_by, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
          [ph.id, ph.caseId, ph.file, ph.mime, ph.size, ph.sha256, ph.uploadedBy, ph.at]);
      },
      photosOf: async (caseId) => (await many<PhotoRow>('SELECT * FROM case_photos WHERE case_id = $1 ORDER BY at, id', [caseId])).map(photoOf),
      getPhoto: async (caseId, photoId) => {
        const row = await one<PhotoRow>('SELECT * FROM case_photos WHERE case_id = $1 AND id = $2', [caseId, photoId]);
        return row ? photoOf(row) : null;
      },

      upsertCrew: async (c) => {
        await q(`INSERT INTO crews (id, name, department, districts, grid_cells, skills, webhook_url, active) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
          ON CONFLICT (id) DO UPDATE SET name = excluded.name, department = excluded.department, districts = excluded.districts, grid_cells = excluded.grid_cells,
          skills = excluded.skills, webhook_url = excluded.webhook_url, active = excluded.active`,
        [c.id, c.name, c.department, JSON.stringify(c.districts), JSON.stringify(c.gridCells), JSON.stringify(c.skills), c.webhookUrl, c.active]);
      },
      getCrew: async (id) => {
        const row = await one<CrewRow>('SELECT * FROM crews WHERE id = $1', [id]);
        return row ? crewOf(row) : null;
      },
      listCrews: async () => (await many<CrewRow>('SELECT * FROM crews ORDER BY id')).map(crewOf),
      openCaseCounts: async () => new Map((await many<{ crew_id: string; n: number }>(
        `SELECT crew_id, COUNT(*) AS n FROM cases WHERE crew_id IS NOT NULL AND status NOT IN (${FINAL_SQL}) GROUP BY crew_id`,
      )).map((r) => [r.crew_id, r.n])),

      enqueue: async (caseId, m: NewOutboxMessage, at) => outboxOf(await onlyRow<OutboxRow>('the new outbox message',
        "INSERT INTO case_outbox (case_id, channel, target, payload, state, attempts, next_attempt_at, created_at) VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6) RETURNING *",
        [caseId, m.channel, m.target, m.payload, at, at],
      )),
      enqueueOnce: async (caseId, m, at, o) => {
        // The unique index on dedup_key makes a second message for the same event × subscription a no-op.
        const row = await one<OutboxRow>(`INSERT INTO case_outbox (case_id, channel, target, payload, state, attempts, next_attempt_at, created_at, dedup_key, subscription_id)
          VALUES ($1, $2, $3, $4, 'pending', 0, $5, $6, $7, $8) ON CONFLICT (dedup_key) WHERE dedup_key IS NOT NULL DO NOTHING RETURNING *`,
        [caseId, m.channel, m.target, m.payload, o.dueAt, at, o.dedupKey, o.subscriptionId]);
        return row ? outboxOf(row) : null;
      },
      putSubscription: async (sub) => {
        const { id, source, createdAt, updatedAt, ...doc } = sub;
        await q(`INSERT INTO alert_subscriptions (id, doc, source, created_at, updated_at) VALUES ($1, $2, $3, $4, $5)
          ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, source = excluded.source, updated_at = excluded.updated_at`, [id, JSON.stringify(doc), source, createdAt, updatedAt]);
      },
      getSubscription: async (id) => {
        const row = await one<SubscriptionRow>('SELECT * FROM alert_subscriptions WHERE id = $1', [id]);
        return row ? subscriptionOf(row) : null;
      },
      listSubscriptions: async () => (await many<SubscriptionRow>('SELECT * FROM alert_subscriptions ORDER BY id')).map(subscriptionOf),
      deleteSubscription: async (id) => (await changed('DELETE FROM alert_subscriptions WHERE id = $1', [id])) === 1,
      // A claim: rows another deliverer holds are skipped, and the ones taken are leased (due again only after
      // `outboxLeaseMs`) so a second deliverer does not send them too; markDelivered/markFailed end the lease.
      dueOutbox: async (now, limit) => (await many<OutboxRow>(`WITH due AS (
          SELECT id FROM case_outbox WHERE state = 'pending' AND next_attempt_at <= $1 ORDER BY next_attempt_at, id LIMIT $2 FOR UPDATE SKIP LOCKED)
        UPDATE case_outbox o SET next_attempt_at = $3 FROM due WHERE o.id = due.id RETURNING o.*`, [now, limit, now + leaseMs]))
        .sort((a, b) => a.id - b.id).map(outboxOf),
      markDelivered: async (id, at) => {
        await q("UPDATE case_outbox SET state = 'delivered', delivered_at = $1, attempts = attempts + 1, last_error = NULL WHERE id = $2", [at, id]);
      },
      markFailed: async (id, error, nextAttemptAt, dead) => {
        await q('UPDATE case_outbox SET state = $1, attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $4', [dead ? 'dead' : 'pending', error.slice(0, 500), nextAttemptAt, id]);
      },
      retryOutbox: async (id, at) => (await changed("UPDATE case_outbox SET state = 'pending', next_attempt_at = $1, attempts = 0 WHERE id = $2 AND state = 'dead'", [at, id])) === 1,
      listOutbox: async ({ state, caseId, limit, channel }) => {
        const p = new PgParams();
        const parts: string[] = [];
        if (channel) parts.push(`channel = ${p.add(channel)}`);
        if (state) parts.push(`state = ${p.add(state)}`);
        if (caseId !== undefined) parts.push(`case_id = ${p.add(caseId)}`);
        return (await many<OutboxRow>(`SELECT * FROM case_outbox ${parts.length ? `WHERE ${parts.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${p.add(limit ?? 100)}`, p.values)).map(outboxOf);
      },
      outboxCounts: async (): Promise<OutboxCounts[]> => (await many<{ channel: string; state: string; n: number }>('SELECT channel, state, COUNT(*) AS n FROM case_outbox GROUP BY channel, state ORDER BY channel, state'))
        .map((r) => ({ channel: r.channel as OutboxCounts['channel'], state: r.state as OutboxCounts['state'], count: r.n })),
      nextOutboxDue: async () => (await one<{ t: number | null }>("SELECT MIN(next_attempt_at) AS t FROM case_outbox WHERE state = 'pending'"))?.t ?? null,
    };
  }
}
