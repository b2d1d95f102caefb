import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import type { RuleSpec } from '../device-profiles/index.ts';
import { createLogger, TzError, type Logger } from '../service-kit/index.ts';
import { openPgPool, type PgStoreOptions, PgParams, inPgTransaction, migratePostgres, pgTroubleOf, pgUnavailable, type PgQuery, type PgTransactionContext } from '../service-kit/postgres.ts';
import { toAlarm, type AlarmRow } from './alarm-rows.ts';
import type { MetricValue } from './evaluator.ts';
import { POSTGRES_RULES_MIGRATIONS } from './postgres-rules-migrations.ts';
import {
  ALARM_PATCH_COLUMNS, runSteps, type AlarmPatch, type AlarmQuery, type AlarmRecord, type AlarmState, type DeviceCheckpoint, type GatewayRow, type Incident,
  type NewAlarm, type NewSilenceRecord, type OutboxRow, type RuleDocRow, type RulesStore, type RulesTx, type RuleVersionRow, type ShadowRow, type SilenceRecord, type Steps,
} from './rules-store.ts';

// The rules store on PostgreSQL (issue 20): several rules services, each
// holding some gateways (MQTT shared subscription `$share/rules/…`), share one
// database. What keeps alarms single across them:
// - every alarm change first takes a transaction-scoped advisory lock on its
//   device (`lockSubject`), so two services never both see "no open alarm";
// - the partial unique index "one open alarm per (rule, device)" and the
//   unique (rule, device, raised_at): a reading delivered again after a crash
//   before its PUBACK — to the same service or another — raises nothing new;
// - the outbox rows are claimed FOR UPDATE SKIP LOCKED with a lease, so two
//   live deliverers never send one row; a dead one's rows are due again when
//   its lease ends (at-least-once; sinks de-duplicate by eventId).
// An alarm change and its outbox rows are one transaction, committed before
// the PUBACK of the batch that caused it (engine.ts holds the PUBACK).

/** Tables in the schema tz_rules; defaults: pool 10, statements 10 s, connect 5 s; counters `tz_rules_store_retries_total`, `tz_rules_store_unavailable_total`. */
export interface PostgresRulesStoreOptions extends PgStoreOptions {
  /** A claimed outbox row is due again after this long if its deliverer died (default 30 s). */
  outboxLeaseMs?: number;
  /** Times a transaction runs again after a conflict or a connection lost before COMMIT (default 8). */
  maxRetries?: number;
}

/** SQLSTATEs after which running the transaction again can succeed: serialization failure, deadlock, a unique key another writer took first. */
const CONFLICT_CODES = new Set(['40001', '40P01', '23505']);
/** First key of the two-key advisory locks of rules subjects (the second is the subject's hash). */
const SUBJECT_LOCK_SPACE = 0x747a72; // 'tzr'
const SCHEMA = 'tz_rules';

type Query = PgQuery;

const unavailable = (err: unknown): TzError => pgUnavailable('rules', err);

interface StoreMetrics { retries: Counter<'reason'>; unavailable: Counter }

function storeMetrics(registry: Registry | undefined): StoreMetrics {
  const registers = registry ? [registry] : [];
  return {
    retries: new Counter({ name: 'tz_rules_store_retries_total', help: 'Rules store transactions run again, by reason (conflict: serialization, deadlock or unique key; connection: lost before COMMIT)', labelNames: ['reason'], registers }),
    unavailable: new Counter({ name: 'tz_rules_store_unavailable_total', help: 'Rules store operations given up as TZ_STORE_UNAVAILABLE (server away or busy, connection lost during COMMIT)', registers }),
  };
}

const OPEN = `state IN ('active', 'acknowledged')`;

/** The store's statements over one connection (a transaction) or the pool. */
class PgRulesParts implements RulesTx {
  constructor(private readonly q: Query, private readonly owner: string, private readonly leaseMs: number) {}

  private async one<R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R | undefined> {
    return (await this.q<R>(sql, values)).rows[0];
  }

  private async many<R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R[]> {
    return (await this.q<R>(sql, values)).rows;
  }

