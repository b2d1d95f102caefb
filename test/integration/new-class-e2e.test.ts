// A new device class travels end to end from its profile alone, no code: a
// "bridge-strain" profile written into a temp profiles folder is simulated on
// a Modbus TCP bus, polled by the edge agent, carried by the broker, written
// by ingest to a real influxd, evaluated by the rules service (alarm → case),
// and gets its own generated Grafana dashboards.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { loadProfiles } from '../../device-profiles/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../../edge-agent/index.ts';
import { startSimulatedProfileDevices, type SimulatedProfileDevices } from '../../firmware-sim/index.ts';
import { queryInfluxQL, startIngest, type Ingest } from '../../ingest/index.ts';
import { startRulesService, type RunningRulesService } from '../../cli/rules-service.ts';
import { renderGrafanaFiles } from '../../dashboards/grafana/build.ts';
import { createLogger } from '../../service-kit/index.ts';
import { startInfluxd, tempDir, waitFor, type TestInfluxd } from './helpers.ts';

const BRIDGE_PROFILE = `# A class nobody wrote code for: strain gauges on a bridge girder.
class: bridge-strain
version: 1
title: Bridge strain monitor
measurement: bridge_strain
reportIntervalSeconds: 60
metrics:
  - { name: strain_ue, type: number, unit: "ue", min: -2000, max: 2000, description: "Girder strain, microstrain" }
  - { name: deflection_mm, type: number, unit: mm, min: 0, max: 200 }
  - { name: temperature_c, type: number, unit: degC, min: -40, max: 85 }
  - { name: crack_detected, type: boolean }
modbus:
  registers:
    - { metric: crack_detected, table: discrete, address: 0, type: bool }
    - { metric: strain_ue, table: input, address: 0, type: int16, scale: 0.5 }
    - { metric: deflection_mm, table: input, address: 1, type: uint16, scale: 0.01 }
    - { metric: temperature_c, table: input, address: 2, type: int16, scale: 0.1 }
rules:
  - id: girder-overstrain
    name: Girder strain above the design limit
    when: { metric: strain_ue, op: ">", value: 800 }
    clear: { metric: strain_ue, op: "<", value: 600 }
    severity: critical
    case: { category: bridge-structure, priority: urgent }
`;

const dir = tempDir('tz-newclass-');
const profileDir = join(dir.path, 'profiles');
const PW = { gw: 'gw-bridge-secret', ingest: 'tz-ingest-secret!', rules: 'tz-rules-secret!' };
let influxd: TestInfluxd;
let broker: RunningBroker;
let ingest: Ingest;
let rules: RunningRulesService;
let sim: SimulatedProfileDevices;
let agent: EdgeAgent;
let operatorToken: string;

const api = async (path: string): Promise<Array<Record<string, unknown>>> => {
  const res = await fetch(`${rules.httpUrl}${path}`, { headers: { authorization: `Bearer ${operatorToken}` } });
  assert.is(res.status, 200, path);
  const body = (await res.json()) as Record<string, unknown>;
  const list = Array.isArray(body) ? body : Object.values(body).find(Array.isArray);
  return (list ?? []) as Array<Record<string, unknown>>;
};

