// Gateway configuration and commands from the centre (issue 15, part B), all
// real parts: the tianzhong broker (Aedes over TCP, users and topic ACLs), a
// simulated district of Modbus TCP slaves, simulated LoRa meters behind a
// Semtech packet forwarder (UDP), an edge agent started from a bootstrap YAML
// without devices, and the centre's GatewayConfigPublisher and CommandCenter
// on their own MQTT session with the `rules` role. Waits are on MQTT
// messages (each one re-checks the condition), never on sleeps.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { EventEmitter } from 'node:events';
import Database from 'better-sqlite3';
import Fastify, { type FastifyInstance } from 'fastify';
import mqtt, { type MqttClient } from 'mqtt';
import { Registry } from 'prom-client';
import { BrokerUsers, startBroker, type RunningBroker } from '../../broker/index.ts';
import { BUILTIN_PROFILE_DIR, loadProfiles, metricOfValue } from '../../device-profiles/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../../edge-agent/index.ts';
import { SimulatedAbpDevice, SimulatedPacketForwarder, applyWaterMeterDownlink, encodeWaterMeterUplink, startSimulatedDistrict, WATER_METER_FPORT, type SimulatedDistrict, type WaterMeterState } from '../../firmware-sim/index.ts';
import { decodeGatewayStatus, decodeUplinkBatch, metricValueOf, parseGatewayTopic, topics, tz, type GatewayStatus, type IReading } from '../../proto/index.ts';
import { createLogger, openAccessTokens, systemClock } from '../../service-kit/index.ts';
import { CommandCenter, commandRoutes } from '../../registry/commands/index.ts';
import { GatewayConfigPublisher, type ConfigDevice } from '../../registry/config-push/index.ts';
import { sendDeviceCommand } from '../../cli/commands/device-command.ts';
import { tempDir } from './helpers.ts';

const GW = 'gw-cfg-01';
const GW_PASSWORD = 'gateway-password-1';
const CENTRE_PASSWORD = 'centre-password-1';
const LORA_KEYS = { devEui: '70b3d57ed0000001', devAddr: '26011bda', nwkSKey: '2b7e151628aed2a6abf7158809cf4f3c', appSKey: '000102030405060708090a0b0c0d0e0f' };
const profiles = loadProfiles();
const data = tempDir('tz-gateway-config-');
const log = createLogger('test', 'silent');

let broker: RunningBroker;
let district: SimulatedDistrict;
let centre: MqttClient;
let agent: EdgeAgent;
let publisher: GatewayConfigPublisher;
let center: CommandCenter;
let api: FastifyInstance;
let apiUrl: string;
let operatorToken: string;
let forwarder: SimulatedPacketForwarder | undefined;

const seen = new EventEmitter();
seen.setMaxListeners(0);
const readings = new Map<string, IReading[]>();
const statuses: GatewayStatus[] = [];
/** The devices the centre last pushed (what lookupDevice answers from). */
let registryDevices: ConfigDevice[] = [];

/** Resolves when `probe` gives a value: checked now and after every MQTT message the centre receives. */
function until<T>(what: string, probe: () => T | undefined, timeoutMs = 15_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      const value = probe();
      if (value === undefined) return;
      clearTimeout(timer);
      seen.off('message', check);
      resolve(value);
    };
    const timer = setTimeout(() => {
      seen.off('message', check);
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    seen.on('message', check);
    check();
  });
}

const valueIn = (r: IReading, metric: string): number | boolean | null => {
  const m = (r.metrics ?? []).find((x) => metricOfValue(profiles.require(String(r.profile)), x)?.name === metric);
  return m ? metricValueOf(m) : null;
};
const count = (deviceId: string): number => readings.get(deviceId)?.length ?? 0;
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
/** Gaps between the last n+1 readings' device timestamps (ms). */
const lastGaps = (deviceId: string, n: number): number[] => {
  const ts = (readings.get(deviceId) ?? []).slice(-(n + 1)).map((r) => Number(r.timestampMs));
  return ts.slice(1).map((t, i) => t - ts[i]!);
};