  private async mustAlarm(id: number): Promise<AlarmRecord> {
    const a = await this.getAlarm(id);
    if (!a) throw new TzError('TZ_ALARM_NOT_FOUND', `no alarm ${id}`);
    return a;
  }

  // --- alarms ---

  async lockSubject(subject: string): Promise<void> {
    await this.q('SELECT pg_advisory_xact_lock($1, hashtext($2))', [SUBJECT_LOCK_SPACE, subject]);
  }

  async findOpenAlarm(ruleId: string, deviceId: string): Promise<AlarmRecord | undefined> {
    const row = await this.one<AlarmRow>(`SELECT * FROM alarms WHERE rule_id = $1 AND device_id = $2 AND ${OPEN}`, [ruleId, deviceId]);
    return row && toAlarm(row);
  }

  async findRaisedAlarm(ruleId: string, deviceId: string, raisedAt: number): Promise<AlarmRecord | undefined> {
    const row = await this.one<AlarmRow>('SELECT * FROM alarms WHERE rule_id = $1 AND device_id = $2 AND raised_at = $3', [ruleId, deviceId, raisedAt]);
    return row && toAlarm(row);
  }

  async insertAlarm(a: NewAlarm): Promise<AlarmRecord> {
    const row = await this.one<AlarmRow>(`INSERT INTO alarms (rule_id, rule_name, severity, base_severity, device_id, gateway_id, district, profile, state, count, raised_at,
      last_seen_at, flapping, no_data, case_spec, escalate, last_values, evidence, created_at, updated_at, suppressed_by, silenced_by)
      VALUES ($1, $2, $3, $3, $4, $5, $6, $7, 'active', 1, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18) RETURNING *`,
    [a.ruleId, a.ruleName, a.severity, a.deviceId, a.gatewayId, a.district, a.profile, a.raisedAt, a.lastSeenAt, a.flapping ? 1 : 0, a.noData ? 1 : 0,
      a.caseSpec ? JSON.stringify(a.caseSpec) : null, JSON.stringify(a.escalate), JSON.stringify(a.lastValues), JSON.stringify(a.evidence), a.createdAt, a.suppressedBy, a.silencedBy ?? null]);
    if (!row) throw new TzError('TZ_INTERNAL', 'rules: an inserted alarm was not returned');
    return toAlarm(row);
  }

  async recordRepeat(id: number, lastSeenAt: number, lastValues: Record<string, MetricValue>, flapping: boolean, now: number): Promise<AlarmRecord> {
    await this.q(`UPDATE alarms SET count = count + 1, last_seen_at = GREATEST(last_seen_at, $1), last_values = $2, flapping = GREATEST(flapping, $3), updated_at = $4 WHERE id = $5 AND ${OPEN}`,
      [lastSeenAt, JSON.stringify(lastValues), flapping ? 1 : 0, now, id]);
    return this.mustAlarm(id);
  }

  async updateAlarm(id: number, set: AlarmPatch, now: number): Promise<AlarmRecord> {
    const p = new PgParams();
    const sets = Object.keys(set).map((k) => {
      if (!ALARM_PATCH_COLUMNS.has(k)) throw new TzError('TZ_INTERNAL', `rules: no alarm column ${k}`);
      return `${k} = ${p.add(set[k as keyof AlarmPatch] ?? null)}`;
    });
    const row = await this.one<AlarmRow>(`UPDATE alarms SET ${[...sets, `updated_at = ${p.add(now)}`].join(', ')} WHERE id = ${p.add(id)} RETURNING *`, p.values);
    if (!row) throw new TzError('TZ_ALARM_NOT_FOUND', `no alarm ${id}`);
    return toAlarm(row);
  }

  async getAlarm(id: number): Promise<AlarmRecord | undefined> {
    const row = await this.one<AlarmRow>('SELECT * FROM alarms WHERE id = $1', [id]);
    return row && toAlarm(row);
  }

