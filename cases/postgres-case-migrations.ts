import type { PgMigration } from '../service-kit/postgres.ts';

// Numbered schema migrations of the PostgreSQL case store, recorded in
// `case_migrations`; add, never edit. Version n here holds the same tables as
// version n of the SQLite store (sqlite-case-store.ts), so the two stay in step.
// Times are ms since epoch (BIGINT), JSON documents are TEXT as in SQLite.

export const POSTGRES_CASE_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'cases, audit trail, alarm links, photos, crews, outbox',
    sql: `
      CREATE TABLE cases (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
        lat DOUBLE PRECISION,
        long DOUBLE PRECISION,
        address TEXT,
        crew_id TEXT,
        dispatch_due_at BIGINT,
        handle_due_at BIGINT,
        verify_due_at BIGINT,
        due_at BIGINT,
        escalation_level INTEGER NOT NULL DEFAULT 0,
        overdue_stage TEXT,
        rework_count INTEGER NOT NULL DEFAULT 0,
        cleared_before_dispatch BOOLEAN NOT NULL DEFAULT FALSE,
        open311_token TEXT UNIQUE,
        reporter TEXT,
        media_url TEXT,
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL,
        closed_at BIGINT,
        version INTEGER NOT NULL DEFAULT 1
      );
      CREATE INDEX cases_status ON cases (status, id);
      CREATE INDEX cases_asset ON cases (asset_id, status);
      CREATE INDEX cases_incident ON cases (incident_id, status);
      CREATE INDEX cases_crew ON cases (crew_id, status);
      CREATE INDEX cases_created ON cases (created_at);
      CREATE TABLE case_events (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        case_id BIGINT NOT NULL REFERENCES cases (id),
        at BIGINT NOT NULL,
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
        case_id BIGINT NOT NULL REFERENCES cases (id),
        rule_id TEXT NOT NULL,
        state TEXT NOT NULL,
        linked_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
      CREATE INDEX case_alarms_case ON case_alarms (case_id);
      CREATE TABLE alarm_events_seen (
        event_id TEXT PRIMARY KEY,
        at BIGINT NOT NULL
      );
      CREATE INDEX alarm_events_seen_at ON alarm_events_seen (at);
      CREATE TABLE case_photos (
        id TEXT PRIMARY KEY,
        case_id BIGINT NOT NULL REFERENCES cases (id),
        file TEXT NOT NULL,
        mime TEXT NOT NULL,
        size BIGINT NOT NULL,
        sha256 TEXT NOT NULL,
        uploaded_by TEXT NOT NULL,
        at BIGINT NOT NULL
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
        active BOOLEAN NOT NULL
      );
      CREATE TABLE case_outbox (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        case_id BIGINT NOT NULL,
        channel TEXT NOT NULL,
        target TEXT NOT NULL,
        payload TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at BIGINT NOT NULL,
        created_at BIGINT NOT NULL,
        delivered_at BIGINT,
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
        created_at BIGINT NOT NULL,
        updated_at BIGINT NOT NULL
      );
    `,
  },
];
