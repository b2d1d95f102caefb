import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteCaseStore } from '../sqlite-case-store.ts';
import { caseStoreSuite, sampleCase } from './case-store.suite.ts';

caseStoreSuite(test, async () => new SqliteCaseStore(':memory:'));

test('sqlite: data and migrations survive a reopen', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tz-cases-'));
  try {
    const file = join(dir, 'cases.sqlite');
    const first = new SqliteCaseStore(file);
    const c = await first.atomically((tx) => tx.insertCase(sampleCase(), 1));
    await first.atomically((tx) => tx.enqueue(c.id, { channel: 'mqtt', target: 't', payload: '{}' }, 1));
    await first.close();
    const second = new SqliteCaseStore(file);
    assert.is((await second.atomically((tx) => tx.getCase(c.id)))?.title, 'Cover open');
    assert.is((await second.atomically((tx) => tx.dueOutbox(10, 10))).length, 1, 'pending notifications survive a restart');
    assert.is(second.database.pragma('journal_mode', { simple: true }), 'wal');
    await second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
