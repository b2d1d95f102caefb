// Backup and restore of the stores kept in PostgreSQL (issue 20): a case store
// written to a real server is dumped with pg_dump into the backup folder
// (checksummed in the manifest, no password in it), restored onto a database
// of another name as a fresh machine would have it, and its cases, events and
// outbox counted; a restore onto a database that holds tables is refused
// unless forced, and a damaged dump restores nothing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, readdirSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { isTzError } from '../../service-kit/index.ts';
import { PostgresCaseStore } from '../../cases/postgres-case-store.ts';
import { sampleCase } from '../../cases/test/case-store.suite.ts';
import { PostgresSource, plainProgress, readManifest, runBackup, runRestore, stackBackupSources } from '../../cli/backup/index.ts';
import { startPostgres, tempDir, type TestPostgres } from './helpers.ts';

let server: TestPostgres;
let dir: { path: string; remove(): void };

test.before(async () => {
  server = await startPostgres();
  dir = tempDir('tz-backup-pg-');
});
test.after(async () => {
  await server?.stop();
  dir?.remove();
});

async function count(url: string, table: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n);
  } finally {
    await client.end();
  }
}

test('postgres backup: cases dumped, restored onto a fresh database, counted; a used target refused; a damaged dump restores nothing', async () => {
  const source = await server.createDatabase('tz_city');
  const store = await PostgresCaseStore.open({ url: source });
  try {
    for (let i = 0; i < 25; i++) {
      await store.atomically(async (tx) => {
        const c = await tx.insertCase(sampleCase({ assetId: `mc-${i}` }), 1_000 + i);
        await tx.appendEvent({ caseId: c.id, at: 1_000 + i, who: 'operator:test', action: 'register', fromStatus: null, toStatus: c.status, note: `case ${i}`, detail: {} });
      });
    }
  } finally {
    await store.close();
  }
  const before = { cases: await count(source, 'cases'), events: await count(source, 'case_events') };
  assert.is(before.cases, 25);

  // A password in the URL reaches pg_dump through the environment; the manifest never holds it.
  const withPassword = source.replace('postgres://', 'postgres://').replace(/@/, ':s3cret-never-stored@');
  const out = join(dir.path, 'backup');
  const lines: string[] = [];
  const manifest = await runBackup(out, stackBackupSources({ varDir: join(dir.path, 'var'), postgres: [withPassword, source], exclude: out }).filter((s) => s.name !== 'influxdb'), plainProgress((l) => lines.push(l)));
  const part = manifest.parts.find((p) => p.source === 'postgres');
  assert.ok(part?.covered, 'the postgres part is covered');
  const dumps = part.facts.dumps as Array<{ database: string; file: string }>;
  assert.equal(dumps.map((d) => d.database), ['tz_city'], 'one dump per database, the duplicate URL dumped once');
  assert.ok(manifest.files.some((f) => f.path === 'postgres/tz_city.dump'), 'the dump is checksummed in the manifest');
  assert.not.match(readFileSync(join(out, 'manifest.json'), 'utf8'), 's3cret', 'no password in the manifest');
  assert.ok(lines.some((l) => l.includes('postgres')), 'progress names the step');

  // A fresh machine: a database of another name, created by the restore itself.
  const target = source.replace(/\/tz_city$/, '/tz_city_restored');
  await runRestore(out, [new PostgresSource([target])], plainProgress(() => {}));
  assert.equal({ cases: await count(target, 'cases'), events: await count(target, 'case_events') }, before);
  const reopened = await PostgresCaseStore.open({ url: target });
  try {
    const c = await reopened.atomically((tx) => tx.listCases({ limit: 100 }));
    assert.is(c.length, 25, 'the restored store opens and lists its cases');
  } finally {
    await reopened.close();
  }

  // The target now holds tables: refused without --force, replaced with it.
  const refused = await runRestore(out, [new PostgresSource([target])], plainProgress(() => {})).catch((err: unknown) => err);
  assert.ok(isTzError(refused, 'TZ_BACKUP_INVALID'), 'a restore over a used database is refused');
  assert.match((refused as Error).message, /tz_city_restored .*holds \d+ table/);
  await runRestore(out, [new PostgresSource([target])], plainProgress(() => {}), { force: true });
  assert.is(await count(target, 'cases'), 25, 'a forced restore replaces, it does not append');

  // A damaged dump: the checksum check refuses before anything is touched.
  appendFileSync(join(out, 'postgres', readdirSync(join(out, 'postgres'))[0] ?? 'missing'), 'x');
  const damaged = await runRestore(out, [new PostgresSource([target])], plainProgress(() => {}), { force: true }).catch((err: unknown) => err);
  assert.ok(isTzError(damaged, 'TZ_BACKUP_INVALID'));
  assert.match((damaged as Error).message, /damaged/);
  assert.is(await count(target, 'cases'), 25);
});

test('postgres backup: a URL that is not PostgreSQL, or names no database, is refused with what to give', () => {
  for (const bad of ['mysql://x@h/db', 'postgres://x@127.0.0.1:5432/', 'not a url']) {
    const err = (() => {
      try {
        new PostgresSource([bad]);
        return null;
      } catch (e) {
        return e;
      }
    })();
    assert.ok(isTzError(err, 'TZ_BACKUP_INVALID'), bad);
    assert.match((err as Error).message, /postgres:\/\//);
  }
});

test.run();