function bootstrap() {
  // The whole YAML of a registry-managed gateway: broker, credentials, data dir, serial lines, defaults. No devices.
  return parseEdgeAgentConfig({
    gatewayId: GW, brokerUrl: broker.mqttUrl, username: GW, password: GW_PASSWORD, dataDir: data.path,
    serialLines: [{ name: 'rs485-1', path: '/dev/null' }],
    pollIntervalMs: 5000, requestTimeoutMs: 300, batch: { maxReadings: 20, maxDelayMs: 50 }, statusIntervalMs: 60_000,
    lora: { host: '127.0.0.1', port: 0, dedupWindowMs: 200 }, commandTimeoutMs: 10_000,
  }, 'gw.yaml');
}

async function push(devices: ConfigDevice[], reason: string) {
  registryDevices = devices;
  return publisher.push({ id: GW }, devices, reason);
}

const modbus = (deviceId: string, pollIntervalMs: number): ConfigDevice => {
  const d = district.devices.find((x) => x.deviceId === deviceId)!;
  return { id: d.deviceId, profile: d.profile, district: d.district, transport: { kind: 'modbus-tcp', host: d.host, port: d.port, unitId: d.unitId }, pollIntervalMs };
};

let mh1: string;
let pole1: string;
let pole2: string;

test.before(async () => {
  const users = BrokerUsers.inMemory();
  users.add(GW, GW_PASSWORD, 'gateway');
  users.add('tz-centre', CENTRE_PASSWORD, 'rules');
  broker = await startBroker({ users, port: 0, host: '127.0.0.1', gatewayEvents: false, log });
  district = await startSimulatedDistrict({ profiles, devices: 8, seed: 15, devicesPerBus: 8, tickMs: 3_600_000 });
  mh1 = district.devices.find((d) => d.profile === 'manhole-cover')!.deviceId;
  [pole1, pole2] = district.devices.filter((d) => d.profile === 'smart-pole').map((d) => d.deviceId) as [string, string];

  centre = mqtt.connect(broker.mqttUrl, { clientId: 'tz-centre', username: 'tz-centre', password: CENTRE_PASSWORD, reconnectPeriod: 200 });
  await new Promise<void>((resolve, reject) => {
    centre.once('connect', () => resolve());
    centre.once('error', reject);
  });
  const db = new Database(':memory:');
  const registry = new Registry();
  publisher = new GatewayConfigPublisher({ db, profiles, registry, log, clock: systemClock, channel: { publish: (t, p, o) => centre.publishAsync(t, p, o) } });
  center = new CommandCenter({
    db, profiles, registry, log, clock: systemClock, timeoutMs: 10_000,
    lookupDevice: (id) => {
      const d = registryDevices.find((x) => x.id === id);
      return d ? { gatewayId: GW, profile: d.profile } : undefined;
    },
    channel: { publish: (t, p, o) => centre.publishAsync(t, p, o) },
  });
  const access = openAccessTokens(db);
  operatorToken = access.issue({ name: 'ops-desk-1', role: 'operator' }).token;
  api = Fastify();
  await api.register(commandRoutes, { center, access });
  apiUrl = await api.listen({ host: '127.0.0.1', port: 0 });

  centre.on('message', (topic, payload) => {
    publisher.onMessage(topic, payload);
    center.onMessage(topic, payload);
    const parsed = parseGatewayTopic(topic);
    if (parsed?.kind === 'batch') {
      for (const r of decodeUplinkBatch(payload).readings) readings.set(String(r.deviceId), [...(readings.get(String(r.deviceId)) ?? []), r]);
    } else if (parsed?.kind === 'status' && payload.length > 0) {
      statuses.push(decodeGatewayStatus(payload));
    }
    seen.emit('message');
  });
  await centre.subscribeAsync([topics.allStatus, topics.allBatches, topics.allCommandAcks], { qos: 1 });
  agent = await startEdgeAgent(bootstrap(), { profiles, profileDir: BUILTIN_PROFILE_DIR, log });
});

test.after(async () => {
  await forwarder?.stop();
  await agent?.stop();
  await api?.close();
  await centre?.endAsync();
  await district?.stop();
  await broker?.stop();
  data.remove();
});

