// The shared RegistryStore suite against a real PostgreSQL server (issue 20),
// plus what only a shared store has to show: two processes on one database
// (ingest's binding in one follows the other's writes by revision; two
// gateways' reports of one new device make one discovered record), and a
// server that is away is TZ_STORE_UNAVAILABLE — 503 from the HTTP API — until
// it is back.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import { readFileSync } from 'node:fs';
import pg from 'pg';
import Fastify from 'fastify';
import { pino } from 'pino';
import { isTzError, listenService, ManualClock, openAccessTokens } from '../../service-kit/index.ts';
import { openRegistry, openRegistryBindingAt, RegistryBinding, RegistryDeviceSnapshot, RegistryKey, registerRegistryRoutes } from '../../registry/index.ts';
import { PostgresRegistryStore } from '../../registry/postgres-store.ts';
import { POSTGRES_REGISTRY_MIGRATIONS } from '../../registry/registry-schema.ts';
import { postgresSchemaOf } from '../../testing/schema-of.ts';
import { profiles, tcpDevice, TEST_KEY_HEX } from '../../registry/test/fixtures.ts';
import { registryStoreSuite } from '../../registry/test/registry-store.suite.ts';
import { seedSimulatedRegistry } from '../../cli/sim-registry.ts';
import type { SimulatedDeviceInfo } from '../../firmware-sim/index.ts';
import { startPostgres, type TestPostgres } from './helpers.ts';

let server: TestPostgres;
let n = 0;
const freshDatabase = () => server.createDatabase(`tz_registry_${++n}`);
const key = RegistryKey.parse(TEST_KEY_HEX, 'test');
const log = pino({ level: 'silent' });

test.before(async () => {
  server = await startPostgres();
});
test.after(async () => {
  await server?.stop();
});

registryStoreSuite(test, 'postgres', async ({ clock, key: storeKey }) => {
  const store = await PostgresRegistryStore.open({ url: await freshDatabase(), profiles, key: storeKey, clock, log });
  return {
    store,
    async devicesAtRest() {
      // The rows as text (BYTEA as hex) and the sealed blobs as bytes.
      const rows = await store.query<{ t: string; k: Buffer | null }>('SELECT devices::text AS t, lora_keys AS k FROM devices');
      return Buffer.concat(rows.rows.flatMap((r) => [Buffer.from(r.t), ...(r.k ? [r.k] : [])]));
    },
    async sealedKeys(id) {
      return (await store.query<{ k: Buffer | null }>('SELECT lora_keys AS k FROM devices WHERE id = $1', [id])).rows[0]?.k ?? null;
    },
    async putSealedKeys(id, sealed) {
      await store.query('UPDATE devices SET lora_keys = $1 WHERE id = $2', [sealed, id]);
    },
    close: () => store.close(),
  };
});

test('postgres: two processes on one database: the binding follows the other one\'s writes; one discovered record however many report it', async () => {
  const url = await freshDatabase();
  const clock = new ManualClock(Date.parse('2026-03-01T08:00:00Z'));
  const [api, ingest] = await Promise.all([PostgresRegistryStore.open({ url, profiles, key, clock, log }), PostgresRegistryStore.open({ url, profiles, key, clock, log })]);
  try {
    const binding = new RegistryBinding(ingest, { log });
    await binding.ready;
    assert.is(binding.size, 0);
    await api.createDevice(tcpDevice('mh-1', { state: 'active' }), 'alice');
    assert.is(await binding.refresh(), true);
    assert.is(binding.check('mh-1', 'gw-01'), null);
    await api.patchDevice('mh-1', { gatewayId: 'gw-02' }, 'alice');
    await binding.refresh();
    assert.is(binding.check('mh-1', 'gw-01')?.reason, 'wrong-gateway');
    // Writers in both processes at once: every revision is seen, none twice, in order.
    await Promise.all(Array.from({ length: 40 }, (_, i) => (i % 2 ? api : ingest).createDevice(tcpDevice(`d-${i}`), 'x')));
    await binding.refresh();
    assert.is(binding.size, 41);
    assert.is(await api.revision(), 42);
    const revisions = (await ingest.changesSince(0)).map((c) => c.revision);
    assert.equal(revisions, [...revisions].sort((a, b) => a - b));
    assert.is(new Set(revisions).size, 41);
    // Ten gateways' readings of one unknown device, through both processes at once.
    const outcomes = await Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? api : ingest).noteReportedDevice('gw-07', 'mh-new', 'manhole-cover')));
    assert.equal([...new Set(outcomes)], ['discovered']);
    assert.is((await api.history('mh-new')).length, 1);
    assert.is((await ingest.listDiscovered()).length, 1);
  } finally {
    await Promise.all([api.close(), ingest.close()]);
  }
});

