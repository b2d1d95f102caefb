import { renderMigrations, type SchemaMigration } from '../service-kit/index.ts';

// The registry's schema as numbered migrations, written once and rendered for
// SQLite (store.ts, recorded in `registry_migrations`) and PostgreSQL
// (postgres-store.ts, schema `tz_registry`, recorded in `migrations`). Add,
// never edit. One row mapping (rows.ts) reads both: times ISO-8601 text, JSON
// text, flags 0/1 integers, sealed LoRa keys bytes (AES-256-GCM, never plain).
// registry-schema.test.ts holds the rendered DDL to the schema the
// hand-written SQL of version 1 produced in each database.

const key = { type: 'text', primaryKey: true } as const;
const text = { type: 'text' } as const;
const textNotNull = { type: 'text', notNull: true } as const;
const real = { type: 'real' } as const;
const tags = { type: 'text', notNull: true, default: '[]' } as const;
const place = { lat: real, lon: real, address: text, district: text } as const;

export const REGISTRY_SCHEMA: readonly SchemaMigration[] = [
  {
    version: 1,
    name: 'devices, lifecycle history, assets, gateways, revision counter',
    steps: [
      { createTable: 'registry_meta', table: { columns: { key, value: { type: 'bigint', notNull: true } } } },
      { insertInto: 'registry_meta', row: { key: 'revision', value: 0 } },
      {
        createTable: 'devices',
        table: {
          columns: {
            id: key,
            class: textNotNull,
            gateway_id: textNotNull,
            transport: text,
            lora_keys: { type: 'bytes' },
            poll_interval_s: { type: 'integer' },
            deadbands: { type: 'text', notNull: true, default: '{}' },
            ...place,
            grid_cell: text,
            asset_id: text,
            vendor: text,
            model: text,
            serial: text,
            firmware: text,
            installed_on: text,
            state: textNotNull,
            tags,
            created_at: textNotNull,
            updated_at: textNotNull,
            last_reported_at: text,
            revision: { type: 'bigint', notNull: true },
          },
        },
      },
      ...(['gateway_id', 'class', 'district', 'grid_cell', 'state', 'asset_id', 'revision'] as const).map((column) => ({
        createIndex: `devices_${column === 'gateway_id' ? 'gateway' : column === 'grid_cell' ? 'grid' : column === 'asset_id' ? 'asset' : column}`,
        index: { table: 'devices', columns: [column] },
      })),
      {
        createTable: 'device_history',
        table: {
          columns: { id: { type: 'serial' }, device_id: textNotNull, from_state: text, to_state: textNotNull, by: textNotNull, at: textNotNull, note: text },
        },
      },
      { createIndex: 'device_history_device', index: { table: 'device_history', columns: ['device_id', 'id'] } },
      {
        createTable: 'assets',
        table: {
          columns: { id: key, kind: textNotNull, name: text, parent_asset_id: text, ...place, grid_cell: text, state: textNotNull, tags, created_at: textNotNull, updated_at: textNotNull },
        },
      },
      { createIndex: 'assets_parent', index: { table: 'assets', columns: ['parent_asset_id'] } },
      { createIndex: 'assets_kind', index: { table: 'assets', columns: ['kind'] } },
      {
        createTable: 'gateways',
        table: {
          columns: {
            id: key,
            name: text,
            ...place,
            auto_accept: { type: 'integer', notNull: true, default: 0 },
            reported_config_version: { type: 'integer' },
            state: textNotNull,
            tags,
            created_at: textNotNull,
            updated_at: textNotNull,
          },
        },
      },
    ],
  },
];

export const SQLITE_REGISTRY_MIGRATIONS = renderMigrations(REGISTRY_SCHEMA, 'sqlite');
export const POSTGRES_REGISTRY_MIGRATIONS = renderMigrations(REGISTRY_SCHEMA, 'postgres');
