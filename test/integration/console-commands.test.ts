// The console's device command panel (issue 15) with every part real: the
// tianzhong broker (Aedes over TCP, users and topic ACLs), a simulated smart
// pole on a Modbus TCP bus, an edge agent started without devices that polls
// what the registry pushes, and the rules service with its device registry
// (the centre sends commands and renders gateway configs). An operator in
// headless Chromium opens the pole's page — its place, grid cell, asset and
// tags from the registry — sends "dim the lamp", sees the command go from
// sent to acknowledged with who and when, and the pole's dimming register
// changed. A dispatcher sees no panel and the API refuses it.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { BUILTIN_PROFILE_DIR, loadProfiles } from '../../device-profiles/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../../edge-agent/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict } from '../../firmware-sim/index.ts';
import { createLogger } from '../../service-kit/index.ts';
import { startRulesService, type RunningRulesService } from '../../cli/rules-service.ts';
import { tempDir, waitFor } from './helpers.ts';
import { issueConsoleTokens, launchConsoleBrowser, openConsolePage, signInToConsole } from '../../testing/console-browser.ts';

const ARTIFACTS = join(process.cwd(), 'var/test-artifacts');
const GW = 'gw-cmd-01';
const PASSWORD = { rules: 'console-cmd-rules-secret', gw: 'console-cmd-gw-secret' };
const profiles = loadProfiles();
const dir = tempDir('tz-console-commands-');
const log = createLogger('test', 'silent');
/** Where the registry puts the pole (WGS-84), and its place in the city plan. */
const PLACE = { lat: 32.9871234, lon: 114.0212345, address: '驿城区 解放路 88 号', district: 'yicheng', gridCell: 'yc-0303', assetId: 'pole-jf-088', tags: ['led', 'speaker'] };

let broker: RunningBroker;
let district: SimulatedDistrict;
let agent: EdgeAgent;
let service: RunningRulesService;
let browser: Browser;
let page: Page;
let pole: string;
let tokens: Record<'operator' | 'dispatcher', string>;

async function api(method: string, path: string, body?: unknown, token = tokens.operator): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${service.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

const signInAs = (role: keyof typeof tokens, name: string) => signInToConsole(page, tokens[role], { serviceUrl: service.httpUrl, until: { who: name } });

test.before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  const users = BrokerUsers.inMemory();
  users.add('tz-rules', PASSWORD.rules, 'rules');
  users.add(GW, PASSWORD.gw, 'gateway');
  broker = await startBroker({ users, port: 0, host: '127.0.0.1', gatewayEvents: false, log });
  district = await startSimulatedDistrict({ profiles, devices: 4, seed: 15, devicesPerBus: 4, tickMs: 3_600_000 });
  pole = district.devices.find((d) => d.profile === 'smart-pole')?.deviceId ?? '';
  assert.ok(pole, 'the simulated district has a smart pole');

  service = await startRulesService({
    brokerUrl: broker.mqttUrl, username: 'tz-rules', password: PASSWORD.rules, profiles,
    rulesDbPath: join(dir.path, 'rules.sqlite'), casesDbPath: join(dir.path, 'cases.sqlite'), accessDbPath: join(dir.path, 'access.sqlite'),
    registryDbPath: join(dir.path, 'registry.sqlite'), auditDbPath: join(dir.path, 'audit.sqlite'), photoDir: join(dir.path, 'photos'), log: (c) => createLogger(c, 'silent'),
  });
  tokens = await issueConsoleTokens(service.access, ['operator', 'dispatcher']);

  // The registry: the gateway, the pole's asset and the pole itself, addressed on its simulated bus.
  const sim = district.devices.find((d) => d.deviceId === pole);
  assert.ok(sim);
  assert.is((await api('POST', '/api/v1/gateways', { id: GW, name: '解放路网关' })).status, 201);
  const asset = await api('POST', '/api/v1/assets', { id: PLACE.assetId, kind: 'pole', name: '解放路 88 号灯杆', lat: PLACE.lat, lon: PLACE.lon, district: PLACE.district, gridCell: PLACE.gridCell });
  assert.is(asset.status, 201, JSON.stringify(asset.json));
  const created = await api('POST', '/api/v1/devices', {
    id: pole, class: 'smart-pole', gatewayId: GW, transport: 'modbus-tcp', host: sim.host, port: sim.port, unit: sim.unitId, pollIntervalS: 1,
    lat: PLACE.lat, lon: PLACE.lon, address: PLACE.address, district: PLACE.district, gridCell: PLACE.gridCell, assetId: PLACE.assetId, tags: PLACE.tags.join(';'), state: 'active',
  });
  assert.is(created.status, 201, JSON.stringify(created.json));

  // A gateway started with no devices: the registry centre pushes the pole to it.
  agent = await startEdgeAgent(parseEdgeAgentConfig({
    gatewayId: GW, brokerUrl: broker.mqttUrl, username: GW, password: PASSWORD.gw, dataDir: join(dir.path, 'agent'),
    pollIntervalMs: 5000, requestTimeoutMs: 500, batch: { maxReadings: 20, maxDelayMs: 50 }, statusIntervalMs: 60_000, commandTimeoutMs: 10_000,
  }, 'gw.yaml'), { profiles, profileDir: BUILTIN_PROFILE_DIR, log });
  await waitFor('the pole in the gateway config', () => ((agent.stats().devices ?? 0) >= 1 ? true : undefined), 20_000, 50);

  browser = await launchConsoleBrowser();
  ({ page } = await openConsolePage(browser, { timeoutMs: 15_000 }));
});