test('a gateway started without devices runs what the centre pushes; a new device and a new poll interval apply without a restart', async () => {
  await until('the agent online (retained status, no config yet)', () => statuses.find((s) => s.state === tz.GatewayState.GATEWAY_STATE_ONLINE));
  assert.is(agent.stats().devices, 0);
  const v1 = await push([modbus(mh1, 1000), modbus(pole1, 250)], 'initial: 2 devices');
  assert.equal([v1.outcome, v1.version], ['pushed', 1]);
  await until('v1 applied', () => (publisher.state(GW)?.state === 'in-sync' ? true : undefined));
  assert.is(statuses.at(-1)!.configVersion, 1);
  await until('3 readings of the manhole at 1 s', () => (count(mh1) >= 4 ? true : undefined));
  assert.ok(median(lastGaps(mh1, 3)) >= 800, `v1 interval ~1000 ms, gaps ${lastGaps(mh1, 3).join(', ')}`);
  assert.is(count(pole2), 0, 'pole 2 is not configured yet');
  const seqBefore = Number(readings.get(mh1)!.at(-1)!.seq);

  const v2 = await push([modbus(mh1, 200), modbus(pole1, 250), modbus(pole2, 250)], 'pole 2 added, manhole polled faster');
  assert.is(v2.version, 2);
  await until('v2 applied', () => (publisher.state(GW)?.state === 'in-sync' && publisher.state(GW)!.appliedVersion === 2 ? true : undefined));
  await until('readings of the new pole', () => (count(pole2) >= 3 ? true : undefined));
  const mhAtV2 = count(mh1);
  await until('6 readings of the manhole at the new interval', () => (count(mh1) >= mhAtV2 + 6 ? true : undefined));
  const gaps = lastGaps(mh1, 5);
  assert.ok(median(gaps) < 500, `v2 interval ~200 ms, gaps ${gaps.join(', ')}`);
  const seqs = readings.get(mh1)!.map((r) => Number(r.seq));
  for (let i = 1; i < seqs.length; i++) assert.is(seqs[i], seqs[i - 1]! + 1, 'seq continues without a gap or reset: same agent, same disk queue');
  assert.ok(seqs.at(-1)! > seqBefore);
  assert.ok(!statuses.some((s) => s.state === tz.GatewayState.GATEWAY_STATE_OFFLINE), 'the MQTT session never went down');
  assert.is(agent.stats().devices, 3);
  assert.equal((await publisher.push({ id: GW }, registryDevices)).outcome, 'unchanged', 'the same list is not pushed again');
});

test('an invalid config is refused with its reason; the previous one keeps running', async () => {
  const rtu: ConfigDevice = { id: 'mh-rtu-9', profile: 'manhole-cover', district: 'gulou', transport: { kind: 'modbus-rtu', line: 'rs485-9', unitId: 3 } };
  const v3 = await push([modbus(mh1, 200), modbus(pole1, 250), modbus(pole2, 250), rtu], 'a device on a line this gateway lacks');
  assert.is(v3.version, 3);
  const refused = await until('v3 refused', () => (publisher.state(GW)?.state === 'refused' ? publisher.state(GW)! : undefined));
  assert.is(refused.refusedVersion, 3);
  assert.is(refused.appliedVersion, 2);
  assert.match(refused.refusedReason, /unknown serial line "rs485-9"/);
  const status = statuses.at(-1)!;
  assert.equal([status.configVersion, status.configRejectedVersion], [2, 3]);
  const pole2Before = count(pole2);
  await until('pole 2 still reporting under v2', () => (count(pole2) >= pole2Before + 3 ? true : undefined));
  assert.is(agent.stats().devices, 3);
});

