// The edge agent end to end: a simulated district of real Modbus TCP slaves,
// a real Aedes broker with one user, the agent, and a real MQTT subscriber.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient } from 'mqtt';
import { loadProfiles, metricOfValue } from '../../device-profiles/index.ts';
import { decodeCommandAck, decodeGatewayStatus, decodeUplinkBatch, encodeCommand, metricValueOf, topics, tz, type ICommandAck, type IDeviceStatus, type IGatewayStatus, type IReading } from '../../proto/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict } from '../../firmware-sim/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../../edge-agent/index.ts';
import { counter, freePort, startBareBroker, tempDir, waitFor, type BareBroker } from './helpers.ts';

const USER = 'gw-test';
const PASSWORD = 'right-password';
const profiles = loadProfiles();
const data = tempDir('tz-edge-agent-');

let broker: BareBroker;
let brokerUrl: string;
let district: SimulatedDistrict;
let agent: EdgeAgent;
let badAgent: EdgeAgent | undefined;
let lateAgent: EdgeAgent | undefined;
let observer: MqttClient;

const readings = new Map<string, IReading[]>();
const statuses: IDeviceStatus[] = [];
const batchSeqs: number[] = [];
const gatewayStates: number[] = [];
const gatewayStatuses: IGatewayStatus[] = [];
const acks: ICommandAck[] = [];
const lateReadings: number[] = [];

test.before(async () => {
  broker = await startBareBroker({ login: { password: PASSWORD, usernames: [USER] } });
  brokerUrl = broker.url;

  district = await startSimulatedDistrict({ profiles, devices: 12, seed: 11, devicesPerBus: 6, tickMs: 3_600_000 });

  observer = mqtt.connect(brokerUrl, { clientId: 'observer', username: USER, password: PASSWORD, reconnectPeriod: 200 });
  observer.on('message', (topic, payload) => {
    if (topic === topics.batch('gw-late')) {
      lateReadings.push(...decodeUplinkBatch(payload).readings.map((r) => Number(r.seq)));
      return;
    }
    if (topic === topics.commandAck('gw-sim')) return void acks.push(decodeCommandAck(payload));
    if (topic === topics.status('gw-sim')) {
      const s = decodeGatewayStatus(payload);
      gatewayStatuses.push(s);
      gatewayStates.push(Number(s.state));
      return;
    }
    const batch = decodeUplinkBatch(payload);
    assert.is(batch.gatewayId, 'gw-sim');
    batchSeqs.push(Number(batch.batchSeq));
    for (const r of batch.readings) readings.set(String(r.deviceId), [...(readings.get(String(r.deviceId)) ?? []), r]);
    statuses.push(...batch.statuses);
  });
  await new Promise<void>((resolve, reject) => {
    observer.once('connect', () => resolve());
    observer.once('error', reject);
  });
  await observer.subscribeAsync([topics.batch('gw-sim'), topics.status('gw-sim'), topics.commandAck('gw-sim'), topics.batch('gw-late')], { qos: 1 });
});

test.after(async () => {
  await agent?.stop();
  await badAgent?.stop();
  await lateAgent?.stop();
  await observer?.endAsync();
  await district?.stop();
  await broker?.stop();
  data.remove();
});

function agentConfig(gatewayId: string, password: string, devices = district.devices, url = brokerUrl) {
  return parseEdgeAgentConfig({
    gatewayId, brokerUrl: url, username: USER, password, dataDir: `${data.path}/${gatewayId}`,
    devices: devices.map((d) => ({ deviceId: d.deviceId, profile: d.profile, district: d.district, modbus: { host: d.host, port: d.port, unitId: d.unitId } })),
    pollIntervalMs: 300,
    requestTimeoutMs: 200,
    offlineAfterFailures: 2,
    batch: { maxReadings: 50, maxDelayMs: 150 },
    statusIntervalMs: 300,
  }, 'test');
}

