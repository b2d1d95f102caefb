// The var-folder part of a backup without InfluxDB: SQLite files copied by
// the online backup API include what is still only in the WAL of a live
// connection; the manifest catches a damaged copy; a non-empty target is refused.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isSqliteFile, readManifest, runBackup, runRestore, silentProgress, VarDirSource } from '../backup/index.ts';
import { isTzError } from '../../service-kit/index.ts';

test('a live WAL database, photos and the users file come back whole; damage and a non-empty target are refused', async () => {
  const root = mkdtempSync(join(tmpdir(), 'tz-backup-unit-'));
  try {
    const varDir = join(root, 'var');
    mkdirSync(join(varDir, 'photos'), { recursive: true });
    writeFileSync(join(varDir, 'photos', 'case-1.jpg'), Buffer.from([0xff, 0xd8, 0xff, 1, 2, 3]));
    writeFileSync(join(varDir, 'broker-users.json'), '{"users":[]}');
    writeFileSync(join(varDir, 'stack.log'), 'not backed up');
    // A store with a name nobody listed, still open, its rows only in the WAL (no checkpoint yet).
    const live = new Database(join(varDir, 'registry.db'));
    live.pragma('journal_mode = WAL');
    live.pragma('wal_autocheckpoint = 0');
    live.exec('CREATE TABLE devices (id TEXT PRIMARY KEY)');
    const insert = live.prepare('INSERT INTO devices VALUES (?)');
    for (let i = 0; i < 500; i++) insert.run(`mh-${i}`);
    assert.ok(isSqliteFile(join(varDir, 'registry.db')));

    const out = join(root, 'backup');
    const manifest = await runBackup(out, [new VarDirSource(varDir)], silentProgress);
    insert.run('mh-after-backup');
    live.close();
    assert.equal(manifest.files.map((f) => f.path), ['var/broker-users.json', 'var/photos/case-1.jpg', 'var/registry.db']);
    assert.equal(readManifest(out).parts[0]!.facts.sqlite, ['registry.db']);

    const target = join(root, 'var2');
    await runRestore(out, [new VarDirSource(target)], silentProgress);
    const copy = new Database(join(target, 'registry.db'), { readonly: true });
    assert.is((copy.prepare('SELECT count(*) AS n FROM devices').get() as { n: number }).n, 500);
    copy.close();

    const again = await runRestore(out, [new VarDirSource(target)], silentProgress).catch((e: unknown) => e);
    assert.ok(isTzError(again, 'TZ_BACKUP_INVALID') && /not empty/.test(again.message));
    await runRestore(out, [new VarDirSource(target)], silentProgress, { force: true });

    writeFileSync(join(out, 'var', 'photos', 'case-1.jpg'), Buffer.from([0xff, 0xd8, 0xff, 1, 2, 4]));
    const damaged = await runRestore(out, [new VarDirSource(join(root, 'var3'))], silentProgress).catch((e: unknown) => e);
    assert.ok(isTzError(damaged, 'TZ_BACKUP_INVALID') && /photos\/case-1\.jpg: SHA-256/.test(damaged.message), String(damaged));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test.run();
