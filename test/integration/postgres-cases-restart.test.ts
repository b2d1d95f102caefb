// Fault case (issue 20): PostgreSQL stops and comes back while alarms are
// turning into cases. The rules service delivers alarm events at least once
// (its outbox retries until the sink resolves), so here every event is sent
// until accepted, and half of them twice. Ledger at the end: every asset has
// exactly one case, none lost, none doubled; while the server is away the API
// answers 503 TZ_STORE_UNAVAILABLE instead of hanging or crashing.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { createLogger, createRegistry, createServiceHttp, listenService, openAccessTokens } from '../../service-kit/index.ts';
import { DEFAULT_CASE_CONFIG, openCaseSystem } from '../../cases/index.ts';
import { alarm, event, CREWS } from '../../cases/test/fixtures.ts';
import type { AlarmEvent } from '../../proto/index.ts';
import { startPostgres, tempDir } from './helpers.ts';

test('postgres restarted mid-stream: every alarm becomes exactly one case; the API says 503 while it is away', async () => {
  const server = await startPostgres();
  const dir = tempDir('tz-pg-restart-');
  const accessDb = new Database(':memory:');
  const access = openAccessTokens(accessDb);
  const token = access.issue({ name: 'ops', role: 'operator' }).token;
  const registry = createRegistry('cases');
  const log = createLogger('cases', 'silent');
  const system = await openCaseSystem({
    dbPath: server.url, access, registry, log, photoDir: join(dir.path, 'photos'), slaCheckMs: 0, outboxPollMs: 60_000,
    config: { ...(DEFAULT_CASE_CONFIG as object), crews: CREWS },
  });
  const app = createServiceHttp({ component: 'cases', registry, log, health: () => ({ ok: true }) });
  await system.registerRoutes(app);
  const base = await listenService(app);
  try {
    const ASSETS = 60;
    const events: AlarmEvent[] = Array.from({ length: ASSETS }, (_, i) => event('raised', alarm({ deviceId: `mc-${String(i).padStart(4, '0')}` })));
    let rejected = 0;
    let accepted = 0;
    // As the rules outbox does: retry until the sink resolves (bounded here).
    const deliver = async (e: AlarmEvent): Promise<void> => {
      for (let attempt = 0; attempt < 200; attempt++) {
        try {
          await system.alarmSink.deliver(e);
          accepted++;
          return;
        } catch {
          rejected++;
          await new Promise((r) => setTimeout(r, 50)); // the retry backoff of a real sender, not a synchronisation
        }
      }
      throw new Error(`event ${e.eventId} never accepted`);
    };
    let outage: Promise<number> | null = null;
    const stream = async (lane: number): Promise<void> => {
      for (let i = lane; i < ASSETS; i += 4) {
        await deliver(events[i]!);
        if (i % 2 === 0) await deliver(events[i]!); // redelivery: at-least-once
        if (i === 20) {
          // A third of the way in: the database goes away; the API is asked while it is gone.
          outage = (async () => {
            await server.stopServer();
            const res = await fetch(`${base}/api/v1/cases`, { headers: { authorization: `Bearer ${token}` } });
            const body = (await res.json()) as { code?: string };
            await server.startServer();
            assert.is(body.code, 'TZ_STORE_UNAVAILABLE');
            return res.status;
          })();
        }
      }
    };
    await Promise.all([0, 1, 2, 3].map(stream));
    assert.ok(outage, 'the outage happened mid-stream');
    assert.is(await outage, 503, 'the API answers 503 while PostgreSQL is away');
    const cases = await system.store.atomically((tx) => tx.listCases({ limit: 1000 }));
    const perAsset = new Map<string, number>();
    for (const c of cases) perAsset.set(c.assetId ?? '', (perAsset.get(c.assetId ?? '') ?? 0) + 1);
    const lost = events.filter((e) => !perAsset.has(e.alarm.deviceId)).length;
    const doubled = [...perAsset.values()].filter((n) => n > 1).length;
    console.log(`ledger: assets ${ASSETS}, deliveries accepted ${accepted} (rejected and retried ${rejected}), cases ${cases.length}, lost ${lost}, doubled ${doubled}`);
    assert.is(lost, 0, 'no case lost');
    assert.is(doubled, 0, 'no case doubled');
    assert.is(cases.length, ASSETS);
    const metrics = await registry.metrics();
    const unavailable = Number(/^tz_cases_store_unavailable_total(?:\{[^}]*\})? (\d+)/m.exec(metrics)?.[1] ?? 0);
    assert.ok(unavailable >= 1, 'transactions given up while PostgreSQL was away are counted');
    assert.match(metrics, /tz_cases_store_retries_total\{[^}]*reason="connection"[^}]*\} [1-9]/, 'transactions run again after a lost connection are counted');
    const res = await fetch(`${base}/api/v1/cases?limit=1`, { headers: { authorization: `Bearer ${token}` } });
    assert.is(res.status, 200, 'the API serves again once PostgreSQL is back');
  } finally {
    await app.close();
    await system.stop();
    accessDb.close();
    await server.stop();
    dir.remove();
  }
});

test.run();
