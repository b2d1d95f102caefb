// The rules service with a device registry, as operators run it: a gateway
// and its device written through the registry API reach the gateway as a
// retained GatewayConfig on its own down/config branch; moving the device
// re-renders both gateways; a command posted to the API reaches the gateway
// on down/cmd, and the gateway's CommandAck makes it `acked` in the API;
// the applied config version the gateway reports is kept per gateway.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { join } from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { loadProfiles } from '../../device-profiles/index.ts';
import { decodeCommand, decodeGatewayConfig, encodeCommandAck, encodeGatewayStatus, tz, topics, type GatewayConfig } from '../../proto/index.ts';
import { createLogger } from '../../service-kit/index.ts';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { startRulesService, type RunningRulesService } from '../../cli/rules-service.ts';
import { tempDir, waitFor } from './helpers.ts';

const PASSWORD = { rules: 'centre-rules-secret', gw1: 'centre-gw1-secret', gw2: 'centre-gw2-secret' };
const dir = tempDir('tz-registry-centre-');
const profiles = loadProfiles();
let broker: RunningBroker;
let service: RunningRulesService;
let operator: string;
let admin: string;
const gateways: MqttClient[] = [];
const configs = new Map<string, GatewayConfig[]>();

async function api(method: string, path: string, body?: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(`${service.httpUrl}${path}`, { method, headers: { authorization: `Bearer ${operator}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, body: body === undefined ? undefined : JSON.stringify(body) });
  return { status: res.status, json: (await res.json()) as Record<string, unknown> };
}

async function gateway(id: string, password: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(broker.mqttUrl, { clientId: id, username: id, password, reconnectPeriod: 0 });
  gateways.push(client);
  configs.set(id, []);
  client.on('message', (topic, payload) => {
    if (topic === topics.config(id) && payload.length > 0) configs.get(id)!.push(decodeGatewayConfig(payload));
  });
  await client.subscribeAsync(`tz/v1/gw/${id}/down/#`, { qos: 1 });
  return client;
}

test.before(async () => {
  const users = BrokerUsers.inMemory();
  users.add('tz-rules', PASSWORD.rules, 'rules');
  users.add('gw-c1', PASSWORD.gw1, 'gateway');
  users.add('gw-c2', PASSWORD.gw2, 'gateway');
  broker = await startBroker({ users, port: 0, log: createLogger('broker', 'silent') });
  service = await startRulesService({
    brokerUrl: broker.mqttUrl, username: 'tz-rules', password: PASSWORD.rules, profiles,
    rulesDbPath: join(dir.path, 'rules.sqlite'), casesDbPath: join(dir.path, 'cases.sqlite'), accessDbPath: join(dir.path, 'access.sqlite'),
    registryDbPath: join(dir.path, 'registry.sqlite'), auditDbPath: join(dir.path, 'audit.sqlite'), photoDir: join(dir.path, 'photos'), log: (c) => createLogger(c, 'silent'),
  });
  operator = (await service.access.issue({ name: 'olga', role: 'operator' })).token;
  admin = (await service.access.issue({ name: 'ada', role: 'admin' })).token;
});

test.after(async () => {
  for (const g of gateways) await g.endAsync(true);
  await service?.stop();
  await broker?.stop();
  dir.remove();
});

test('a device written in the registry reaches its gateway as a retained config; a move re-renders both gateways; the applied version is kept', async () => {
  const gw1 = await gateway('gw-c1', PASSWORD.gw1);
  await gateway('gw-c2', PASSWORD.gw2);
  for (const id of ['gw-c1', 'gw-c2']) assert.is((await api('POST', '/api/v1/gateways', { id, name: `网关 ${id}` })).status, 201, `gateway ${id}`);
  const created = await api('POST', '/api/v1/devices', {
    id: 'sp-c001', class: 'smart-pole', gatewayId: 'gw-c1', transport: 'modbus-tcp', host: '127.0.0.1', port: 1502, unit: 3,
    pollIntervalS: 30, district: 'yicheng', state: 'active',
  });
  assert.is(created.status, 201, JSON.stringify(created.json));

  const first = await waitFor('gw-c1 config with the pole', () => configs.get('gw-c1')!.find((c) => c.devices.some((d) => d.deviceId === 'sp-c001')), 15_000, 50);
  const pole = first.devices.find((d) => d.deviceId === 'sp-c001')!;
  assert.is(pole.profile, 'smart-pole');
  assert.is(Number(pole.pollIntervalMs), 30_000);
  assert.is(first.gatewayId, 'gw-c1');

  // The gateway reports the version it applied; the registry keeps it per gateway.
  await gw1.publishAsync(topics.status('gw-c1'), Buffer.from(encodeGatewayStatus({ gatewayId: 'gw-c1', state: tz.GatewayState.GATEWAY_STATE_ONLINE, timestampMs: Date.now(), configVersion: first.version })), { qos: 1, retain: true });
  await waitFor('applied version in the registry', async () => {
    const g = (await api('GET', '/api/v1/gateways/gw-c1')).json as { reportedConfigVersion?: number | null };
    return Number(g.reportedConfigVersion) === Number(first.version) ? true : undefined;
  }, 10_000, 50);

  // Moving the pole: gw-c2 gets it, gw-c1 gets a newer config without it.
  assert.is((await api('PATCH', '/api/v1/devices/sp-c001', { gatewayId: 'gw-c2' })).status, 200);
  const moved = await waitFor('gw-c2 config with the pole', () => configs.get('gw-c2')!.find((c) => c.devices.some((d) => d.deviceId === 'sp-c001')), 15_000, 50);
  assert.ok(moved);
  const emptied = await waitFor('gw-c1 config without the pole', () => configs.get('gw-c1')!.find((c) => Number(c.version) > Number(first.version) && !c.devices.some((d) => d.deviceId === 'sp-c001')), 15_000, 50);
  assert.ok(emptied);
});

test('a command posted to the API reaches the gateway on down/cmd and its ack shows in the API', async () => {
  const gw2 = gateways[1]!;
  const commands: Array<{ commandId: string; deviceId: string; name: string }> = [];
  gw2.on('message', (topic, payload) => {
    if (topic === topics.command('gw-c2')) commands.push(decodeCommand(payload) as unknown as { commandId: string; deviceId: string; name: string });
  });
  const sent = await api('POST', '/api/v1/devices/sp-c001/commands', { name: 'set_dimming', params: { level: 40 } });
  assert.ok(sent.status === 202 || sent.status === 200, JSON.stringify(sent.json));
  assert.is(sent.json.state, 'sent');
  const cmd = await waitFor('the command at gw-c2', () => commands.find((c) => c.commandId === sent.json.commandId), 10_000, 20);
  assert.is(cmd.deviceId, 'sp-c001');
  assert.is(cmd.name, 'set_dimming');
  await gw2.publishAsync(topics.commandAck('gw-c2'), Buffer.from(encodeCommandAck({ commandId: cmd.commandId, deviceId: 'sp-c001', result: tz.CommandResult.COMMAND_RESULT_OK, timestampMs: Date.now() })), { qos: 1 });
  const acked = await waitFor('acked in the API', async () => {
    const r = await api('GET', `/api/v1/commands/${cmd.commandId}`);
    return r.json.state === 'acked' ? r.json : undefined;
  }, 10_000, 50);
  assert.is(acked.requestedBy, `operator:olga#${operator.split('_')[1]}`);
  // A command the profile does not have is refused before it is sent.
  const bad = await api('POST', '/api/v1/devices/sp-c001/commands', { name: 'launch_rocket' });
  assert.is(bad.status, 400);
  assert.is(bad.json.code, 'TZ_COMMAND_INVALID');
});

test('the one audit log holds the registry changes, the commands sent (and refused) and every config pushed', async () => {
  const audit = async (action: string) => {
    const res = await fetch(`${service.httpUrl}/api/v1/audit?action=${action}&limit=100`, { headers: { authorization: `Bearer ${admin}` } });
    assert.is(res.status, 200);
    return ((await res.json()) as { records: Array<{ action: string; actor: string; target: string; result: string; details: Record<string, unknown> }> }).records;
  };
  const commands = await audit('device.command');
  assert.is(commands.length, 2, 'the sent command and the refused one');
  assert.ok(commands.some((r) => r.result === 'ok' && r.actor.includes('olga')), JSON.stringify(commands));
  assert.ok(commands.some((r) => r.result !== 'ok'), 'the refused command is recorded too');
  const pushes = await audit('gateway.config.push');
  for (const gw of ['gw-c1', 'gw-c2']) assert.ok(pushes.some((r) => r.target === gw && r.result === 'ok' && r.details.version !== undefined), `${gw}: ${JSON.stringify(pushes)}`);
  assert.ok((await audit('device.update')).some((r) => r.target.includes('sp-c001') || JSON.stringify(r).includes('sp-c001')), 'the move is recorded');
  assert.not.match(JSON.stringify(pushes), /1502|127\.0\.0\.1/, 'configs are recorded by version, never their contents');
});

test.run();
