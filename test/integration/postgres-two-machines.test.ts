// Issue 20: two case systems (two machines' rules services) share one
// PostgreSQL database. Each asset raises two alarms at once, one reaching each
// machine, and after a failover each event reaches the other machine too
// (at-least-once). Ledger: one case per asset, both alarms on it, every
// redelivery recognised, one audit line per change.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createLogger, openAccessTokens } from '../../service-kit/index.ts';
import { DEFAULT_CASE_CONFIG, openCaseSystem, type CaseSystem } from '../../cases/index.ts';
import { alarm, event, CREWS } from '../../cases/test/fixtures.ts';
import { startPostgres, tempDir } from './helpers.ts';

test('two machines on one PostgreSQL case database: one case per asset, no event applied twice', async () => {
  const server = await startPostgres();
  const dir = tempDir('tz-pg-two-');
  const accessDb = new Database(':memory:');
  const open = (name: string): Promise<CaseSystem> => openCaseSystem({
    dbPath: server.url, access: openAccessTokens(accessDb), log: createLogger(`cases-${name}`, 'silent'), photoDir: join(dir.path, name), slaCheckMs: 0, outboxPollMs: 60_000,
    config: { ...(DEFAULT_CASE_CONFIG as object), crews: CREWS },
  });
  const [a, b] = await Promise.all([open('a'), open('b')]);
  try {
    const ASSETS = 30;
    await Promise.all(Array.from({ length: ASSETS }, async (_, i) => {
      const deviceId = `mc-${String(i).padStart(4, '0')}`;
      const cover = event('raised', alarm({ deviceId, ruleId: 'cover-open' }));
      const tilt = event('raised', alarm({ deviceId, ruleId: 'cover-tilt' }));
      // Both alarms at once, one on each machine; then each event again on the other (failover redelivery).
      await Promise.all([a.alarmSink.deliver(cover), b.alarmSink.deliver(tilt)]);
      await Promise.all([b.alarmSink.deliver(cover), a.alarmSink.deliver(tilt)]);
    }));
    const [sa, sb] = [a.stats(), b.stats()];
    const results = { events: sa.alarmEvents + sb.alarmEvents, opened: sa.casesOpened + sb.casesOpened, absorbed: sa.casesAbsorbed + sb.casesAbsorbed };
    const cases = await a.store.atomically((tx) => tx.listCases({ limit: 1000 }));
    const assets = new Set(cases.map((c) => c.assetId));
    console.log(`ledger: assets ${ASSETS}, cases ${cases.length}, results ${JSON.stringify(results)}`);
    assert.is(cases.length, ASSETS, 'one case per asset');
    assert.is(assets.size, ASSETS);
    assert.is(results.events, 4 * ASSETS);
    assert.is(results.opened, ASSETS);
    assert.is(results.absorbed, ASSETS, 'the second alarm joined the first one\'s case; the rest were redeliveries, recognised');
    for (const c of cases) {
      const [alarms, events] = await b.store.atomically(async (tx) => [await tx.alarmsOf(c.id), await tx.eventsOf(c.id)] as const);
      assert.is(alarms.length, 2, `case ${c.id} carries both alarms`);
      assert.is(events.filter((e) => e.action === 'report').length, 1, `case ${c.id} reported once`);
      assert.is(events.filter((e) => e.action === 'alarm-absorbed').length, 1, `case ${c.id} absorbed once`);
    }
  } finally {
    await Promise.all([a.stop(), b.stop()]);
    accessDb.close();
    await server.stop();
    dir.remove();
  }
});

test.run();
