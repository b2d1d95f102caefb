import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { renderColumn, renderSchemaSteps, type ColumnSpec, type SqlDialect } from '../schema-ddl.ts';

const columns: Array<[string, ColumnSpec, Record<SqlDialect, string>]> = [
  ['id', { type: 'serial' }, { sqlite: 'id INTEGER PRIMARY KEY AUTOINCREMENT', postgres: 'id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY' }],
  ['at', { type: 'bigint', notNull: true }, { sqlite: 'at INTEGER NOT NULL', postgres: 'at BIGINT NOT NULL' }],
  ['lat', { type: 'real' }, { sqlite: 'lat REAL', postgres: 'lat DOUBLE PRECISION' }],
  ['on', { type: 'flag', notNull: true, default: true }, { sqlite: 'on INTEGER NOT NULL DEFAULT 1', postgres: 'on BOOLEAN NOT NULL DEFAULT TRUE' }],
  ['n', { type: 'integer', notNull: true, default: 0 }, { sqlite: 'n INTEGER NOT NULL DEFAULT 0', postgres: 'n INTEGER NOT NULL DEFAULT 0' }],
  ['doc', { type: 'text', notNull: true, default: "it's" }, { sqlite: "doc TEXT NOT NULL DEFAULT 'it''s'", postgres: "doc TEXT NOT NULL DEFAULT 'it''s'" }],
  ['k', { type: 'text', primaryKey: true }, { sqlite: 'k TEXT PRIMARY KEY', postgres: 'k TEXT PRIMARY KEY' }],
  ['t', { type: 'text', unique: true }, { sqlite: 't TEXT UNIQUE', postgres: 't TEXT UNIQUE' }],
  ['s', { type: 'text', oneOf: ['a', 'b'] }, { sqlite: "s TEXT CHECK (s IN ('a', 'b'))", postgres: "s TEXT CHECK (s IN ('a', 'b'))" }],
  ['c', { type: 'bigint', references: { table: 'cases', column: 'id' } }, { sqlite: 'c INTEGER REFERENCES cases (id)', postgres: 'c BIGINT REFERENCES cases (id)' }],
];

for (const [name, spec, expected] of columns) {
  test(`column ${name} (${spec.type}) in both dialects`, () => {
    assert.is(renderColumn(name, spec, 'sqlite'), expected.sqlite);
    assert.is(renderColumn(name, spec, 'postgres'), expected.postgres);
  });
}

test('steps: a table with a composite key, a partial unique index, an added column, comments', () => {
  const sql = renderSchemaSteps([
    { createTable: 'versions', table: { columns: { rule_id: { type: 'text', notNull: true }, version: { type: 'integer', notNull: true } }, primaryKey: ['rule_id', 'version'] } },
    { createIndex: 'one_open', index: { table: 'versions', columns: ['rule_id'], unique: true, where: "state IN ('active')" }, comment: 'one open per rule' },
    { addColumn: 'note', table: 'versions', column: { type: 'text' } },
  ], 'postgres');
  assert.is(sql, [
    'CREATE TABLE versions (',
    '  rule_id TEXT NOT NULL,',
    '  version INTEGER NOT NULL,',
    '  PRIMARY KEY (rule_id, version)',
    ');',
    '-- one open per rule',
    "CREATE UNIQUE INDEX one_open ON versions (rule_id) WHERE state IN ('active');",
    'ALTER TABLE versions ADD COLUMN note TEXT;',
  ].join('\n'));
});

test('refuses what would render wrong SQL: odd identifiers, a boolean default on a non-flag', () => {
  assert.throws(() => renderColumn('drop table x', { type: 'text' }, 'sqlite'), /bad identifier/);
  assert.throws(() => renderColumn('n', { type: 'integer', default: true }, 'postgres'), /cannot default/);
  assert.throws(() => renderSchemaSteps([{ createIndex: 'i', index: { table: 't', columns: ['a;b'] } }], 'sqlite'), /bad identifier/);
});

test.run();
