// Places end to end: the real rules service (rules + cases + console on one
// Fastify port, behind the real Aedes broker) with the city plan of 驻马店.
// A manhole cover standing on a street of the simulated city opens: its case
// carries the cover's coordinates, address and grid cell (网格) and goes to
// that cell's crew. Open311 reports at a point land in the right cell and are
// dispatched by it. The console map in headless Chromium draws the districts,
// grid cells and every device inside them. Screenshot: var/test-artifacts/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { stringify as toYaml } from 'yaml';
import type { Browser } from 'playwright-core';
import { loadProfiles } from '../../device-profiles/index.ts';
import { encodeUplinkBatch, topics } from '../../proto/index.ts';
import { createLogger } from '../../service-kit/index.ts';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { DEFAULT_CASE_CONFIG } from '../../cases/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict, type SimulatedDeviceInfo } from '../../firmware-sim/index.ts';
import { loadCityMap, streetSites, DEFAULT_CITY_FILE } from '../../registry/index.ts';
import { startRulesService, type RunningRulesService } from '../../cli/rules-service.ts';
import { tempDir, waitFor } from './helpers.ts';
import { issueConsoleTokens, launchConsoleBrowser, openConsolePage, signInToConsole } from '../../testing/console-browser.ts';

const ARTIFACTS = join(process.cwd(), 'var/test-artifacts');
const GW = 'gw-0001';
const PASSWORD = { rules: 'places-test-rules-secret', gateway: 'places-test-gateway-secret' };
const profiles = loadProfiles();
const city = loadCityMap(DEFAULT_CITY_FILE);
const dir = tempDir('tz-places-it-');

let broker: RunningBroker;
let sim: SimulatedDistrict;
let service: RunningRulesService;
let gateway: MqttClient;
let browser: Browser | undefined;
let cover: SimulatedDeviceInfo;
let tokens: Record<'operator' | 'dispatcher', string>;

