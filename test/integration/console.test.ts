// The ops web console in headless Chromium (Debian /usr/bin/chromium driven by
// playwright-core) against the real services: rules (alarms, rule editing,
// backtest over a real influxd), the case system (workflow, KPIs) and the
// console routes, all on one Fastify server as the rules service mounts them;
// a real Aedes broker carries a manhole-cover reading in and the alarm event
// out to the live feed. Sign in, see devices on the map, acknowledge the
// alarm, move its case through every state with three roles, run a backtest.
// Screenshots go to var/test-artifacts/.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import type { Browser, Page } from 'playwright-core';
import { loadProfiles } from '../../device-profiles/index.ts';
import { encodeUplinkBatch, topics } from '../../proto/index.ts';
import type { RulesService } from '../../rules/index.ts';
import { startInfluxd, tempDir, waitFor, writeSimulatedTelemetry, type TestInfluxd } from './helpers.ts';
import { launchConsoleBrowser, openConsolePage, signInToConsole, type ConsolePerson } from '../../testing/console-browser.ts';
import { startConsoleStack, type ConsoleStack } from '../../testing/console-stack.ts';

const ARTIFACTS = join(process.cwd(), 'var/test-artifacts');
const SERVICE_PASSWORD = 'console-test-secret';
const GW = 'gw-0001';
const profiles = loadProfiles();
const dir = tempDir('tz-console-it-');

let influx: TestInfluxd;
let stack: ConsoleStack;
let rules: RulesService;
let gateway: MqttClient;
let browser: Browser;
let page: Page;
let tokens: Record<ConsolePerson, string>;
let deviceCount = 0;

async function apiGet<T>(path: string, token = tokens.operator): Promise<T> {
  const res = await fetch(`${rules.httpUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<T>;
}

async function shot(name: string): Promise<void> {
  await page.screenshot({ path: join(ARTIFACTS, `console-${name}.png`), fullPage: true });
}

const signInAs = (role: ConsolePerson) => signInToConsole(page, tokens[role], { until: { who: role } });

test.before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  influx = await startInfluxd();
  const devices = await writeSimulatedTelemetry(influx, { profiles: profiles.all(), devicesPerClass: 6, districts: ['gulou', 'taijiang', 'cangshan', 'jinan'], readingsPerDevice: 48, everyMs: 1_800_000 });
  deviceCount = [...devices.values()].reduce((n, ids) => n + ids.length, 0);

  stack = await startConsoleStack({ dir: dir.path, password: SERVICE_PASSWORD, profiles, influx: { url: influx.url, database: influx.database } });
  ({ rules, tokens } = stack);
  const crew = await fetch(`${rules.httpUrl}/api/v1/crews`, {
    method: 'POST', headers: { authorization: `Bearer ${tokens.dispatcher}`, 'content-type': 'application/json' },
    body: JSON.stringify({ id: 'crew-a', name: 'Crew A', department: 'municipal-facilities', districts: ['*'], skills: ['*'] }),
  });
  assert.ok(crew.ok, `crew created: ${crew.status} ${await crew.text()}`);
  gateway = await mqtt.connectAsync(stack.broker.url, { clientId: 'console-test-gw', username: GW, password: SERVICE_PASSWORD, reconnectPeriod: 0 });

  browser = await launchConsoleBrowser();
  // English: this file checks the English words; console-people.test.ts covers zh-CN.
  ({ page } = await openConsolePage(browser, { viewport: { width: 1400, height: 900 }, lang: 'en' }));
  // Offline means offline: anything not served by the rules service fails the test.
  const outside: string[] = [];
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(rules.httpUrl)) return route.continue();
    outside.push(url);
    return route.abort();
  });
  (globalThis as { outside?: string[] }).outside = outside;
});

test.after(async () => {
  await browser?.close();
  await gateway?.endAsync(true);
  await stack?.stop();
  await influx?.stop();
  dir.remove();
});

test('sign in with an API token; a wrong token is refused', async () => {
  await page.goto(`${rules.httpUrl}/console/`);
  await page.fill('#token', 'tz_0000000000000000_notarealtokennotarealtokennotarealtokenxx');
  await page.click('#sign-in');
  await page.waitForSelector('[data-testid="notice-error"]:has-text("unknown or revoked")');
  await signInAs('operator');
  assert.match(await page.textContent('#who') ?? '', 'olga · operator');
});

test('the map shows every device, clustered when zoomed out, in its state colour', async () => {
  await page.goto(`${rules.httpUrl}/console/#/map`);
  await page.waitForSelector(`#device-count:has-text("${deviceCount} devices")`);
  const ok = Number(await page.textContent('#count-ok'));
  const offline = Number(await page.textContent('#count-offline'));
  assert.is(ok + offline + Number(await page.textContent('#count-alarm')), deviceCount);
  assert.ok(ok > 0, 'recent simulated readings make devices ok');
  const clusters = await page.locator('.tz-cluster').count();
  const singles = await page.locator('path.tz-device').count();
  assert.ok(clusters > 0, 'zoomed out, devices are clustered');
  const clustered = await page.locator('.tz-cluster').evaluateAll((els) => els.reduce((n, e) => n + Number((e as HTMLElement).dataset.count), 0));
  assert.is(clustered + singles, deviceCount, 'every device is in exactly one marker');
  await shot('map');
  await page.evaluate(() => (document.querySelector('.leaflet-control-zoom-in') as HTMLElement).click());
  await page.evaluate(() => (document.querySelector('.leaflet-control-zoom-in') as HTMLElement).click());
  await page.evaluate(() => (document.querySelector('.leaflet-control-zoom-in') as HTMLElement).click());
  await waitFor('single device markers after zooming in', async () => ((await page.locator('path.tz-device').count()) > singles ? true : undefined), 5000, 100);
});

