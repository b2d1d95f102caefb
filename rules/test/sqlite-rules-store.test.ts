import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SqliteRulesStore } from '../sqlite-store.ts';
import { runSteps, step } from '../rules-store.ts';
import { rulesStoreSuite, sampleAlarm } from './rules-store.suite.ts';

rulesStoreSuite(test, async () => new SqliteRulesStore(':memory:'));

test('sqlite: every answer is synchronous (the engine needs no Promise per reading), data survive a reopen', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tz-rules-store-'));
  try {
    const file = join(dir, 'rules.db');
    const first = new SqliteRulesStore(file);
    const a = first.transaction(function* (tx) {
      const inserted = yield* step(tx.insertAlarm(sampleAlarm()));
      yield* step(tx.enqueue('e-1', ['cases'], '{}', 1));
      return inserted;
    });
    assert.not.instance(a, Promise);
    assert.is(a.deviceId, 'mh-1');
    first.close();
    const second = new SqliteRulesStore(file);
    assert.is(second.findOpenAlarm('cover-open', 'mh-1')?.id, a.id);
    assert.is(second.claimOutbox('cases', 10).length, 1, 'pending events survive a restart');
    second.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('steps: synchronous until a step is a Promise, then awaited; errors reach the generator', async () => {
  const log: string[] = [];
  const sync = runSteps((function* () {
    const a = yield* step(1);
    const b = yield* step(2);
    return a + b;
  })());
  assert.is(sync, 3);
  const later = runSteps((function* () {
    const a = yield* step(1);
    const b = yield* step(Promise.resolve(2));
    try {
      yield* step(Promise.reject(new Error('away')));
    } catch (err) {
      log.push((err as Error).message);
    }
    return a + b;
  })());
  assert.instance(later, Promise);
  assert.is(await later, 3);
  assert.equal(log, ['away']);
});

test.run();