async function api(method: string, path: string, body?: unknown, token = tokens.operator): Promise<{ status: number; json: any }> {
  const res = await fetch(`${service.httpUrl}${path}`, {
    method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

test.before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const users = BrokerUsers.inMemory();
  users.add('tz-rules', PASSWORD.rules, 'rules');
  users.add(GW, PASSWORD.gateway, 'gateway');
  broker = await startBroker({ users, port: 0, log: createLogger('broker', 'silent') });

  // The simulated 驻马店 gives the devices their street sites, as under `npm start`.
  sim = await startSimulatedDistrict({ profiles, devices: 40, seed: 5, tickMs: 3_600_000, sites: streetSites(city) });
  cover = sim.devices.find((d) => d.profile === 'manhole-cover' && d.site!.gridCell !== 'YC-0403')!;

  // Crews by grid cell: one for the cover's cell, one for YC-0403 (Open311), one for everywhere else.
  const caseConfig = join(dir.path, 'cases.yaml');
  writeFileSync(caseConfig, toYaml({
    ...(DEFAULT_CASE_CONFIG as object),
    crews: [
      { id: 'crew-cover-cell', name: '井盖网格班组', department: 'municipal-facilities', districts: [], gridCells: [cover.site!.gridCell], skills: ['*'] },
      { id: 'crew-yc-0403', name: '驿城区 YC-0403 网格班组', department: 'sanitation', districts: [], gridCells: ['YC-0403'], skills: ['*'] },
      { id: 'crew-city', name: '全市班组', department: 'sanitation', districts: ['*'], skills: ['*'] },
    ],
  }));
  const siteOf = new Map(sim.devices.map((d) => [d.deviceId, d.site!]));
  service = await startRulesService({
    brokerUrl: broker.mqttUrl, username: 'tz-rules', password: PASSWORD.rules, profiles,
    rulesDbPath: join(dir.path, 'rules.sqlite'), casesDbPath: join(dir.path, 'cases.sqlite'), accessDbPath: join(dir.path, 'access.sqlite'),
    photoDir: join(dir.path, 'photos'), caseConfig, log: (c) => createLogger(c, 'silent'),
    assetPlaces: { placeOf: (id) => { const s = siteOf.get(id); return s ? { lat: s.lat, long: s.lon, address: s.address, district: s.district, gridCell: s.gridCell } : null; } },
    siteDevices: () => sim.devices.map((d) => ({ deviceId: d.deviceId, profile: d.profile, gatewayId: GW, district: d.district, lat: d.site!.lat, lon: d.site!.lon, address: d.site!.address, gridCell: d.site!.gridCell })),
  });
  tokens = await issueConsoleTokens(service.access, ['operator', 'dispatcher']);
  gateway = await mqtt.connectAsync(broker.mqttUrl, { clientId: GW, username: GW, password: PASSWORD.gateway, reconnectPeriod: 0 });
});

test.after(async () => {
  await browser?.close();
  await gateway?.endAsync(true);
  await service?.stop();
  await sim?.stop();
  await broker?.stop();
  dir.remove();
});

test('a manhole cover opens on its street: the case carries its coordinates, address and grid cell, and goes to that cell\'s crew', async () => {
  // The rules service subscribes as it starts; until it has, a published batch reaches no one. Publish until the alarm is there.
  let batchSeq = 0;
  await waitFor('the cover-open alarm', async () => {
    const now = Date.now();
    batchSeq += 1;
    const readings = [0, 1].map((i) => ({
      deviceId: cover.deviceId, profile: 'manhole-cover', profileVersion: profiles.get('manhole-cover')!.version, timestampMs: now + i * 1000, seq: batchSeq * 10 + i, district: cover.district,
      metrics: [{ name: 'cover_open', flag: true }, { name: 'tilt_deg', number: 3 }, { name: 'battery_pct', number: 80 }],
    }));
    await gateway.publishAsync(topics.batch(GW), Buffer.from(encodeUplinkBatch({ gatewayId: GW, batchSeq, sentAtMs: now, readings })), { qos: 1 });
    const alarms = (await api('GET', '/api/v1/alarms')).json.alarms as Array<{ deviceId: string; ruleId: string }>;
    return alarms.some((a) => a.deviceId === cover.deviceId && a.ruleId === 'cover-open') ? true : undefined;
  }, 15_000, 300);
  const found = await waitFor(`a case for ${cover.deviceId}`, async () => {
    const r = await api('GET', `/api/v1/cases?assetId=${cover.deviceId}`);
    return r.json.cases.length ? r.json.cases[0] : undefined;
  }, 15_000);
  const c = (await api('GET', `/api/v1/cases/${found.id}`)).json;
  const site = cover.site!;
  assert.equal([c.lat, c.long, c.address, c.district, c.gridCell], [site.lat, site.lon, site.address, site.district, site.gridCell]);
  assert.match(c.address, /^驻马店市/);
  assert.is(city.locate(c.lat, c.long)?.gridCell, c.gridCell, 'the cell is the cell of the coordinates');
  assert.is(c.source, 'sensor');
  assert.is(c.status, 'dispatched');
  assert.is(c.crewId, 'crew-cover-cell', 'dispatched by grid cell, before the city-wide crew');
});

async function open311(lat: number, long: number, description: string): Promise<number> {
  const res = await fetch(`${service.httpUrl}/open311/v2/requests.json`, {
    method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ api_key: tokens.operator, service_code: 'exposed-rubbish', lat: String(lat), long: String(long), description }).toString(),
  });
  assert.is(res.status, 201, await res.clone().text());
  const [created] = (await res.json()) as Array<{ service_request_id: string }>;
  return Number(created!.service_request_id);
}