let alarmId = '';
test('a manhole cover opens: the alarm appears live and is acknowledged from the list', async () => {
  await page.goto(`${rules.httpUrl}/console/#/alarms`);
  await page.waitForSelector('#alarms');
  const now = Date.now();
  const readings = [0, 1].map((i) => ({ deviceId: 'mc-0001', profile: 'manhole-cover', profileVersion: profiles.get('manhole-cover')!.version, timestampMs: now + i * 1000, seq: 1000 + i, district: 'gulou', metrics: [{ name: 'cover_open', flag: true }, { name: 'tilt_deg', number: 3 }, { name: 'battery_pct', number: 80 }] }));
  await gateway.publishAsync(topics.batch(GW), Buffer.from(encodeUplinkBatch({ gatewayId: GW, batchSeq: 1, sentAtMs: now, readings })), { qos: 1 });
  const row = page.locator('tr[data-state="active"]:has-text("mc-0001")').first();
  await row.waitFor();
  alarmId = (await row.getAttribute('data-alarm-id'))!;
  await shot('alarms-live');
  await row.locator('input').fill('crew informed');
  await row.locator(`[data-testid="ack-${alarmId}"]`).click();
  await page.waitForSelector(`tr[data-alarm-id="${alarmId}"][data-state="acknowledged"]`);
  const alarm = await apiGet<{ state: string; acknowledgedBy: string }>(`/api/v1/alarms/${alarmId}`);
  assert.is(alarm.state, 'acknowledged');
  assert.match(alarm.acknowledgedBy, 'olga');
  await shot('alarms-acknowledged');
});

async function act(caseId: number, action: string, note?: string): Promise<void> {
  const card = page.locator(`.card[data-case-id="${caseId}"]`);
  await card.waitFor();
  if (note) await card.locator('input').fill(note);
  if (action === 'dispatch') await card.locator('select').selectOption('crew-a');
  await card.locator(`button[data-action="${action}"]`).click();
  await page.waitForSelector(`[data-testid="notice-info"]:has-text("Case ${caseId}: ${action}")`);
}