test('postgres: openRegistry and ingest\'s binding take the URL; the rules service\'s snapshot answers synchronously and follows changes', async () => {
  const url = await freshDatabase();
  const api = await openRegistry(url, { profiles, key, log });
  assert.is(api.kind, 'postgres');
  await api.createDevice(tcpDevice('mh-1', { state: 'active', district: 'yicheng' }), 'alice');
  const binding = await openRegistryBindingAt(url, { profiles, key, log });
  const snapshot = await RegistryDeviceSnapshot.open(api, { log, refreshMs: 60_000 });
  try {
    assert.is(binding.check('mh-1', 'gw-01'), null, 'every device read before it resolves');
    assert.is(snapshot.get('mh-1')?.district, 'yicheng');
    await api.patchDevice('mh-1', { district: 'xiping' }, 'alice');
    await api.createDevice(tcpDevice('mh-2'), 'alice');
    await snapshot.refresh();
    assert.is(snapshot.get('mh-1')?.district, 'xiping');
    assert.equal(snapshot.list().map((d) => d.id), ['mh-1', 'mh-2']);
  } finally {
    snapshot.close();
    await binding.close();
    await api.close();
  }
});

test('postgres: the simulated city seeds the registry (npm start, sim --registry-db); a second run changes nothing', async () => {
  const store = await openRegistry(await freshDatabase(), { profiles, key, log });
  const city: SimulatedDeviceInfo[] = Array.from({ length: 6 }, (_, i) => ({
    deviceId: `sim-${i}`, profile: i % 2 ? 'manhole-cover' : 'public-toilet', district: 'yicheng', gatewayId: 'gw-0001', transport: 'tcp', host: '127.0.0.1', port: 15020 + i, unitId: 1 + i,
  }));
  try {
    const first = await seedSimulatedRegistry(store, city, { gatewayId: 'gw-0001', by: 'test' });
    assert.equal({ devices: first.devices.created, assets: first.assets.created, gateways: first.gateways.created }, { devices: 6, assets: 6, gateways: 1 });
    assert.is((await store.getDevice('sim-1'))?.assetId, 'asset-sim-1');
    const again = await seedSimulatedRegistry(store, city.slice(0, 5), { gatewayId: 'gw-0001', by: 'test' });
    assert.equal({ unchanged: again.devices.unchanged, retired: again.retired }, { unchanged: 5, retired: ['sim-5'] });
    assert.is((await store.getDevice('sim-5'))?.state, 'retired');
  } finally {
    await store.close();
  }
});

test('postgres: a server that is away is TZ_STORE_UNAVAILABLE, 503 from the HTTP API, and served again once it is back', async () => {
  const url = await freshDatabase();
  const store = await PostgresRegistryStore.open({ url, profiles, key, log, connectTimeoutMs: 1_000, maxRetries: 1 });
  const access = openAccessTokens(new Database(':memory:'));
  const token = access.issue({ name: 't-operator', role: 'operator' }).token;
  const app = Fastify();
  await registerRegistryRoutes(app, { store, access });
  const base = await listenService(app);
  const get = async (path: string) => {
    const res = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    return { status: res.status, json: (await res.json()) as { code?: string; total?: number } };
  };
  try {
    await store.createDevice(tcpDevice('mh-1'), 'alice');
    assert.is((await get('/api/v1/devices')).json.total, 1);
    await server.stopServer();
    const away = await get('/api/v1/devices');
    assert.is(away.status, 503);
    assert.is(away.json.code, 'TZ_STORE_UNAVAILABLE');
    assert.is((await get('/api/v1/devices/mh-1')).status, 503);
    try {
      await store.createDevice(tcpDevice('mh-2'), 'alice');
      assert.unreachable('a write fails while the server is away');
    } catch (err) {
      assert.ok(isTzError(err, 'TZ_STORE_UNAVAILABLE'), String(err));
    }
    await server.startServer();
    await store.createDevice(tcpDevice('mh-2'), 'alice');
    const back = await get('/api/v1/devices');
    assert.is(back.status, 200);
    assert.is(back.json.total, 2);
  } finally {
    await app.close();
    await store.close();
  }
});

test('postgres: the rendered registry migrations make the schema the hand-written SQL made', async () => {
  const snapshot = JSON.parse(readFileSync(new URL('../../registry/test/registry-schema.snapshot.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  const client = new pg.Client({ connectionString: await freshDatabase() });
  await client.connect();
  try {
    for (const m of POSTGRES_REGISTRY_MIGRATIONS) await client.query(m.sql);
    assert.equal(await postgresSchemaOf(client), snapshot['postgres v1']);
  } finally {
    await client.end();
  }
});

test.run();