test('commands round trip: set_dimming and play_warning change the simulated pole, acks recorded (API + CLI)', async () => {
  const dim = await center.send({ deviceId: pole1, name: 'set_dimming', params: { level: 35 }, requestedBy: 'test' });
  const dimmed = await center.settled(dim.commandId, 10_000);
  assert.equal([dimmed.state, dimmed.result], ['acked', 'ok'], dimmed.detail ?? '');
  assert.is(district.valueOf(pole1, 'dimming_pct'), 35);

  assert.is(district.valueOf(pole1, 'speaker_message'), 0);
  const answer = await sendDeviceCommand({ api: apiUrl, token: operatorToken, deviceId: pole1, name: 'play_warning', params: { message: 2, volume: 70 }, waitMs: 10_000 });
  assert.equal([answer.state, answer.result], ['acked', 'ok'], answer.detail ?? '');
  assert.equal([district.valueOf(pole1, 'speaker_message'), district.valueOf(pole1, 'speaker_volume_pct')], [2, 70]);
  await until('the playing message read back by polling', () => (readings.get(pole1)!.some((r) => valueIn(r, 'speaker_message') === 2) ? true : undefined));
  const history = center.history(pole1);
  assert.equal(history.map((h) => [h.name, h.state, h.requestedBy]), [['play_warning', 'acked', `operator:ops-desk-1#${operatorToken.split('_')[1]}`], ['set_dimming', 'acked', 'test']]);

  const other = await center.send({ deviceId: pole2, name: 'set_dimming', params: { level: 10 }, requestedBy: 'test', timeoutMs: 10_000 });
  assert.is((await center.settled(other.commandId, 10_000)).state, 'acked');
  assert.is(district.valueOf(pole2, 'dimming_pct'), 10);
  try {
    await sendDeviceCommand({ api: apiUrl, token: operatorToken, deviceId: pole1, name: 'play_warning', params: { message: 9, volume: 70 }, waitMs: 0 });
    assert.unreachable();
  } catch (err) {
    assert.match((err as Error).message, /TZ_COMMAND_INVALID.*"message" 9 is above 8/);
  }
});

test('a LoRa meter pushed in a config: the valve closes by class A downlink, acked', async () => {
  const meter: ConfigDevice = { id: 'wm-lora-1', profile: 'water-meter', district: 'gulou', transport: { kind: 'lorawan', ...LORA_KEYS } };
  const v4 = await push([modbus(mh1, 200), modbus(pole1, 250), modbus(pole2, 250), meter], 'LoRa meter added');
  await until('v4 applied', () => (publisher.state(GW)?.appliedVersion === v4.version ? true : undefined));
  const device = new SimulatedAbpDevice('wm-lora-1', LORA_KEYS);
  forwarder = await SimulatedPacketForwarder.start({ host: '127.0.0.1', port: agent.loraAddress!.port, eui: 'aa555a0000000009', devices: [device], keepaliveMs: 200 });
  const state: WaterMeterState = { volumeM3: 12.5, flowM3h: 0.4, pressureMpa: 0.3, valveOpen: true, reverseFlow: false, batteryPct: 90 };
  await forwarder.push(device.uplink(WATER_METER_FPORT, encodeWaterMeterUplink(state)));
  await until('the meter\'s first reading', () => (count('wm-lora-1') >= 1 ? true : undefined));
  const close = await center.send({ deviceId: 'wm-lora-1', name: 'set_valve', params: { open: false }, requestedBy: 'test' });
  // Class A: the downlink waits for the meter's next uplink. The command may reach the agent after an
  // uplink, so the meter keeps reporting (as it would every few minutes) until the answer comes.
  let closed = close;
  for (let uplinks = 0; closed.state === 'sent' && uplinks < 8; uplinks++) {
    await forwarder.push(device.uplink(WATER_METER_FPORT, encodeWaterMeterUplink(state)));
    closed = await center.settled(close.commandId, 1000);
  }
  assert.equal([closed.state, closed.result], ['acked', 'ok'], closed.detail ?? '');
  const downlink = device.downlinks[0]!;
  assert.ok(applyWaterMeterDownlink(state, downlink.fPort, downlink.bytes));
  assert.is(state.valveOpen, false);
});

test('after a restart the agent runs the last applied config from its data dir before the broker says anything', async () => {
  const before = publisher.state(GW)!.appliedVersion;
  await forwarder?.stop();
  forwarder = undefined;
  await agent.stop();
  const pole2Before = count(pole2);
  agent = await startEdgeAgent(bootstrap(), { profiles, profileDir: BUILTIN_PROFILE_DIR, log });
  assert.is(agent.stats().devices, 4, 'devices of the kept config, not the empty YAML');
  await until('pole 2 reporting again', () => (count(pole2) >= pole2Before + 2 ? true : undefined));
  await until('status with the kept version', () => (statuses.at(-1)?.state === tz.GatewayState.GATEWAY_STATE_ONLINE && statuses.at(-1)?.configVersion === before ? true : undefined));
});

test.run();