  async listAlarms(q: AlarmQuery): Promise<AlarmRecord[]> {
    const p = new PgParams();
    const where: string[] = [];
    if (q.state === 'open') where.push(OPEN);
    else if (q.state) where.push(`state = ${p.add(q.state)}`);
    if (q.deviceId) where.push(`device_id = ${p.add(q.deviceId)}`);
    if (q.ruleId) where.push(`rule_id = ${p.add(q.ruleId)}`);
    if (q.incidentId !== undefined) where.push(`incident_id = ${p.add(q.incidentId)}`);
    if (q.suppressed !== undefined) where.push(q.suppressed ? 'suppressed_by IS NOT NULL' : 'suppressed_by IS NULL');
    if (q.silenced !== undefined) where.push(q.silenced ? 'silenced_by IS NOT NULL' : 'silenced_by IS NULL');
    const sql = `SELECT * FROM alarms${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT ${p.add(q.limit)}`;
    return (await this.many<AlarmRow>(sql, p.values)).map(toAlarm);
  }

  async openAlarms(): Promise<AlarmRecord[]> {
    return (await this.many<AlarmRow>(`SELECT * FROM alarms WHERE ${OPEN} ORDER BY id`)).map(toAlarm);
  }

  async openAlarmsOfDevice(deviceId: string): Promise<AlarmRecord[]> {
    return (await this.many<AlarmRow>(`SELECT * FROM alarms WHERE device_id = $1 AND ${OPEN} ORDER BY id`, [deviceId])).map(toAlarm);
  }

  async countAlarms(state: AlarmState | 'open'): Promise<number> {
    const row = state === 'open'
      ? await this.one<{ n: number }>(`SELECT COUNT(*) AS n FROM alarms WHERE ${OPEN}`)
      : await this.one<{ n: number }>('SELECT COUNT(*) AS n FROM alarms WHERE state = $1', [state]);
    return row?.n ?? 0;
  }

  async openIncident(assetId: string): Promise<number | undefined> {
    return (await this.one<{ id: number }>('SELECT id FROM incidents WHERE asset_id = $1 AND closed_at IS NULL', [assetId]))?.id;
  }

  async createIncident(assetId: string, now: number): Promise<number> {
    const row = await this.one<{ id: number }>('INSERT INTO incidents (asset_id, opened_at) VALUES ($1, $2) RETURNING id', [assetId, now]);
    if (!row) throw new TzError('TZ_INTERNAL', 'rules: an inserted incident was not returned');
    return row.id;
  }

  async closeIncident(id: number, now: number): Promise<void> {
    await this.q('UPDATE incidents SET closed_at = $1 WHERE id = $2 AND closed_at IS NULL', [now, id]);
  }

  async getIncident(id: number): Promise<Incident | undefined> {
    return this.one<Incident & pg.QueryResultRow>('SELECT id, asset_id AS "assetId", opened_at AS "openedAt", closed_at AS "closedAt" FROM incidents WHERE id = $1', [id]);
  }

  async recordShadow(ruleId: string, deviceId: string, kind: string, at: number, severity: string, values: Record<string, MetricValue>, now: number): Promise<void> {
    await this.q('INSERT INTO shadow_records (rule_id, device_id, kind, at, severity, values_json, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
      [ruleId, deviceId, kind, at, severity, JSON.stringify(values), now]);
  }

  async shadowRecords(ruleId: string, limit: number): Promise<ShadowRow[]> {
    const rows = await this.many<{ id: number; rule_id: string; device_id: string; kind: string; at: number; severity: string; values_json: string; recorded_at: number }>(
      'SELECT * FROM shadow_records WHERE rule_id = $1 ORDER BY id DESC LIMIT $2', [ruleId, limit]);
    return rows.map((r) => ({ id: r.id, ruleId: r.rule_id, deviceId: r.device_id, kind: r.kind, at: r.at, severity: r.severity, values: JSON.parse(r.values_json) as Record<string, MetricValue>, recordedAt: r.recorded_at }));
  }

  async countShadow(ruleId: string): Promise<number> {
    return (await this.one<{ n: number }>(`SELECT COUNT(*) AS n FROM shadow_records WHERE rule_id = $1 AND kind = 'fire'`, [ruleId]))?.n ?? 0;
  }