test('every device reports readings equal to what the simulator holds, with increasing seq', async () => {
  const wm = district.devices.find((d) => d.profile === 'water-meter')!;
  district.setValue(wm.deviceId, 'pressure_mpa', 0.321);
  agent = await startEdgeAgent(agentConfig('gw-sim', PASSWORD), { profiles });
  await waitFor('two readings from every device', () => (district.devices.every((d) => (readings.get(d.deviceId)?.length ?? 0) >= 2) ? true : undefined), 20_000, 50);

  for (const d of district.devices) {
    const got = readings.get(d.deviceId)!;
    const r = got[got.length - 1]!;
    assert.is(r.profile, d.profile);
    assert.is(r.district, d.district);
    assert.is(r.profileVersion, 1);
    const metrics = r.metrics ?? [];
    assert.is(metrics.length, profiles.require(d.profile).metrics.length, `${d.deviceId}: all metrics`);
    for (const m of metrics) {
      assert.ok(m.index && !m.name, 'compact index form by default');
      const name = metricOfValue(profiles.require(d.profile), m)!.name;
      assert.is(metricValueOf(m), district.valueOf(d.deviceId, name), `${d.deviceId}.${name}`);
    }
    const seqs = got.map((x) => Number(x.seq));
    assert.is(seqs[0], 1, `${d.deviceId} seq starts at 1`);
    for (let i = 1; i < seqs.length; i++) assert.ok(seqs[i]! > seqs[i - 1]!, `${d.deviceId} seq increases`);
  }
  const byName = (profile: string, ms: IReading['metrics'], name: string) => (ms ?? []).find((m) => metricOfValue(profiles.require(profile), m)?.name === name)!;
  const pinned = byName('water-meter', readings.get(wm.deviceId)!.at(-1)!.metrics, 'pressure_mpa');
  assert.ok(Math.abs((metricValueOf(pinned) as number) - 0.321) < 1e-9, 'the pinned value arrives');
  // Typed by the profile: a boolean is a flag, an integer an exact integer.
  const pole = readings.get(district.devices.find((d) => d.profile === 'smart-pole')!.deviceId)!.at(-1)!.metrics;
  assert.type(byName('smart-pole', pole, 'lamp_on').flag, 'boolean');
  assert.type(byName('smart-pole', pole, 'ev_charger_state').integer, 'number');
  for (let i = 1; i < batchSeqs.length; i++) assert.ok(batchSeqs[i]! > batchSeqs[i - 1]!, 'batchSeq increases');
  await waitFor('retained gateway status ONLINE', () => (gatewayStates.includes(tz.GatewayState.GATEWAY_STATE_ONLINE) ? true : undefined), 5000, 50);
});

test('a silent device goes OFFLINE while its bus neighbours keep reporting, then ONLINE after recover', async () => {
  const silent = district.devices[0]!;
  const neighbour = district.devices.find((d) => d.port === silent.port && d.deviceId !== silent.deviceId)!;
  district.injectFault(silent.deviceId, 'silent');
  const offline = await waitFor('OFFLINE status', () => statuses.find((s) => s.deviceId === silent.deviceId && s.state === tz.DeviceState.DEVICE_STATE_OFFLINE), 10_000, 50);
  assert.is(offline.error, tz.DeviceErrorCode.DEVICE_ERROR_TIMEOUT);
  assert.is(offline.profile, silent.profile);
  const before = readings.get(neighbour.deviceId)!.length;
  const silentBefore = readings.get(silent.deviceId)!.length;
  await waitFor('neighbour keeps reporting', () => (readings.get(neighbour.deviceId)!.length >= before + 3 ? true : undefined), 10_000, 50);
  assert.is(readings.get(silent.deviceId)!.length, silentBefore, 'no readings from the silent device');

  district.injectFault(silent.deviceId, 'recover');
  const offlineAt = statuses.indexOf(offline);
  await waitFor('ONLINE after recover', () => statuses.slice(offlineAt + 1).find((s) => s.deviceId === silent.deviceId && s.state === tz.DeviceState.DEVICE_STATE_ONLINE), 10_000, 50);
  await waitFor('readings resume', () => (readings.get(silent.deviceId)!.length > silentBefore ? true : undefined), 10_000, 50);
  const seqs = readings.get(silent.deviceId)!.map((r) => Number(r.seq));
  assert.ok(seqs.at(-1)! > seqs[silentBefore - 1]!, 'seq continues after the outage');
  assert.ok(counter(agent.stats(), 'pollFailures') > 0);
});

test('gateway status carries per-device state, queue and poll errors', async () => {
  const s = await waitFor('a status with an offline-then-online device', () => gatewayStatuses.at(-1)?.devices?.length === 12 && Number(gatewayStatuses.at(-1)!.pollErrors) > 0 && gatewayStatuses.at(-1)!.devicesOnline === 12 ? gatewayStatuses.at(-1) : undefined, 5000, 50);
  const dev = s.devices!.find((d) => d.deviceId === district.devices[0]!.deviceId)!;
  assert.is(dev.transport, 'modbus-tcp');
  assert.ok(Number(dev.pollErrors) > 0 && Number(dev.lastSeenMs) > 0);
  assert.is(s.devicesOnline, 12);
});