test('the case opened by the alarm moves through every state, each role seeing only its actions', async () => {
  const { cases: list } = await waitFor('a case for mc-0001', async () => {
    const r = await apiGet<{ cases: Array<{ id: number; status: string; assetId: string }> }>('/api/v1/cases?assetId=mc-0001');
    return r.cases.length > 0 ? r : undefined;
  }, 10_000);
  const caseId = list[0]!.id;
  await page.goto(`${rules.httpUrl}/console/#/cases`);
  const card = page.locator(`.card[data-case-id="${caseId}"]`);
  await card.waitFor();
  assert.match(await card.locator('.sla').textContent() ?? '', /(dispatch|handle) (due in|overdue by) \d/);
  // The alarm intake registers the case and may auto-dispatch it to crew-a (area and skills match).
  const status = await card.getAttribute('data-status');
  assert.ok(['reported', 'registered', 'dispatched'].includes(status!), `fresh case is ${status}`);
  assert.is(await card.locator('button[data-action="accept"]').count(), 0, 'an operator cannot accept for a crew');
  if (status === 'reported') await act(caseId, 'register');
  if (status !== 'dispatched') await act(caseId, 'dispatch');
  await page.waitForSelector(`[data-column="dispatched"] .card[data-case-id="${caseId}"]`);
  await shot('cases-dispatched');

  await signInAs('crew');
  await page.goto(`${rules.httpUrl}/console/#/cases`);
  await act(caseId, 'accept');
  await act(caseId, 'handle');
  assert.is(await page.locator(`.card[data-case-id="${caseId}"] button[data-action="verify"]`).count(), 0, 'a crew cannot verify its own work');
  await shot('cases-handled-by-crew');

  // Verification (核查) is the supervision centre's inspector, with evidence (GB/T 30428); the console has no inspector page yet.
  const verified = await fetch(`${rules.httpUrl}/api/v1/cases/${caseId}/actions/verify`, { method: 'POST', headers: { authorization: `Bearer ${tokens.inspector}`, 'content-type': 'application/json' }, body: JSON.stringify({ evidence: 'patrol check' }) });
  assert.is(verified.status, 200);
  await signInAs('operator');
  await page.goto(`${rules.httpUrl}/console/#/cases`);
  await act(caseId, 'close');
  await page.waitForSelector(`[data-column="closed"] .card[data-case-id="${caseId}"]`);
  const done = await apiGet<{ status: string; events: Array<{ action: string; who: string }> }>(`/api/v1/cases/${caseId}`);
  assert.is(done.status, 'closed');
  const actions = done.events.map((e) => e.action);
  for (const a of ['dispatch', 'accept', 'handle', 'verify', 'close']) assert.ok(actions.includes(a), `audit trail has ${a}: ${actions.join(',')}`);
  await shot('cases-closed');
});

test('device page: status, latest values and a 24 h chart from InfluxDB', async () => {
  await page.goto(`${rules.httpUrl}/console/#/device/mc-0002`);
  await page.waitForSelector('#latest-values td[data-metric="tilt_deg"]');
  assert.not.equal(await page.textContent('#latest-values td[data-metric="tilt_deg"]'), '—');
  await page.waitForSelector('#history-chart .uplot');
  assert.ok(Number(await page.getAttribute('#history-chart', 'data-points')) > 10, 'history has points');
  assert.match(await page.textContent('#device-status') ?? '', 'Status: ok');
  await shot('device');
});

test('rule editor: backtest the cover-open rule over the simulated history and chart the would-be alarms', async () => {
  const { rules: list } = await apiGet<{ rules: Array<{ id: string }> }>('/api/v1/rules');
  const ruleId = list.find((r) => r.id.includes('cover-open'))!.id;
  await page.goto(`${rules.httpUrl}/console/#/rules/${encodeURIComponent(ruleId)}`);
  await page.waitForSelector('#rule-json');
  // The console reads the range in the city's time (Asia/Shanghai, UTC+8): 26 h ago there.
  await page.fill('#backtest-from', new Date(Date.now() - 26 * 3600_000 + 8 * 3600_000).toISOString().slice(0, 16));
  await page.click('#run-backtest');
  await page.waitForSelector('#backtest-count');
  const shown = Number(await page.textContent('#backtest-count b'));
  assert.ok(shown > 0, `the simulated history has open covers: ${shown}`);
  await page.waitForSelector('#backtest-chart .uplot');
  assert.is(Number(await page.getAttribute('#backtest-chart', 'data-alarms')), shown, 'the chart holds every would-be alarm');
  await shot('rule-backtest');

  // Save a change: it becomes version 1 in the history, by the signed-in operator.
  const doc = JSON.parse(await page.inputValue('#rule-json')) as { name: string };
  doc.name = 'Manhole cover opened (edited in the console)';
  await page.fill('#rule-json', JSON.stringify(doc, null, 2));
  await page.click('#save-rule');
  await page.waitForSelector('[data-testid="notice-info"]:has-text("as version 1")');
  await page.waitForSelector('#rule-history tr[data-version="1"]');
  assert.match(await page.textContent('#rule-history tr[data-version="1"]') ?? '', 'olga');
  const saved = await apiGet<{ name: string; version: number }>(`/api/v1/rules/${encodeURIComponent(ruleId)}`);
  assert.equal([saved.name, saved.version], ['Manhole cover opened (edited in the console)', 1]);
  await shot('rule-saved');
});

test('KPI page shows the urban-management rates; nothing was fetched from outside the service', async () => {
  await page.goto(`${rules.httpUrl}/console/#/kpis`);
  await page.waitForSelector('[data-kpi="closureRate"] .value');
  assert.match(await page.textContent('[data-kpi="closureRate"] .value') ?? '', '%');
  await shot('kpis');
  assert.equal((globalThis as { outside?: string[] }).outside, []);
});

test.run();