test('Open311 reports at a point land in that point\'s grid cell and are dispatched to the cell\'s crew', async () => {
  // [lat, long, district, grid cell, crew after registration]
  const table: Array<[number, number, string | null, string | null, string]> = [
    [32.9800, 114.0180, 'yicheng', 'YC-0403', 'crew-yc-0403'],
    [32.9460, 113.9905, 'yicheng', 'YC-0101', 'crew-city'],
    [33.0300, 114.0550, 'shifanqu', 'SF-0807', 'crew-city'],
    [32.9000, 113.9000, null, null, 'crew-city'], // outside the four districts: district/category dispatch
  ];
  for (const [lat, long, district, cell, crew] of table) {
    const id = await open311(lat, long, `暴露垃圾 at ${lat},${long}`);
    const reported = (await api('GET', `/api/v1/cases/${id}`)).json;
    assert.equal([reported.status, reported.district, reported.gridCell, reported.lat, reported.long], ['reported', district, cell, lat, long], `report at ${lat},${long}`);
    const registered = await api('POST', `/api/v1/cases/${id}/actions/register`, { note: '受理' });
    assert.is(registered.status, 200, JSON.stringify(registered.json));
    const after = (await api('GET', `/api/v1/cases/${id}`)).json;
    assert.equal([after.status, after.crewId], ['dispatched', crew], `dispatch of the report at ${lat},${long}`);
  }
  // The public request shows the point it was filed at.
  const list = await (await fetch(`${service.httpUrl}/open311/v2/requests.json?service_code=exposed-rubbish`)).json() as Array<{ lat: number; long: number }>;
  assert.ok(list.some((r) => r.lat === 32.98 && r.long === 114.018));
});

test('console map: 驻马店\'s districts and grid cells drawn, every device inside them where the data puts it', async () => {
  const { json } = await api('GET', '/console/api/devices');
  const devices = json.devices as Array<{ deviceId: string; lat: number; lon: number; district: string; gridCell: string | null; estimated: boolean }>;
  assert.is(devices.length, sim.devices.length);
  for (const d of devices) {
    assert.not.ok(d.estimated, `${d.deviceId} has a real position`);
    const at = city.locate(d.lat, d.lon);
    assert.equal([at?.district, at?.gridCell], [d.district, d.gridCell], `${d.deviceId} at ${d.lat},${d.lon}`);
  }

  browser = await launchConsoleBrowser();
  const { page } = await openConsolePage(browser, { viewport: { width: 1200, height: 900 }, serviceWorkers: 'allow' });
  const outside: string[] = [];
  await page.route('**/*', (route) => {
    if (route.request().url().startsWith(service.httpUrl)) return route.continue();
    outside.push(route.request().url());
    return route.abort();
  });
  await signInToConsole(page, tokens.operator, { serviceUrl: service.httpUrl, until: { selector: '#who' } });
  await page.goto(`${service.httpUrl}/console/#/map`);
  await page.waitForSelector('path.tz-district');
  assert.is(await page.locator('path.tz-district').count(), 4);
  assert.is(await page.locator('path.tz-cell').count(), city.cells.length);
  assert.ok(await page.locator('path.tz-street').count() >= 5);
  const labels = await page.locator('.district-label').allTextContents();
  for (const name of ['驿城区', '经济开发区', '高新区', '城乡一体化示范区']) assert.ok(labels.some((l) => l.startsWith(name)), `label ${name}: ${labels.join(' | ')}`);
  assert.ok(await page.locator('#map-schematic').isVisible(), 'the map says its boundaries are schematic');

  // Every device is in exactly one marker, and every marker stands on a district.
  const markers = await waitFor('device markers', async () => {
    const found = await page.evaluate(() => {
      const singles = [...document.querySelectorAll('path.tz-device')].map((e) => ({ n: 1, box: e.getBoundingClientRect() }));
      const groups = [...document.querySelectorAll('.tz-cluster')].map((e) => ({ n: Number((e as HTMLElement).dataset.count), box: e.getBoundingClientRect() }));
      return [...singles, ...groups].map(({ n, box }) => {
        const [x, y] = [box.left + box.width / 2, box.top + box.height / 2];
        return { n, onDistrict: document.elementsFromPoint(x, y).some((el) => el.classList.contains('tz-district')) };
      });
    });
    return found.reduce((s, m) => s + m.n, 0) === devices.length ? found : undefined;
  }, 10_000, 100);
  assert.ok(markers.length > 1);
  assert.ok(markers.every((m) => m.onDistrict), `markers off the districts: ${markers.filter((m) => !m.onDistrict).length}`);
  assert.equal(outside, [], 'offline by default: no tile or other outside requests');
  await page.screenshot({ path: join(ARTIFACTS, 'places-map.png'), fullPage: true });
});

test.run();