  async gateways(): Promise<GatewayRow[]> {
    const rows = await this.many<{ gateway_id: string; online: number; client_id: string | null; connection_seq: number; since: number; alarm_id: number | null }>('SELECT * FROM gateways');
    return rows.map((r) => ({ gatewayId: r.gateway_id, online: r.online === 1, clientId: r.client_id, connectionSeq: r.connection_seq, since: r.since, alarmId: r.alarm_id }));
  }

  async putGateway(g: GatewayRow): Promise<void> {
    await this.q(`INSERT INTO gateways (gateway_id, online, client_id, connection_seq, since, alarm_id) VALUES ($1, $2, $3, $4, $5, $6)
      ON CONFLICT (gateway_id) DO UPDATE SET online = excluded.online, client_id = excluded.client_id, connection_seq = excluded.connection_seq, since = excluded.since, alarm_id = excluded.alarm_id`,
    [g.gatewayId, g.online ? 1 : 0, g.clientId, g.connectionSeq, g.since, g.alarmId]);
  }

  // --- outbox ---

  async enqueue(eventId: string, sinks: readonly string[], payload: string, now: number): Promise<void> {
    if (sinks.length === 0) return;
    await this.q('INSERT INTO outbox (event_id, sink, payload, created_at) SELECT $1, s, $2, $3 FROM unnest($4::text[]) WITH ORDINALITY AS t(s, n) ORDER BY n', [eventId, payload, now, [...sinks]]);
  }

  /** Rows due (unclaimed, lease over, or this deliverer's own), taken FOR UPDATE SKIP LOCKED so two deliverers never take one row. */
  async claimOutbox(sink: string, limit: number): Promise<OutboxRow[]> {
    // Leases are wall time between machines: the injected clock has no say here.
    const now = Date.now();
    const rows = await this.many<OutboxRow & pg.QueryResultRow>(`UPDATE outbox SET claimed_by = $1, claimed_until = $2 WHERE id IN (
        SELECT id FROM outbox WHERE sink = $3 AND (claimed_until < $4 OR claimed_by = $1) ORDER BY id LIMIT $5 FOR UPDATE SKIP LOCKED)
      RETURNING id, event_id AS "eventId", sink, payload, attempts`, [this.owner, now + this.leaseMs, sink, now, limit]);
    return rows.sort((a, b) => a.id - b.id);
  }

  async delivered(id: number): Promise<void> {
    await this.q('DELETE FROM outbox WHERE id = $1', [id]);
  }

  async deliveryFailed(id: number, error: string): Promise<void> {
    await this.q('UPDATE outbox SET attempts = attempts + 1, last_error = $1, claimed_by = NULL, claimed_until = 0 WHERE id = $2', [error.slice(0, 500), id]);
  }

  async outboxDepth(): Promise<Record<string, number>> {
    const rows = await this.many<{ sink: string; n: number }>('SELECT sink, COUNT(*) AS n FROM outbox GROUP BY sink');
    return Object.fromEntries(rows.map((r) => [r.sink, r.n]));
  }

  // --- rule documents and versions ---

  async ruleDocs(): Promise<RuleDocRow[]> {
    const rows = await this.many<{ id: string; doc: string; version: number; updated_at: number; updated_by: string }>('SELECT id, doc, version, updated_at, updated_by FROM rule_docs ORDER BY id');
    return rows.map((r) => ({ id: r.id, doc: JSON.parse(r.doc) as RuleSpec, version: r.version, updatedAt: r.updated_at, updatedBy: r.updated_by }));
  }