test('commands: a Modbus write checked against the profile, acknowledged, never executed twice', async () => {
  const pole = district.devices.find((d) => d.profile === 'smart-pole')!;
  const send = (c: Parameters<typeof encodeCommand>[0]) => observer.publishAsync(topics.command('gw-sim'), Buffer.from(encodeCommand(c)), { qos: 1 });
  await send({ commandId: 'c-1', deviceId: pole.deviceId, name: 'set_dimming', params: [{ name: 'level', integer: 40 }] });
  const ok = await waitFor('ack c-1', () => acks.find((a) => a.commandId === 'c-1'), 5000, 20);
  assert.is(ok.result, tz.CommandResult.COMMAND_RESULT_OK, ok.reason ?? '');
  assert.is(district.valueOf(pole.deviceId, 'dimming_pct'), 40, 'the register was written');
  district.setValue(pole.deviceId, 'dimming_pct', 70);
  await send({ commandId: 'c-1', deviceId: pole.deviceId, name: 'set_dimming', params: [{ name: 'level', integer: 40 }] });
  await waitFor('second ack for c-1', () => (acks.filter((a) => a.commandId === 'c-1').length === 2 ? true : undefined), 5000, 20);
  assert.is(district.valueOf(pole.deviceId, 'dimming_pct'), 70, 'a duplicate id is not executed again');
  const table: Array<[string, Parameters<typeof encodeCommand>[0], number, RegExp]> = [
    ['out of range', { commandId: 'c-2', deviceId: pole.deviceId, name: 'set_dimming', params: [{ name: 'level', integer: 140 }] }, tz.CommandResult.COMMAND_RESULT_REJECTED, /above 100/],
    ['unknown command', { commandId: 'c-3', deviceId: pole.deviceId, name: 'self_destruct' }, tz.CommandResult.COMMAND_RESULT_REJECTED, /no command "self_destruct".*set_dimming/],
    ['unknown device', { commandId: 'c-4', deviceId: 'nobody', name: 'set_dimming', params: [{ name: 'level', integer: 1 }] }, tz.CommandResult.COMMAND_RESULT_REJECTED, /not configured/],
    ['expired', { commandId: 'c-5', deviceId: pole.deviceId, name: 'set_dimming', params: [{ name: 'level', integer: 1 }], expiresAtMs: Date.now() - 1000 }, tz.CommandResult.COMMAND_RESULT_TIMED_OUT, /expired/],
  ];
  for (const [what, command, result, reason] of table) {
    await send(command);
    const ack = await waitFor(`ack ${command.commandId}`, () => acks.find((a) => a.commandId === command.commandId), 5000, 20);
    assert.is(ack.result, result, what);
    assert.match(ack.reason ?? '', reason, what);
  }
  assert.is(district.valueOf(pole.deviceId, 'dimming_pct'), 70, 'nothing rejected was written');
});

test('/metrics and /healthz show the pipeline', async () => {
  const text = await (await fetch(`${agent.httpUrl}/metrics`)).text();
  assert.match(text, /tz_edge_readings_total\{component="edge-agent"\} [1-9]/);
  assert.match(text, /tz_edge_poll_failures_total\{reason="timeout",component="edge-agent"\} [1-9]/);
  assert.match(text, /tz_edge_broker_connected\{component="edge-agent"\} 1/);
  assert.match(text, /tz_edge_batches_acked_total\{component="edge-agent"\} [1-9]/);
  const health = await fetch(`${agent.httpUrl}/healthz`);
  assert.is(health.status, 200);
  const s = agent.stats();
  assert.ok(counter(s, 'batchesAcked') > 0 && counter(s, 'readings') >= 24 && counter(s, 'devicesOnline') === 12, JSON.stringify(s));
});

test('a wrong password never crashes the agent: counted, logged, retried', async () => {
  badAgent = await startEdgeAgent(agentConfig('gw-bad', 'wrong-password', district.devices.slice(0, 2)), { profiles });
  await waitFor('two refused connects (it keeps retrying)', () => (counter(badAgent!.stats(), 'brokerAuthFailures') >= 2 ? true : undefined), 15_000, 50);
  const text = await (await fetch(`${badAgent.httpUrl}/metrics`)).text();
  assert.match(text, /tz_edge_broker_auth_failures_total\{component="edge-agent"\} [2-9]/);
  assert.match(text, /tz_edge_broker_connected\{component="edge-agent"\} 0/);
  assert.is((await fetch(`${badAgent.httpUrl}/healthz`)).status, 503);
  // Still polling, and the readings are held (bounded) for when the credentials are fixed.
  assert.ok(counter(badAgent.stats(), 'readings') > 0 && counter(badAgent.stats(), 'queueDepth') > 0);
  assert.is(counter(badAgent.stats(), 'brokerConnected'), 0);
});

test('readings made while the broker is unreachable are held and delivered when it comes up', async () => {
  const port = await freePort();
  lateAgent = await startEdgeAgent(agentConfig('gw-late', PASSWORD, district.devices.slice(6, 8), `mqtt://127.0.0.1:${port}`), { profiles });
  await waitFor('readings queued while the broker is down', () => (counter(lateAgent!.stats(), 'readings') >= 4 && counter(lateAgent!.stats(), 'brokerErrors') > 0 ? true : undefined), 15_000, 50);
  assert.is(counter(lateAgent.stats(), 'batchesPublished'), 0);
  assert.ok(counter(lateAgent.stats(), 'queueDepth') >= 4);
  // The same broker starts listening on that port: the agent's retry finds it.
  await broker.listenAlso(port);
  await waitFor('the held readings arrive', () => (lateReadings.filter((seq) => seq === 1).length >= 2 ? true : undefined), 20_000, 50);
  await waitFor('queue drained', () => (counter(lateAgent!.stats(), 'batchesAcked') > 0 && counter(lateAgent!.stats(), 'queueDepth') < 4 ? true : undefined), 5000, 50);
});

test.run();
