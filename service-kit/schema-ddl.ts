// One schema description, two SQL dialects: a store that runs on SQLite and on
// PostgreSQL describes each numbered migration once (tables, columns in a
// portable type vocabulary, indexes, unique and check constraints) and renders
// the DDL for the database it opens, so the two can never drift apart.

export type SqlDialect = 'sqlite' | 'postgres';

/**
 * The portable column types. `serial`: an auto-numbered primary key;
 * `bigint`: ms timestamps, ids, sizes (INTEGER in SQLite, whose integers are
 * 64-bit anyway); `flag`: true/false (SQLite has no BOOLEAN: 0/1); `bytes`:
 * opaque binary (sealed keys).
 */
export type PortableType = 'serial' | 'text' | 'integer' | 'bigint' | 'real' | 'flag' | 'bytes';

export interface ColumnSpec {
  type: PortableType;
  primaryKey?: boolean;
  notNull?: boolean;
  default?: string | number | boolean;
  unique?: boolean;
  /** CHECK (column IN (…)): the values the column may hold. */
  oneOf?: readonly string[];
  /** REFERENCES table (column). */
  references?: { table: string; column: string };
}

export interface TableSpec {
  /** In order; the order is the table's column order. */
  columns: Readonly<Record<string, ColumnSpec>>;
  /** A primary key over several columns. */
  primaryKey?: readonly string[];
}

export interface IndexSpec {
  table: string;
  columns: readonly string[];
  unique?: boolean;
  /** A partial index's condition, SQL both dialects read alike (IS NOT NULL, IN (…)). */
  where?: string;
}

/** One DDL statement of a migration, in the order written. */
export type SchemaStep =
  | { createTable: string; table: TableSpec; comment?: string }
  | { createIndex: string; index: IndexSpec; comment?: string }
  | { addColumn: string; table: string; column: ColumnSpec; comment?: string }
  /** A seed row (e.g. a counter starting at 0): text and numbers only, written alike in both dialects. */
  | { insertInto: string; row: Readonly<Record<string, string | number>>; comment?: string };

export interface SchemaMigration {
  version: number;
  name: string;
  steps: readonly SchemaStep[];
}

const TYPES: Record<SqlDialect, Record<Exclude<PortableType, 'serial'>, string>> = {
  sqlite: { text: 'TEXT', integer: 'INTEGER', bigint: 'INTEGER', real: 'REAL', flag: 'INTEGER', bytes: 'BLOB' },
  postgres: { text: 'TEXT', integer: 'INTEGER', bigint: 'BIGINT', real: 'DOUBLE PRECISION', flag: 'BOOLEAN', bytes: 'BYTEA' },
};

const SERIAL: Record<SqlDialect, string> = {
  sqlite: 'INTEGER PRIMARY KEY AUTOINCREMENT',
  postgres: 'BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY',
};

const IDENTIFIER = /^[a-z_][a-z0-9_]*$/;

function name(id: string): string {
  if (!IDENTIFIER.test(id)) throw new Error(`schema: bad identifier ${JSON.stringify(id)}`);
  return id;
}

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

function literal(value: string | number | boolean, type: PortableType, dialect: SqlDialect): string {
  if (typeof value === 'boolean') {
    if (type !== 'flag') throw new Error(`schema: a ${type} column cannot default to ${value}`);
    return dialect === 'postgres' ? (value ? 'TRUE' : 'FALSE') : value ? '1' : '0';
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`schema: default ${value} is not a finite number`);
    return String(value);
  }
  return quote(value);
}

/** `name TYPE [PRIMARY KEY] [NOT NULL] [DEFAULT v] [UNIQUE] [CHECK (…)] [REFERENCES t (c)]`. */
export function renderColumn(column: string, spec: ColumnSpec, dialect: SqlDialect): string {
  const parts = [name(column)];
  if (spec.type === 'serial') {
    parts.push(SERIAL[dialect]);
  } else {
    parts.push(TYPES[dialect][spec.type]);
    if (spec.primaryKey) parts.push('PRIMARY KEY');
  }
  if (spec.notNull) parts.push('NOT NULL');
  if (spec.default !== undefined) parts.push(`DEFAULT ${literal(spec.default, spec.type, dialect)}`);
  if (spec.unique) parts.push('UNIQUE');
  if (spec.oneOf) parts.push(`CHECK (${name(column)} IN (${spec.oneOf.map(quote).join(', ')}))`);
  if (spec.references) parts.push(`REFERENCES ${name(spec.references.table)} (${name(spec.references.column)})`);
  return parts.join(' ');
}

function renderStep(step: SchemaStep, dialect: SqlDialect): string {
  const comment = step.comment ? `-- ${step.comment}\n` : '';
  if ('createTable' in step) {
    const lines = Object.entries(step.table.columns).map(([column, spec]) => renderColumn(column, spec, dialect));
    if (step.table.primaryKey) lines.push(`PRIMARY KEY (${step.table.primaryKey.map(name).join(', ')})`);
    return `${comment}CREATE TABLE ${name(step.createTable)} (\n  ${lines.join(',\n  ')}\n);`;
  }
  if ('createIndex' in step) {
    const { table, columns, unique, where } = step.index;
    return `${comment}CREATE ${unique ? 'UNIQUE ' : ''}INDEX ${name(step.createIndex)} ON ${name(table)} (${columns.map(name).join(', ')})${where ? ` WHERE ${where}` : ''};`;
  }
  if ('insertInto' in step) {
    const columns = Object.keys(step.row).map(name);
    const values = Object.values(step.row).map((v) => (typeof v === 'number' ? literal(v, 'bigint', dialect) : quote(v)));
    return `${comment}INSERT INTO ${name(step.insertInto)} (${columns.join(', ')}) VALUES (${values.join(', ')});`;
  }
  return `${comment}ALTER TABLE ${name(step.table)} ADD COLUMN ${renderColumn(step.addColumn, step.column, dialect)};`;
}

/** The DDL of one migration's steps in one dialect. */
export function renderSchemaSteps(steps: readonly SchemaStep[], dialect: SqlDialect): string {
  return steps.map((s) => renderStep(s, dialect)).join('\n');
}

/** Numbered migrations as the SQL the migration runners (migrateSqlite, migratePostgres) apply. */
export function renderMigrations(migrations: readonly SchemaMigration[], dialect: SqlDialect): { version: number; name: string; sql: string }[] {
  return migrations.map((m) => ({ version: m.version, name: m.name, sql: renderSchemaSteps(m.steps, dialect) }));
}
