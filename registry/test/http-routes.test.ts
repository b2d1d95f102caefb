// The registry HTTP API on a real port: roles, records, lifecycle, discovered
// devices, import report (422 when nothing applied), export, keys never out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import Database from 'better-sqlite3';
import Fastify from 'fastify';
import { listenService, openAccessTokens } from '../../service-kit/index.ts';
import { registerRegistryRoutes } from '../http-routes.ts';
import { abpDevice, openFixture, type Fixture } from './fixtures.ts';

let f: Fixture;
let base = '';
let app: ReturnType<typeof Fastify>;
const tokens: Record<string, string> = {};

async function call(role: string | null, method: string, path: string, body?: unknown, type = 'application/json'): Promise<{ status: number; json: any; text: string }> {
  const headers: Record<string, string> = {};
  if (role) headers.authorization = `Bearer ${tokens[role]}`;
  if (body !== undefined) headers['content-type'] = type;
  const res = await fetch(`${base}${path}`, { method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown = null;
  try { json = JSON.parse(text); } catch { /* CSV */ }
  return { status: res.status, json, text };
}

test.before(async () => {
  f = openFixture();
  const access = openAccessTokens(new Database(':memory:'));
  for (const role of ['admin', 'operator', 'readonly', 'dispatcher'] as const) tokens[role] = access.issue({ name: `t-${role}`, role }).token;
  tokens.crew = access.issue({ name: 't-crew', role: 'crew', crewId: 'c1' }).token;
  app = Fastify();
  await registerRegistryRoutes(app, { store: f.store, access });
  base = await listenService(app);
});

test.after(async () => {
  await app.close();
  f.close();
});

test('roles: no token 401; every role reads; only admin and operator write', async () => {
  assert.is((await call(null, 'GET', '/api/v1/devices')).status, 401);
  for (const role of ['admin', 'operator', 'readonly', 'dispatcher', 'crew']) assert.is((await call(role, 'GET', '/api/v1/devices')).status, 200, role);
  const record = { id: 'mh-1', class: 'manhole-cover', gatewayId: 'gw-01', transport: 'modbus-tcp', host: '10.0.0.1', district: 'yicheng' };
  for (const role of ['readonly', 'dispatcher', 'crew']) assert.is((await call(role, 'POST', '/api/v1/devices', record)).status, 403, role);
  const created = await call('operator', 'POST', '/api/v1/devices', record);
  assert.is(created.status, 201);
  assert.is(created.json.state, 'planned');
  assert.is((await call('admin', 'POST', '/api/v1/devices', { ...record, id: 'mh-2', gatewayId: 'gw-02' })).status, 201);
});

test('list filters, show with history, patch, lifecycle, retire', async () => {
  const list = await call('readonly', 'GET', '/api/v1/devices?gatewayId=gw-01');
  assert.equal([list.json.total, list.json.devices.map((d: { id: string }) => d.id)], [1, ['mh-1']]);
  assert.equal((await call('readonly', 'GET', '/api/v1/devices?gateway=gw-02')).json.devices.map((d: { id: string }) => d.id), ['mh-2']);
  assert.is((await call('readonly', 'GET', '/api/v1/devices?state=bogus')).status, 400);
  const patched = await call('operator', 'PATCH', '/api/v1/devices/mh-1', { tags: ['east'], port: 70000 });
  assert.is(patched.status, 400);
  assert.equal(patched.json.problems, [{ column: 'port', problem: 'above 65535' }]);
  assert.equal((await call('operator', 'PATCH', '/api/v1/devices/mh-1', { tags: ['east'] })).json.tags, ['east']);
  assert.is((await call('operator', 'POST', '/api/v1/devices/mh-1/transition', { state: 'active' })).status, 409);
  assert.is((await call('operator', 'POST', '/api/v1/devices/mh-1/transition', { state: 'installed', note: '装好了' })).json.state, 'installed');
  const shown = await call('crew', 'GET', '/api/v1/devices/mh-1');
  assert.equal(shown.json.history.map((h: { to: string; by: string }) => `${h.to} by ${h.by}`), ['planned', 'installed'].map((to) => `${to} by operator:t-operator#${String(tokens.operator?.split('_')[1])}`));
  assert.is((await call('operator', 'POST', '/api/v1/devices/mh-1/retire', { note: 'replaced' })).json.state, 'retired');
  assert.is((await call('readonly', 'GET', '/api/v1/devices/nope')).status, 404);
});

test('LoRa keys go in and never come out', async () => {
  const created = await call('operator', 'POST', '/api/v1/devices', abpDevice('wm-1'));
  assert.is(created.status, 201);
  assert.is(created.json.transport.keysStored, true);
  for (const path of ['/api/v1/devices/wm-1', '/api/v1/devices', '/api/v1/devices/export?format=csv', '/api/v1/devices/export?format=geojson']) {
    const r = await call('admin', 'GET', path);
    assert.is(r.status, 200, path);
    assert.not.match(r.text, '2B7E151628AED2A6ABF7158809CF4F3C', path);
  }
});

test('import: a file with problems answers 422 with the report and applies nothing; applyValid applies the rest; export', async () => {
  const csv = 'id,kind,parentAssetId\npole-1,pole,\npole-2,Pole,\n';
  const refused = await call('operator', 'POST', '/api/v1/assets/import', csv, 'text/csv');
  assert.is(refused.status, 422);
  assert.equal(refused.json.problems, [{ row: 3, column: 'kind', problem: 'must be a lower-kebab-case word, e.g. pole, shaft' }]);
  assert.is((await call('readonly', 'GET', '/api/v1/assets')).json.total, 0);
  const applied = await call('operator', 'POST', '/api/v1/assets/import?applyValid=true', csv, 'text/csv');
  assert.equal([applied.status, applied.json.created, applied.json.applied], [200, 1, true]);
  const geo = await call('operator', 'POST', '/api/v1/gateways/import', { type: 'FeatureCollection', features: [{ type: 'Feature', geometry: { type: 'Point', coordinates: [114.02, 32.98] }, properties: { id: 'gw-01', name: '驿城区网关', autoAccept: true } }] }, 'application/geo+json');
  assert.equal([geo.status, geo.json.created], [200, 1]);
  assert.is((await call('readonly', 'GET', '/api/v1/gateways/gw-01')).json.autoAccept, true);
  const exported = await call('readonly', 'GET', '/api/v1/assets/export?format=csv');
  assert.is(exported.text, 'id,kind,name,parentAssetId,lat,lon,crs,address,district,gridCell,state,tags\npole-1,pole,,,,,,,,,active,\n');
  assert.is((await call('readonly', 'POST', '/api/v1/assets/import', csv, 'text/csv')).status, 403);
});

test('accept a discovered device through the API', async () => {
  f.store.noteReportedDevice('gw-03', 'mh-new', 'manhole-cover');
  assert.equal((await call('readonly', 'GET', '/api/v1/devices?state=discovered')).json.devices.map((d: { id: string }) => d.id), ['mh-new']);
  const accepted = await call('operator', 'POST', '/api/v1/devices/mh-new/accept', { state: 'installed' });
  assert.equal([accepted.status, accepted.json.state], [200, 'installed']);
  assert.is((await call('operator', 'POST', '/api/v1/devices/mh-new/accept', {})).status, 409);
});

test.run();
