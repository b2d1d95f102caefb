import type { PgMigration } from '../service-kit/postgres.ts';

// Numbered schema migrations of the PostgreSQL registry store, in the schema
// `tz_registry` (the case and rules stores may share the database), recorded
// in `tz_registry.migrations`; add, never edit. Version 1 holds what version 1
// of the SQLite store holds (migrations.ts), column for column, so one row
// mapping (rows.ts) reads both: times ISO-8601 TEXT, JSON TEXT, flags 0/1,
// sealed LoRa keys BYTEA (AES-256-GCM, never plain).

export const POSTGRES_REGISTRY_MIGRATIONS: readonly PgMigration[] = [
  {
    version: 1,
    name: 'devices, lifecycle history, assets, gateways, revision counter',
    sql: `
      CREATE TABLE registry_meta (key TEXT PRIMARY KEY, value BIGINT NOT NULL);
      INSERT INTO registry_meta (key, value) VALUES ('revision', 0);
      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        class TEXT NOT NULL,
        gateway_id TEXT NOT NULL,
        transport TEXT,
        lora_keys BYTEA,
        poll_interval_s INTEGER,
        deadbands TEXT NOT NULL DEFAULT '{}',
        lat DOUBLE PRECISION,
        lon DOUBLE PRECISION,
        address TEXT,
        district TEXT,
        grid_cell TEXT,
        asset_id TEXT,
        vendor TEXT,
        model TEXT,
        serial TEXT,
        firmware TEXT,
        installed_on TEXT,
        state TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        last_reported_at TEXT,
        revision BIGINT NOT NULL
      );
      CREATE INDEX devices_gateway ON devices (gateway_id);
      CREATE INDEX devices_class ON devices (class);
      CREATE INDEX devices_district ON devices (district);
      CREATE INDEX devices_grid ON devices (grid_cell);
      CREATE INDEX devices_state ON devices (state);
      CREATE INDEX devices_asset ON devices (asset_id);
      CREATE INDEX devices_revision ON devices (revision);
      CREATE TABLE device_history (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        device_id TEXT NOT NULL,
        from_state TEXT,
        to_state TEXT NOT NULL,
        by TEXT NOT NULL,
        at TEXT NOT NULL,
        note TEXT
      );
      CREATE INDEX device_history_device ON device_history (device_id, id);
      CREATE TABLE assets (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        name TEXT,
        parent_asset_id TEXT,
        lat DOUBLE PRECISION,
        lon DOUBLE PRECISION,
        address TEXT,
        district TEXT,
        grid_cell TEXT,
        state TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
      CREATE INDEX assets_parent ON assets (parent_asset_id);
      CREATE INDEX assets_kind ON assets (kind);
      CREATE TABLE gateways (
        id TEXT PRIMARY KEY,
        name TEXT,
        lat DOUBLE PRECISION,
        lon DOUBLE PRECISION,
        address TEXT,
        district TEXT,
        auto_accept INTEGER NOT NULL DEFAULT 0,
        reported_config_version INTEGER,
        state TEXT NOT NULL,
        tags TEXT NOT NULL DEFAULT '[]',
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      );
    `,
  },
];
