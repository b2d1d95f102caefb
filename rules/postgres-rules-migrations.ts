import type { PgMigration } from '../service-kit/postgres.ts';

// Numbered schema migrations of the PostgreSQL rules store, in the schema
// `tz_rules` (the case store may share the database), recorded in
// `tz_rules.migrations`; add, never edit. Version 1 holds what versions 1–4 of
// the SQLite store hold (sqlite-store.ts), with two additions for several
// rules services on one database: outbox rows are claimed (`claimed_by`,
// `claimed_until`), and an alarm is unique per (rule, device, raising reading).
// Times are ms since epoch (BIGINT), JSON documents TEXT, flags 0/1 as in SQLite.

export const POSTGRES_RULES_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'alarms, incidents, outbox, rule documents and versions, checkpoints, shadow records, gateways, silences',
    sql: `
      CREATE TABLE alarms (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        rule_id TEXT NOT NULL, rule_name TEXT NOT NULL, severity TEXT NOT NULL, base_severity TEXT NOT NULL,
        device_id TEXT NOT NULL, gateway_id TEXT NOT NULL, district TEXT NOT NULL, profile TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('active', 'acknowledged', 'cleared', 'closed')),
        count INTEGER NOT NULL, raised_at BIGINT NOT NULL, last_seen_at BIGINT NOT NULL,
        acknowledged_at BIGINT, acknowledged_by TEXT, ack_note TEXT, cleared_at BIGINT, cleared_by TEXT,
        closed_at BIGINT, closed_by TEXT, close_note TEXT, case_id TEXT,
        incident_id BIGINT, suppressed_by BIGINT, silenced_by BIGINT,
        flapping INTEGER NOT NULL DEFAULT 0, escalation_level INTEGER NOT NULL DEFAULT 0, no_data INTEGER NOT NULL DEFAULT 0,
        case_spec TEXT, escalate TEXT NOT NULL DEFAULT '[]', last_values TEXT NOT NULL, evidence TEXT NOT NULL,
        created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL
      );
      -- One open alarm per (rule, device), enforced by the database too.
      CREATE UNIQUE INDEX alarms_one_open ON alarms (rule_id, device_id) WHERE state IN ('active', 'acknowledged');
      -- A reading raises at most one alarm, however often it is delivered and whichever rules service gets it.
      CREATE UNIQUE INDEX alarms_raised_once ON alarms (rule_id, device_id, raised_at);
      CREATE INDEX alarms_device ON alarms (device_id, id);
      CREATE INDEX alarms_state ON alarms (state, id);
      CREATE INDEX alarms_rule ON alarms (rule_id, id);
      CREATE INDEX alarms_incident ON alarms (incident_id) WHERE incident_id IS NOT NULL;
      CREATE INDEX alarms_suppressed ON alarms (suppressed_by) WHERE suppressed_by IS NOT NULL;
      CREATE INDEX alarms_silenced ON alarms (silenced_by) WHERE silenced_by IS NOT NULL;
      CREATE TABLE incidents (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, asset_id TEXT NOT NULL, opened_at BIGINT NOT NULL, closed_at BIGINT);
      CREATE UNIQUE INDEX incidents_one_open ON incidents (asset_id) WHERE closed_at IS NULL;
      -- At-least-once delivery: one row per (event, sink), written in the alarm change's transaction,
      -- claimed by one deliverer at a time (a lease: a dead deliverer's rows are due again when it ends).
      CREATE TABLE outbox (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, event_id TEXT NOT NULL, sink TEXT NOT NULL, payload TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at BIGINT NOT NULL, claimed_by TEXT, claimed_until BIGINT NOT NULL DEFAULT 0
      );
      CREATE INDEX outbox_sink ON outbox (sink, id);
      CREATE TABLE rule_docs (id TEXT PRIMARY KEY, doc TEXT NOT NULL, version INTEGER NOT NULL, updated_at BIGINT NOT NULL, updated_by TEXT NOT NULL);
      CREATE TABLE rule_versions (rule_id TEXT NOT NULL, version INTEGER NOT NULL, action TEXT NOT NULL, doc TEXT, diff TEXT NOT NULL,
        who TEXT NOT NULL, at BIGINT NOT NULL, note TEXT, PRIMARY KEY (rule_id, version));
      CREATE TABLE device_state (device_id TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at BIGINT NOT NULL);
      CREATE TABLE shadow_records (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, rule_id TEXT NOT NULL, device_id TEXT NOT NULL, kind TEXT NOT NULL,
        at BIGINT NOT NULL, severity TEXT NOT NULL, values_json TEXT NOT NULL, recorded_at BIGINT NOT NULL);
      CREATE INDEX shadow_rule ON shadow_records (rule_id, id);
      CREATE TABLE gateways (gateway_id TEXT PRIMARY KEY, online INTEGER NOT NULL, client_id TEXT, connection_seq BIGINT NOT NULL DEFAULT 0,
        since BIGINT NOT NULL, alarm_id BIGINT);
      CREATE TABLE silences (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, kind TEXT NOT NULL CHECK (kind IN ('silence', 'maintenance')),
        matchers TEXT NOT NULL, starts_at BIGINT NOT NULL, ends_at BIGINT NOT NULL, reason TEXT NOT NULL,
        created_by TEXT NOT NULL, created_at BIGINT NOT NULL, expired_at BIGINT, expired_by TEXT);
      CREATE INDEX silences_ends ON silences (ends_at);
    `,
  },
];