  async putRuleDoc(id: string, doc: RuleSpec, version: number, who: string, now: number): Promise<void> {
    await this.q(`INSERT INTO rule_docs (id, doc, version, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
      ON CONFLICT (id) DO UPDATE SET doc = excluded.doc, version = excluded.version, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    [id, JSON.stringify(doc), version, now, who]);
  }

  async deleteRuleDoc(id: string): Promise<void> {
    await this.q('DELETE FROM rule_docs WHERE id = $1', [id]);
  }

  async latestRuleVersion(ruleId: string): Promise<number> {
    return (await this.one<{ v: number | null }>('SELECT MAX(version) AS v FROM rule_versions WHERE rule_id = $1', [ruleId]))?.v ?? 0;
  }

  async addRuleVersion(v: RuleVersionRow): Promise<void> {
    await this.q('INSERT INTO rule_versions (rule_id, version, action, doc, diff, who, at, note) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
      [v.ruleId, v.version, v.action, v.doc ? JSON.stringify(v.doc) : null, JSON.stringify(v.diff), v.who, v.at, v.note]);
  }

  async ruleVersions(ruleId: string): Promise<RuleVersionRow[]> {
    const rows = await this.many<{ rule_id: string; version: number; action: string; doc: string | null; diff: string; who: string; at: number; note: string | null }>(
      'SELECT * FROM rule_versions WHERE rule_id = $1 ORDER BY version', [ruleId]);
    return rows.map((r) => ({ ruleId: r.rule_id, version: r.version, action: r.action, doc: r.doc ? (JSON.parse(r.doc) as RuleSpec) : null, diff: JSON.parse(r.diff) as unknown, who: r.who, at: r.at, note: r.note }));
  }

  // --- silences ---

  async liveSilences(now: number): Promise<SilenceRecord[]> {
    return (await this.many<SilenceRow>('SELECT * FROM silences WHERE expired_at IS NULL AND ends_at > $1 ORDER BY id', [now])).map(silenceRecordOf);
  }

  async getSilence(id: number): Promise<SilenceRecord | undefined> {
    const row = await this.one<SilenceRow>('SELECT * FROM silences WHERE id = $1', [id]);
    return row && silenceRecordOf(row);
  }

  async listSilences(limit: number): Promise<SilenceRecord[]> {
    return (await this.many<SilenceRow>('SELECT * FROM silences ORDER BY id DESC LIMIT $1', [limit])).map(silenceRecordOf);
  }

  async insertSilence(s: NewSilenceRecord): Promise<number> {
    const row = await this.one<{ id: number }>('INSERT INTO silences (kind, matchers, starts_at, ends_at, reason, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id',
      [s.kind, s.matchers, s.startsAt, s.endsAt, s.reason, s.createdBy, s.createdAt]);
    if (!row) throw new TzError('TZ_INTERNAL', 'rules: an inserted silence was not returned');
    return row.id;
  }

  async expireSilence(id: number, at: number, who: string): Promise<void> {
    await this.q('UPDATE silences SET expired_at = $1, expired_by = $2 WHERE id = $3', [at, who, id]);
  }

  async deleteSilence(id: number): Promise<void> {
    await this.q('DELETE FROM silences WHERE id = $1', [id]);
  }

  // --- checkpoints ---

  /** `relaxed` is ignored: each part commits on its own (autocommit), and a slice here is a round trip, not an fsync on this process's clock. */
  async saveDeviceStates(states: ReadonlyArray<readonly [string, string]>, now: number, _relaxed?: boolean): Promise<void> {
    // One statement per 5,000 devices: a city's checkpoint is a few round trips, not one per device.
    for (let i = 0; i < states.length; i += 5_000) {
      const part = states.slice(i, i + 5_000);
      await this.q(`INSERT INTO device_state (device_id, state, updated_at) SELECT d, s, $3 FROM unnest($1::text[], $2::text[]) AS t(d, s)
        ON CONFLICT (device_id) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`, [part.map((p) => p[0]), part.map((p) => p[1]), now]);
    }
  }

  async deviceState(deviceId: string): Promise<string | undefined> {
    return (await this.one<{ state: string }>('SELECT state FROM device_state WHERE device_id = $1', [deviceId]))?.state;
  }

  async deviceStates(): Promise<DeviceCheckpoint[]> {
    return (await this.many<{ device_id: string; state: string }>('SELECT device_id, state FROM device_state')).map((r) => ({ deviceId: r.device_id, state: r.state }));
  }
}

interface SilenceRow { id: number; kind: string; matchers: string; starts_at: number; ends_at: number; reason: string; created_by: string; created_at: number; expired_at: number | null; expired_by: string | null }
const silenceRecordOf = (r: SilenceRow): SilenceRecord => ({
  id: r.id, kind: r.kind, matchers: r.matchers, startsAt: r.starts_at, endsAt: r.ends_at, reason: r.reason, createdBy: r.created_by, createdAt: r.created_at,
  expiredAt: r.expired_at, expiredBy: r.expired_by,
});

type ResolvedOptions = Required<Omit<PostgresRulesStoreOptions, 'url' | 'log' | 'registry'>> & { log: Logger };

/** The PostgreSQL rules store: statements outside a transaction go to the pool; `transaction` runs steps on one connection. */
export class PostgresRulesStore extends PgRulesParts implements RulesStore {
  readonly kind = 'postgres' as const;
  private closed = false;
  private readonly transactions: PgTransactionContext;

  private constructor(private readonly pool: pg.Pool, private readonly opts: ResolvedOptions, private readonly metrics: StoreMetrics, private readonly ownerId: string) {
    // A single statement on the pool: a lost connection or a server away is TZ_STORE_UNAVAILABLE.
    super(async (sql, values) => {
      if (this.closed) throw new TzError('TZ_STORE_UNAVAILABLE', 'rules: the PostgreSQL rules store is closed');
      try {
        return await pool.query(sql, values);
      } catch (err) {
        if (pgTroubleOf(err)) {
          metrics.unavailable.inc();
          throw unavailable(err);
        }
        throw err;
      }
    }, ownerId, opts.outboxLeaseMs);
    this.transactions = { store: 'rules', pool, log: opts.log, maxRetries: opts.maxRetries, conflictCodes: CONFLICT_CODES, metrics, closed: () => this.closed };
  }

  /** Connects, applies pending migrations (one process at a time, under an advisory lock) and returns the store. */
  static async open(options: PostgresRulesStoreOptions): Promise<PostgresRulesStore> {
    const log = options.log ?? createLogger('rules');
    const opts: ResolvedOptions = {
      poolSize: options.poolSize ?? 10, statementTimeoutMs: options.statementTimeoutMs ?? 10_000, connectTimeoutMs: options.connectTimeoutMs ?? 5_000,
      outboxLeaseMs: options.outboxLeaseMs ?? 30_000, maxRetries: options.maxRetries ?? 8, log,
    };
    const pool = openPgPool({
      url: options.url, store: 'rules', poolSize: opts.poolSize, connectTimeoutMs: opts.connectTimeoutMs, statementTimeoutMs: opts.statementTimeoutMs, schema: SCHEMA, log,
    });
    const store = new PostgresRulesStore(pool, opts, storeMetrics(options.registry), `rules-${randomUUID()}`);
    try {
      await store.migrate();
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw pgTroubleOf(err) ? unavailable(err) : err;
    }
    return store;
  }

  private migrate(): Promise<void> {
    return migratePostgres(this.pool, { lockName: 'tianzhong.rules_migrations', table: 'migrations', migrations: POSTGRES_RULES_MIGRATIONS, setup: `CREATE SCHEMA IF NOT EXISTS ${SCHEMA}` });
  }

  /** This process's name on the outbox rows it claims. */
  get deliverer(): string {
    return this.ownerId;
  }

  /**
   * One transaction (READ COMMITTED; writers of one subject take turns by
   * `lockSubject`). After a conflict, or a lost connection before COMMIT was
   * sent (nothing was committed), `work` runs again from the start. When the
   * connection is lost during COMMIT the outcome is unknown: that, and a server
   * that stays away, is TZ_STORE_UNAVAILABLE (retryable) — the engine then
   * tries the change again, and the unique keys make a committed one a no-op.
   */
  transaction<T>(work: (tx: RulesTx) => Steps<T>): Promise<T> {
    return inPgTransaction(this.transactions, async (query) => runSteps(work(new PgRulesParts(query, this.ownerId, this.opts.outboxLeaseMs))));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
