import type Database from 'better-sqlite3';
import type pg from 'pg';

// What a migrated database holds, read back from the database itself, so a
// test can hold two ways of writing a schema (literal SQL, rendered DDL)
// equal: tables with their columns, indexes and constraints, sorted by name.

export interface SchemaOf {
  tables: Record<string, unknown>;
  indexes: Record<string, unknown>;
}

/** SQLite: each table's columns (pragma table_info), foreign keys and CREATE text (white space folded); each index's CREATE text. */
export function sqliteSchemaOf(db: Database.Database): SchemaOf {
  const fold = (sql: string | null) => (sql ?? '').replace(/\s+/g, ' ').replace(/\( /g, '(').replace(/ \)/g, ')').trim();
  const objects = db.prepare<[], { type: string; name: string; tbl_name: string; sql: string | null }>(
    "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name",
  ).all();
  const tables: Record<string, unknown> = {};
  const indexes: Record<string, unknown> = {};
  for (const o of objects) {
    if (o.type === 'table') {
      tables[o.name] = {
        columns: db.pragma(`table_info(${o.name})`),
        foreignKeys: db.pragma(`foreign_key_list(${o.name})`),
        sql: fold(o.sql),
      };
    } else if (o.type === 'index') {
      indexes[o.name] = { table: o.tbl_name, sql: fold(o.sql) };
    }
  }
  return { tables, indexes };
}

/** PostgreSQL: each table's columns (information_schema), constraints and indexes as the server itself prints them. */
export async function postgresSchemaOf(client: pg.Pool | pg.Client, schema = 'public'): Promise<SchemaOf> {
  const columns = await client.query<Record<string, unknown> & { table_name: string }>(
    `SELECT table_name, column_name, ordinal_position, data_type, is_nullable, column_default, is_identity, identity_generation
       FROM information_schema.columns WHERE table_schema = $1 ORDER BY table_name, ordinal_position`, [schema],
  );
  const constraints = await client.query<{ table_name: string; conname: string; def: string }>(
    `SELECT c.relname AS table_name, k.conname, pg_get_constraintdef(k.oid) AS def
       FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 ORDER BY c.relname, k.conname`, [schema],
  );
  const indexRows = await client.query<{ tablename: string; indexname: string; indexdef: string }>(
    'SELECT tablename, indexname, indexdef FROM pg_indexes WHERE schemaname = $1 ORDER BY indexname', [schema],
  );
  const tables: Record<string, { columns: unknown[]; constraints: Record<string, string> }> = {};
  const tableOf = (name: string) => (tables[name] ??= { columns: [], constraints: {} });
  for (const { table_name, ...column } of columns.rows) tableOf(table_name).columns.push(column);
  for (const k of constraints.rows) tableOf(k.table_name).constraints[k.conname] = k.def;
  const indexes: Record<string, unknown> = {};
  for (const i of indexRows.rows) indexes[i.indexname] = { table: i.tablename, sql: i.indexdef };
  return { tables, indexes };
}
