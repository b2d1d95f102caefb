import { migrateSqlite } from '../service-kit/index.ts';
import type Database from 'better-sqlite3';

// Schema changes are numbered migrations recorded in `registry_migrations`;
// add a new one, never edit an applied one.

export const MIGRATIONS: ReadonlyArray<{ version: number; name: string; sql: string }> = [
  {
    version: 1,
    name: 'devices, lifecycle history, assets, gateways, revision counter',
    sql: `
      CREATE TABLE registry_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
      INSERT INTO registry_meta (key, value) VALUES ('revision', 0);
      CREATE TABLE devices (
        id TEXT PRIMARY KEY,
        class TEXT NOT NULL,
        gateway_id TEXT NOT NULL,
        transport TEXT,
        lora_keys BLOB,
        poll_interval_s INTEGER,
        deadbands TEXT NOT NULL DEFAULT '{}',
        lat REAL,
        lon REAL,
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
        revision INTEGER NOT NULL
      );
      CREATE INDEX devices_gateway ON devices (gateway_id);
      CREATE INDEX devices_class ON devices (class);
      CREATE INDEX devices_district ON devices (district);
      CREATE INDEX devices_grid ON devices (grid_cell);
      CREATE INDEX devices_state ON devices (state);
      CREATE INDEX devices_asset ON devices (asset_id);
      CREATE INDEX devices_revision ON devices (revision);
      CREATE TABLE device_history (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
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
        lat REAL,
        lon REAL,
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
        lat REAL,
        lon REAL,
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

/** Applies the registry's steps with the one migration runner (service-kit). */
export function migrate(db: Database.Database, now: () => number): void {
  migrateSqlite(db, 'registry_migrations', MIGRATIONS, now);
}
