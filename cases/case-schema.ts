import { renderMigrations, type SchemaMigration } from '../service-kit/index.ts';

// The case store's schema as numbered migrations, written once and rendered
// for SQLite (sqlite-case-store.ts) and PostgreSQL (postgres-case-store.ts);
// each records them in `case_migrations`. Add, never edit: a database at
// version n is not migrated again. Times are ms since epoch (bigint), JSON
// documents text. case-schema.test.ts holds the rendered DDL to the schema the
// hand-written SQL of versions 1–2 produced in each database.

const text = { type: 'text' } as const;
const textNotNull = { type: 'text', notNull: true } as const;
const ms = { type: 'bigint' } as const;
const msNotNull = { type: 'bigint', notNull: true } as const;
const counter = (initial: number) => ({ type: 'integer', notNull: true, default: initial }) as const;
const caseRef = { type: 'bigint', notNull: true, references: { table: 'cases', column: 'id' } } as const;

export const CASE_SCHEMA: readonly SchemaMigration[] = [
  {
    version: 1,
    name: 'cases, audit trail, alarm links, photos, crews, outbox',
    steps: [
      {
        createTable: 'cases',
        table: {
          columns: {
            id: { type: 'serial' },
            status: textNotNull,
            category: textNotNull,
            department: textNotNull,
            priority: textNotNull,
            title: textNotNull,
            description: textNotNull,
            source: textNotNull,
            asset_id: text,
            incident_id: text,
            gateway_id: text,
            district: text,
            grid_cell: text,
            lat: { type: 'real' },
            long: { type: 'real' },
            address: text,
            crew_id: text,
            dispatch_due_at: ms,
            handle_due_at: ms,
            verify_due_at: ms,
            due_at: ms,
            escalation_level: counter(0),
            overdue_stage: text,
            rework_count: counter(0),
            cleared_before_dispatch: { type: 'flag', notNull: true, default: false },
            open311_token: { type: 'text', unique: true },
            reporter: text,
            media_url: text,
            created_at: msNotNull,
            updated_at: msNotNull,
            closed_at: ms,
            version: counter(1),
          },
        },
      },
      { createIndex: 'cases_status', index: { table: 'cases', columns: ['status', 'id'] } },
      { createIndex: 'cases_asset', index: { table: 'cases', columns: ['asset_id', 'status'] } },
      { createIndex: 'cases_incident', index: { table: 'cases', columns: ['incident_id', 'status'] } },
      { createIndex: 'cases_crew', index: { table: 'cases', columns: ['crew_id', 'status'] } },
      { createIndex: 'cases_created', index: { table: 'cases', columns: ['created_at'] } },
      {
        createTable: 'case_events',
        table: {
          columns: {
            id: { type: 'serial' },
            case_id: caseRef,
            at: msNotNull,
            who: textNotNull,
            action: textNotNull,
            from_status: text,
            to_status: text,
            note: text,
            detail: textNotNull,
          },
        },
      },
      { createIndex: 'case_events_case', index: { table: 'case_events', columns: ['case_id', 'id'] } },
      {
        createTable: 'case_alarms',
        table: {
          columns: {
            alarm_id: { type: 'text', primaryKey: true },
            case_id: caseRef,
            rule_id: textNotNull,
            state: textNotNull,
            linked_at: msNotNull,
            updated_at: msNotNull,
          },
        },
      },
      { createIndex: 'case_alarms_case', index: { table: 'case_alarms', columns: ['case_id'] } },
      { createTable: 'alarm_events_seen', table: { columns: { event_id: { type: 'text', primaryKey: true }, at: msNotNull } } },
      { createIndex: 'alarm_events_seen_at', index: { table: 'alarm_events_seen', columns: ['at'] } },
      {
        createTable: 'case_photos',
        table: {
          columns: {
            id: { type: 'text', primaryKey: true },
            case_id: caseRef,
            file: textNotNull,
            mime: textNotNull,
            size: { type: 'bigint', notNull: true },
            sha256: textNotNull,
            uploaded_by: textNotNull,
            at: msNotNull,
          },
        },
      },
      { createIndex: 'case_photos_case', index: { table: 'case_photos', columns: ['case_id'] } },
      {
        createTable: 'crews',
        table: {
          columns: {
            id: { type: 'text', primaryKey: true },
            name: textNotNull,
            department: textNotNull,
            districts: textNotNull,
            grid_cells: textNotNull,
            skills: textNotNull,
            webhook_url: text,
            active: { type: 'flag', notNull: true },
          },
        },
      },
      {
        createTable: 'case_outbox',
        table: {
          columns: {
            id: { type: 'serial' },
            case_id: { type: 'bigint', notNull: true },
            channel: textNotNull,
            target: textNotNull,
            payload: textNotNull,
            state: { type: 'text', notNull: true, oneOf: ['pending', 'delivered', 'dead'] },
            attempts: counter(0),
            next_attempt_at: msNotNull,
            created_at: msNotNull,
            delivered_at: ms,
            last_error: text,
          },
        },
      },
      { createIndex: 'case_outbox_due', index: { table: 'case_outbox', columns: ['state', 'next_attempt_at'] } },
    ],
  },
  {
    version: 2,
    name: 'alert subscriptions; outbox idempotency keys (event x subscription)',
    steps: [
      { addColumn: 'dedup_key', table: 'case_outbox', column: text },
      { addColumn: 'subscription_id', table: 'case_outbox', column: text },
      { createIndex: 'case_outbox_dedup', index: { table: 'case_outbox', columns: ['dedup_key'], unique: true, where: 'dedup_key IS NOT NULL' } },
      {
        createTable: 'alert_subscriptions',
        table: {
          columns: {
            id: { type: 'text', primaryKey: true },
            doc: textNotNull,
            source: { type: 'text', notNull: true, oneOf: ['config', 'api'] },
            created_at: msNotNull,
            updated_at: msNotNull,
          },
        },
      },
    ],
  },
];

export const SQLITE_CASE_MIGRATIONS = renderMigrations(CASE_SCHEMA, 'sqlite');
export const POSTGRES_CASE_MIGRATIONS = renderMigrations(CASE_SCHEMA, 'postgres');
