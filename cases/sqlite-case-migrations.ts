// The SQLite case store's schema as numbered migrations, recorded in
// `case_migrations`: add, never edit. postgres-case-migrations.ts keeps
// PostgreSQL's version n equal to this version n.

export const SQLITE_CASE_MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
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
