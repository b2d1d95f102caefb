// The rules service (rules API, cases, console, audit on one port) with its
// API tokens on PostgreSQL (`--access-db postgres://…`, issue 20): a token
// issued by another process on the same database (the CLI, ingest on another
// machine) is accepted, its revocation there holds here at the next request,
// and while PostgreSQL is away every API answers a request with a token 503
// TZ_STORE_UNAVAILABLE, never 500, then recovers by itself. Ingest's device
// API on the same token store answers and counts the same way.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { loadProfiles } from '../../device-profiles/index.ts';
import { startIngest, type Ingest } from '../../ingest/index.ts';
import { createLogger, openAccessStore, type OpenedAccessStore } from '../../service-kit/index.ts';
import { startRulesService, type RunningRulesService } from '../../cli/rules-service.ts';
import { freePort, startPostgres, tempDir, type TestPostgres } from './helpers.ts';

const PASSWORD = 'rules-secret-for-test';
const dir = tempDir('tz-pg-tokens-service-');
let server: TestPostgres;
let broker: RunningBroker;
let service: RunningRulesService;
let elsewhere: OpenedAccessStore;
let ingest: Ingest;

test.before(async () => {
  server = await startPostgres();
  const url = await server.createDatabase('tz_tokens');
  const users = BrokerUsers.inMemory();
  users.add('tz-rules', PASSWORD, 'rules');
  users.add('tz-ingest', PASSWORD, 'ingest');
  broker = await startBroker({ users, port: 0, host: '127.0.0.1', gatewayEvents: false, log: createLogger('broker', 'silent') });
  service = await startRulesService({
    brokerUrl: broker.mqttUrl, username: 'tz-rules', password: PASSWORD, profiles: loadProfiles(),
    rulesDbPath: join(dir.path, 'rules.sqlite'), casesDbPath: join(dir.path, 'cases.sqlite'), accessDbPath: url,
    auditDbPath: join(dir.path, 'audit.sqlite'), photoDir: join(dir.path, 'photos'), log: (c) => createLogger(c, 'silent'),
  });
  // Another process on the same token database (the CLI, or ingest on another machine).
  elsewhere = await openAccessStore(url, { log: createLogger('access', 'silent') });
  // Ingest with the device API on the same tokens (its InfluxDB is not needed here: nothing is written).
  ingest = await startIngest({
    brokerUrl: broker.mqttUrl, username: 'tz-ingest', password: PASSWORD, influx: { url: `http://127.0.0.1:${await freePort()}`, database: 'tz' },
    profiles: loadProfiles(), deadLetterPath: join(dir.path, 'dlq.sqlite'), retention: null, log: createLogger('ingest', 'silent'),
    access: elsewhere.tokens, registerMetrics: (registry) => elsewhere.registerMetrics(registry),
  });
});

test.after(async () => {
  await ingest?.stop();
  await service?.stop();
  await elsewhere?.close();
  await broker?.stop();
  await server?.stop();
  dir.remove();
});

const PATHS = ['/api/v1/alarms', '/api/v1/cases', '/console/api/session', '/api/v1/audit'];
const get = (path: string, token: string) => fetch(`${service.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });

test('tokens on PostgreSQL: issued elsewhere, accepted by every API of the service; revoked elsewhere, refused at the next request', async () => {
  const admin = await elsewhere.tokens.issue({ name: 'ada', role: 'admin' });
  for (const path of PATHS) assert.is((await get(path, admin.token)).status, 200, path);
  assert.ok(await elsewhere.tokens.revoke(admin.principal.tokenId));
  for (const path of PATHS) assert.is((await get(path, admin.token)).status, 401, path);
  const fromService = await service.access.issue({ name: 'olga', role: 'operator' });
  assert.is((await elsewhere.tokens.verify(fromService.token))?.name, 'olga', 'and the other way round');
});

test('tokens on PostgreSQL: the server away answers 503 TZ_STORE_UNAVAILABLE on every API, counted in /metrics; back, 200 again', async () => {
  const admin = await elsewhere.tokens.issue({ name: 'ada 2', role: 'admin' });
  await server.stopServer();
  try {
    for (const path of PATHS) {
      const res = await get(path, admin.token);
      assert.is(res.status, 503, path);
      assert.is(((await res.json()) as { code?: string }).code, 'TZ_STORE_UNAVAILABLE', path);
    }
    const devices = await fetch(`${ingest.httpUrl}/api/v1/devices`, { headers: { authorization: `Bearer ${admin.token}` } });
    assert.is(devices.status, 503, 'ingest /api/v1/devices');
    assert.is(((await devices.json()) as { code?: string }).code, 'TZ_STORE_UNAVAILABLE');
    // Each service counts its own store's failures: the rules service four, ingest one.
    for (const [url, failed] of [[service.httpUrl, PATHS.length], [ingest.httpUrl, 1]] as const) {
      const metrics = await (await fetch(`${url}/metrics`)).text();
      const counted = /^tz_access_store_unavailable_total(?:\{[^}]*\})? (\d+)/m.exec(metrics);
      assert.ok(counted && Number(counted[1]) >= failed, `counted on ${url}: ${counted?.[0] ?? 'missing'}`);
    }
  } finally {
    await server.startServer();
  }
  for (const path of PATHS) assert.is((await get(path, admin.token)).status, 200, path);
  assert.is((await fetch(`${ingest.httpUrl}/api/v1/devices`, { headers: { authorization: `Bearer ${admin.token}` } })).status, 200, 'ingest back');
});

test.run();
