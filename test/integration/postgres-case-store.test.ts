// The shared CaseStore suite against a real PostgreSQL server (issue 20), plus
// what only a networked store has to show: two stores (two machines) on one
// database never lose an update, open two cases for one asset, or claim one
// outbox message twice; migrations apply once; a stopped server is a 503.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import pg from 'pg';
import { isTzError } from '../../service-kit/index.ts';
import { PostgresCaseStore } from '../../cases/postgres-case-store.ts';
import { caseStoreSuite, sampleCase } from '../../cases/test/case-store.suite.ts';
import { POSTGRES_CASE_MIGRATIONS } from '../../cases/case-schema.ts';
import { postgresSchemaOf } from '../../testing/schema-of.ts';
import { readFileSync } from 'node:fs';
import { startPostgres, type TestPostgres } from './helpers.ts';

let server: TestPostgres;
let n = 0;
const freshDatabase = () => server.createDatabase(`tz_cases_${++n}`);

test.before(async () => {
  server = await startPostgres();
});
test.after(async () => {
  await server?.stop();
});

caseStoreSuite(test, async () => PostgresCaseStore.open({ url: await freshDatabase() }));

test('postgres: two stores on one database: concurrent read-modify-writes all apply, one open case per asset', async () => {
  const url = await freshDatabase();
  const [a, b] = await Promise.all([PostgresCaseStore.open({ url }), PostgresCaseStore.open({ url })]);
  try {
    const c = await a.atomically((tx) => tx.insertCase(sampleCase(), 1));
    await Promise.all(Array.from({ length: 16 }, (_, i) => (i % 2 ? a : b).atomically(async (tx) => {
      const cur = (await tx.getCase(c.id))!;
      const next = await tx.updateCase(c.id, cur.version, { reworkCount: cur.reworkCount + 1 }, 2);
      assert.ok(next, 'no lost update');
    })));
    assert.is((await a.atomically((tx) => tx.getCase(c.id)))?.reworkCount, 16);
    // The alarm intake's "find the open case of this asset, else open one", from both machines at once.
    const opened = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).atomically(async (tx) => {
      const open = await tx.findOpenCase({ assetId: 'mc-race' });
      return open ? null : (await tx.insertCase(sampleCase({ assetId: 'mc-race' }), 3)).id;
    })));
    assert.is(opened.filter((id) => id !== null).length, 1, 'exactly one transaction opened a case');
    assert.is(await a.atomically((tx) => tx.countCases({ assetId: 'mc-race' })), 1);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('postgres: two deliverers claim disjoint outbox messages; a dead deliverer\'s lease runs out', async () => {
  const url = await freshDatabase();
  const [a, b] = await Promise.all([PostgresCaseStore.open({ url, outboxLeaseMs: 1_000 }), PostgresCaseStore.open({ url, outboxLeaseMs: 1_000 })]);
  try {
    const c = await a.atomically((tx) => tx.insertCase(sampleCase(), 1));
    await a.atomically(async (tx) => {
      for (let i = 0; i < 40; i++) await tx.enqueue(c.id, { channel: 'webhook', target: 'http://x', payload: String(i) }, 10);
    });
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : b).atomically((tx) => tx.dueOutbox(100, 7))));
    const ids = claims.flat().map((m) => m.id);
    assert.is(new Set(ids).size, ids.length, 'no message claimed twice');
    assert.is(ids.length, 40, 'every due message claimed once');
    assert.is((await b.atomically((tx) => tx.dueOutbox(100, 100))).length, 0, 'claimed messages are leased');
    assert.is((await b.atomically((tx) => tx.dueOutbox(1_100, 100))).length, 40, 'due again once the lease ran out (at-least-once)');
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('postgres: migrations apply once when two services start together, and survive a reopen', async () => {
  const url = await freshDatabase();
  const stores = await Promise.all([PostgresCaseStore.open({ url }), PostgresCaseStore.open({ url }), PostgresCaseStore.open({ url })]);
  const c = await stores[0]!.atomically((tx) => tx.insertCase(sampleCase(), 1));
  await Promise.all(stores.map((s) => s.close()));
  const again = await PostgresCaseStore.open({ url });
  try {
    assert.is((await again.atomically((tx) => tx.getCase(c.id)))?.title, 'Cover open');
  } finally {
    await again.close();
  }
});

test('postgres: a statement held up past the statement timeout is a prompt 503 (busy), not retried into a long wait', async () => {
  const url = await freshDatabase();
  const store = await PostgresCaseStore.open({ url, statementTimeoutMs: 300 });
  const blocker = new pg.Client({ connectionString: url });
  await blocker.connect();
  try {
    await blocker.query('BEGIN');
    await blocker.query('LOCK TABLE cases IN ACCESS EXCLUSIVE MODE');
    const started = Date.now();
    try {
      await store.atomically((tx) => tx.getCase(1));
      assert.unreachable('should time out');
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_STORE_UNAVAILABLE'), String(err));
      assert.is(err.details.reason, 'busy');
      assert.is(err.details.sqlstate, '57014');
    }
    assert.ok(Date.now() - started < 3_000, 'given up after one statement timeout, not after eight');
    await blocker.query('ROLLBACK');
    assert.is(await store.atomically((tx) => tx.getCase(1)), null, 'the pooled connection still works');
  } finally {
    await blocker.end();
    await store.close();
  }
});

test('postgres: an unreachable server is TZ_STORE_UNAVAILABLE (503, retryable), not a crash', async () => {
  const url = (await freshDatabase()).replace(`:${server.port}/`, ':1/');
  try {
    await PostgresCaseStore.open({ url, connectTimeoutMs: 500 });
    assert.unreachable('should fail');
  } catch (err) {
    assert.ok(isTzError(err, 'TZ_STORE_UNAVAILABLE'), String(err));
    assert.ok(err.canRetry());
  }
});

for (const version of [1, 2]) {
  test(`postgres: the rendered case migrations up to version ${version} make the schema the hand-written SQL made`, async () => {
    const snapshot = JSON.parse(readFileSync(new URL('../../cases/test/case-schema.snapshot.json', import.meta.url), 'utf8')) as Record<string, unknown>;
    const client = new pg.Client({ connectionString: await freshDatabase() });
    await client.connect();
    try {
      for (const m of POSTGRES_CASE_MIGRATIONS) if (m.version <= version) await client.query(m.sql);
      assert.equal(await postgresSchemaOf(client), snapshot[`postgres v${version}`]);
    } finally {
      await client.end();
    }
  });
}

test.run();