test.before(async () => {
  mkdirSync(profileDir);
  writeFileSync(join(profileDir, 'bridge-strain.yaml'), BRIDGE_PROFILE);
  const profiles = loadProfiles(profileDir);
  influxd = await startInfluxd();
  const influx = { url: influxd.url, database: influxd.database };
  const users = BrokerUsers.inMemory();
  users.add('gw-bridge', PW.gw, 'gateway');
  users.add('tz-ingest', PW.ingest, 'ingest');
  users.add('tz-rules', PW.rules, 'rules');
  broker = await startBroker({ users, port: 0 });
  ingest = await startIngest({ brokerUrl: broker.mqttUrl, username: 'tz-ingest', password: PW.ingest, influx, profiles, deadLetterPath: join(dir.path, 'dlq.sqlite'), lingerMs: 10 });
  rules = await startRulesService({
    brokerUrl: broker.mqttUrl, username: 'tz-rules', password: PW.rules, profiles, influx, deviceRegistryUrl: ingest.httpUrl,
    rulesDbPath: join(dir.path, 'rules.sqlite'), casesDbPath: join(dir.path, 'cases.sqlite'), accessDbPath: join(dir.path, 'access.sqlite'),
    photoDir: join(dir.path, 'photos'), log: createLogger,
  });
  operatorToken = (await rules.access.issue({ name: 'e2e-operator', role: 'operator' })).token;
  sim = await startSimulatedProfileDevices({ profiles, devices: [{ deviceId: 'br-0001', profile: 'bridge-strain' }, { deviceId: 'br-0002', profile: 'bridge-strain' }] });
  agent = await startEdgeAgent(parseEdgeAgentConfig({
    gatewayId: 'gw-bridge', brokerUrl: broker.mqttUrl, username: 'gw-bridge', password: PW.gw, dataDir: join(dir.path, 'edge'),
    devices: sim.devices.map((d) => ({ deviceId: d.deviceId, profile: d.profile, district: 'yicheng', modbus: { host: sim.host, port: sim.port, unitId: d.unitId } })),
    pollIntervalMs: 300, batch: { maxReadings: 20, maxDelayMs: 50 },
  }, 'test'), { profiles, profileDir });
});

test.after(async () => {
  await agent?.stop();
  await sim?.stop();
  await rules?.stop();
  await ingest?.stop();
  await broker?.stop();
  await influxd?.stop();
  dir.remove();
});

test('the new class\'s readings land in its own measurement, decoded by its register map', async () => {
  sim.setValue('br-0001', 'strain_ue', -123.5);
  sim.setValue('br-0001', 'temperature_c', -4.2);
  const row = await waitFor('br-0001 in bridge_strain', async () => {
    const [s] = await queryInfluxQL({ url: influxd.url, database: influxd.database }, `SELECT strain_ue, temperature_c, deflection_mm, crack_detected, gateway FROM bridge_strain WHERE device = 'br-0001' ORDER BY time DESC LIMIT 1`);
    const r = s ? Object.fromEntries(s.columns.map((c, i) => [c, s.values[0]![i]])) : undefined;
    return r && r.strain_ue === -123.5 ? r : undefined;
  }, 30_000, 200);
  assert.is(row.temperature_c, -4.2);
  assert.is(row.deflection_mm, 100, 'the resting value from the profile range');
  assert.is(row.crack_detected, false);
  assert.is(row.gateway, 'gw-bridge');
});

test('its default rule raises an alarm and opens a case, for that device only', async () => {
  sim.setValue('br-0002', 'strain_ue', 950);
  const alarm = await waitFor('girder-overstrain alarm', async () => (await api('/api/v1/alarms?deviceId=br-0002')).find((a) => a.ruleId === 'girder-overstrain'), 30_000, 200);
  assert.is(alarm.severity, 'critical');
  assert.equal(alarm.case, { category: 'bridge-structure', priority: 'urgent' });
  const cases = await waitFor('the case', async () => {
    const list = await api('/api/v1/cases?assetId=br-0002');
    return list.length > 0 ? list : undefined;
  }, 30_000, 200);
  assert.is(cases.length, 1);
  assert.is(cases[0]!.source, 'sensor');
  assert.is((await api('/api/v1/alarms?deviceId=br-0001')).filter((a) => a.ruleId === 'girder-overstrain').length, 0);
});

test('its Grafana dashboards are generated from the profile with a panel per metric', () => {
  const files = renderGrafanaFiles(loadProfiles(profileDir).all());
  const overview = files.find((f) => f.path === 'dashboards/tz-bridge-strain-overview.json');
  assert.ok(overview, files.map((f) => f.path).join(', '));
  const dashboard = JSON.parse(overview.content) as { title: string; panels: Array<{ title?: string; targets?: Array<{ query?: string }>; panels?: unknown[] }> };
  assert.match(dashboard.title, /Bridge strain monitor/);
  const queries = dashboard.panels.flatMap((p) => p.targets ?? []).map((t) => t.query ?? '');
  for (const metric of ['strain_ue', 'deflection_mm', 'temperature_c']) assert.ok(queries.some((q) => q.includes(`"${metric}"`) && q.includes('"bridge_strain"')), `a panel queries ${metric}`);
  assert.ok(files.some((f) => f.path === 'dashboards/tz-bridge-strain-device.json'));
});

test.run();