test.after(async () => {
  await browser?.close();
  await agent?.stop();
  await service?.stop();
  await district?.stop();
  await broker?.stop();
  dir.remove();
});

test('the console takes the device place, grid cell, asset and tags from the registry', async () => {
  const { json } = await api('GET', '/console/api/devices');
  const d = (json.devices as Array<Record<string, unknown>>).find((x) => x.deviceId === pole);
  assert.ok(d, 'the registered pole is listed even before it reports');
  assert.equal({ lat: d.lat, lon: d.lon, address: d.address, district: d.district, gridCell: d.gridCell, assetId: d.assetId, tags: d.tags, estimated: d.estimated, registered: d.registered },
    { lat: PLACE.lat, lon: PLACE.lon, address: PLACE.address, district: PLACE.district, gridCell: PLACE.gridCell, assetId: PLACE.assetId, tags: PLACE.tags, estimated: false, registered: true });
});

test('an operator dims the pole from its page (zh-CN): sent, then acknowledged with who and when; the register changed', async () => {
  await signInAs('operator', 'olga');
  await page.goto(`${service.httpUrl}/console/#/device/${pole}`);
  await page.waitForSelector('#device-place[data-registered="true"]');
  const place = await page.textContent('#device-place') ?? '';
  for (const part of [PLACE.address, PLACE.gridCell, PLACE.assetId]) assert.ok(place.includes(part), `${part} in "${place}"`);
  assert.match(await page.textContent('#device-tags') ?? '', /led.*speaker/);
  await page.waitForSelector('#command-panel h3:has-text("设备指令")');
  // The pole's profile offers dimming, the lamp relay and the loudspeaker warning, in Chinese.
  const offered = await page.locator('#command-pick option').allTextContents();
  assert.equal(offered, ['路灯调光', '路灯开关', '喇叭语音警示']);
  assert.is(district.valueOf(pole, 'dimming_pct') === 30, false, 'not at 30 % before the command');

  await page.selectOption('#command-pick', 'set_dimming');
  await page.fill('#cmd-param-level', '30');
  await page.click('#command-send');
  const acked = page.locator('#command-history tr[data-command="set_dimming"][data-state="acked"]');
  await acked.waitFor();
  const cells = await acked.locator('td').allTextContents();
  assert.is(cells[0], '路灯调光');
  assert.match(cells[1] ?? '', /亮度 \(%\) = 30/);
  assert.is(cells[2], '已确认');
  assert.is(cells[3], 'olga');
  assert.match(cells[4] ?? '', /\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/, 'sent at, city time');
  assert.match(cells[5] ?? '', /\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}/, 'answered at');
  assert.is(district.valueOf(pole, 'dimming_pct'), 30, 'the simulated pole\'s dimming register holds the new level');
  await page.screenshot({ path: join(ARTIFACTS, 'console-commands-dimmed.png'), fullPage: true });

  // The loudspeaker warning: two parameters, out of range refused in the page before anything is sent.
  await page.selectOption('#command-pick', 'play_warning');
  await page.fill('#cmd-param-message', '9');
  await page.fill('#cmd-param-volume', '60');
  await page.click('#command-send');
  await page.waitForSelector('[data-testid="notice-error"]:has-text("语音编号")');
  await page.fill('#cmd-param-message', '3');
  await page.click('#command-send');
  await page.locator('#command-history tr[data-command="play_warning"][data-state="acked"]').waitFor();
  assert.equal([district.valueOf(pole, 'speaker_message'), district.valueOf(pole, 'speaker_volume_pct')], [3, 60]);
  const history = (await api('GET', `/api/v1/devices/${pole}/commands`)).json.commands as Array<{ name: string; state: string; requestedBy: string }>;
  // The API keeps who in the one actor format (role:name#token, service-kit's actorOf); the panel shows the name.
  assert.equal(history.map((c) => [c.name, c.state, /^operator:olga#[0-9a-f]+$/.test(String(c.requestedBy))]), [['play_warning', 'acked', true], ['set_dimming', 'acked', true]]);
});

test('a dispatcher sees no command panel, and the API refuses its command', async () => {
  await signInAs('dispatcher', 'dora');
  await page.goto(`${service.httpUrl}/console/#/device/${pole}`);
  await page.waitForSelector('#device-place');
  assert.is(await page.locator('#command-panel').count(), 0);
  const refused = await api('POST', `/api/v1/devices/${pole}/commands`, { name: 'set_dimming', params: { level: 5 } }, tokens.dispatcher);
  assert.is(refused.status, 403);
  assert.is(district.valueOf(pole, 'dimming_pct'), 30, 'unchanged');
});

test.run();
