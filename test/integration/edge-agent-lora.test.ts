// The edge agent's LoRaWAN side over real UDP sockets: simulated ABP water
// meters send real encrypted frames through two simulated Semtech packet
// forwarders; a real Aedes broker and MQTT subscriber see what comes out.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient } from 'mqtt';
import { BUILTIN_PROFILE_DIR, loadProfiles, metricOfValue } from '../../device-profiles/index.ts';
import { decodeCommandAck, decodeUplinkBatch, encodeCommand, metricValueOf, topics, tz, type ICommandAck, type IDeviceStatus, type IReading } from '../../proto/index.ts';
import { SimulatedAbpDevice, SimulatedPacketForwarder, encodeWaterMeterUplink, WATER_METER_FPORT, type WaterMeterState } from '../../firmware-sim/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../../edge-agent/index.ts';
import { tempDir, waitFor, startBareBroker, type BareBroker } from './helpers.ts';

const GW = 'gw-lora';
const profiles = loadProfiles();
const meter = profiles.require('water-meter');
const data = tempDir('tz-edge-lora-');
const KEYS = {
  a: { devAddr: '26011bda', nwkSKey: '2b7e151628aed2a6abf7158809cf4f3c', appSKey: '000102030405060708090a0b0c0d0e0f' },
  b: { devAddr: '26011bdb', nwkSKey: '3c4fcf098815f7aba6d2ae2816157e2b', appSKey: '0f0e0d0c0b0a09080706050403020100' },
};

let bare: BareBroker;
let brokerUrl: string;
let observer: MqttClient;
let agent: EdgeAgent;
let fwdA: SimulatedPacketForwarder;
let fwdB: SimulatedPacketForwarder;
const devA = new SimulatedAbpDevice('wm-lora-a', KEYS.a);
// Starts just below the 16-bit boundary: the agent must keep the upper bits itself.
const devB = new SimulatedAbpDevice('wm-lora-b', KEYS.b, 0xfffe);
const readings: IReading[] = [];
const statuses: IDeviceStatus[] = [];
const acks: ICommandAck[] = [];
// The agent's clock stands still except when a test moves it on: the de-duplication
// window is read from it, so a loaded machine's slow turns cannot push a duplicate past it.
let skewMs = 0;
const clockStart = Date.now();
const clock = { now: () => clockStart + skewMs };
const state: WaterMeterState = { volumeM3: 123.456, flowM3h: -1.5, pressureMpa: 0.321, valveOpen: true, reverseFlow: false, batteryPct: 87.5 };

function config() {
  return parseEdgeAgentConfig({
    gatewayId: GW, brokerUrl, username: GW, password: 'pw', dataDir: data.path,
    devices: [
      { deviceId: devA.deviceId, profile: 'water-meter', district: 'gulou', lora: KEYS.a },
      { deviceId: devB.deviceId, profile: 'water-meter', district: 'gulou', lora: KEYS.b },
    ],
    lora: { host: '127.0.0.1', port: 0, dedupWindowMs: 500 },
    batch: { maxReadings: 10, maxDelayMs: 50 },
    commandTimeoutMs: 5000,
  }, 'test');
}

const valuesOf = (r: IReading) => Object.fromEntries((r.metrics ?? []).map((m) => [metricOfValue(meter, m)!.name, metricValueOf(m)]));
const readingsOf = (id: string) => readings.filter((r) => r.deviceId === id);

async function startAgent(): Promise<void> {
  agent = await startEdgeAgent(config(), { profiles, profileDir: BUILTIN_PROFILE_DIR, clock });
  const { port } = agent.loraAddress!;
  fwdA = await SimulatedPacketForwarder.start({ host: '127.0.0.1', port, eui: 'aa555a0000000001', devices: [devA, devB], keepaliveMs: 500 });
  fwdB = await SimulatedPacketForwarder.start({ host: '127.0.0.1', port, eui: 'aa555a0000000002', devices: [devA, devB], keepaliveMs: 500 });
}

test.before(async () => {
  bare = await startBareBroker();
  brokerUrl = bare.url;
  observer = mqtt.connect(brokerUrl, { clientId: 'observer', reconnectPeriod: 200 });
  observer.on('message', (topic, payload) => {
    if (topic === topics.commandAck(GW)) return void acks.push(decodeCommandAck(payload));
    const batch = decodeUplinkBatch(payload);
    readings.push(...batch.readings);
    statuses.push(...batch.statuses);
  });
  await new Promise<void>((resolve) => observer.once('connect', () => resolve()));
  await observer.subscribeAsync([topics.batch(GW), topics.commandAck(GW)], { qos: 1 });
  await startAgent();
});

test.after(async () => {
  await fwdA?.stop();
  await fwdB?.stop();
  await agent?.stop();
  await observer?.endAsync();
  await bare?.stop();
  data.remove();
});

test('an uplink is MIC-checked, decrypted, decoded by the profile codec and published with radio quality', async () => {
  await fwdA.push(devA.uplink(WATER_METER_FPORT, encodeWaterMeterUplink(state)), { rssi: -97, lsnr: 5.5 });
  const r = await waitFor('the LoRa reading', () => readingsOf(devA.deviceId)[0], 5000, 20);
  assert.equal(valuesOf(r), { volume_m3: 123.456, flow_m3h: -1.5, pressure_mpa: 0.321, valve_open: true, reverse_flow: false, battery_pct: 87.5 });
  assert.is(Number(r.seq), 1);
  assert.is(r.profile, 'water-meter');
  const online = await waitFor('ONLINE status with RSSI/SNR', () => statuses.find((s) => s.deviceId === devA.deviceId && s.state === tz.DeviceState.DEVICE_STATE_ONLINE), 5000, 20);
  assert.is(online.rssiDbm, -97);
  assert.is(online.snrDb, 5.5);
  const text = await (await fetch(`${agent.httpUrl}/metrics`)).text();
  assert.match(text, /tz_edge_lora_rssi_dbm\{device_id="wm-lora-a",component="edge-agent"\} -97/);
});

test('the same frame heard by a second forwarder counts once; a replay and a corrupt frame are refused', async () => {
  const frame = devA.uplink(WATER_METER_FPORT, encodeWaterMeterUplink({ ...state, pressureMpa: 0.4 }));
  await fwdA.push(frame);
  await fwdB.push(frame);
  await waitFor('second reading', () => (readingsOf(devA.deviceId).length >= 2 ? true : undefined), 5000, 20);
  await waitFor('duplicate counted', () => (agent.stats().loraDuplicates === 1 ? true : undefined), 2000, 20);
  // Inside the dedup window (on the agent's clock) the same frame is a duplicate; after it, a replay.
  skewMs += 400;
  await fwdB.push(devA.replay());
  await waitFor('second duplicate counted', () => (agent.stats().loraDuplicates === 2 ? true : undefined), 2000, 20);
  skewMs += 200;
  await fwdA.push(devA.replay());
  await fwdB.push(devA.corrupt(WATER_METER_FPORT, encodeWaterMeterUplink(state)));
  await waitFor('replay and bad MIC counted', () => (agent.stats().loraReplays === 1 && agent.stats().loraBadMic === 1 ? true : undefined), 2000, 20);
  // A fresh frame after them: had the replay or the corrupt frame made a reading, it would hold seq 3.
  await fwdA.push(devA.uplink(WATER_METER_FPORT, encodeWaterMeterUplink(state)));
  await waitFor('the fresh frame', () => (readingsOf(devA.deviceId).length >= 3 ? true : undefined), 5000, 20);
  assert.equal(readingsOf(devA.deviceId).map((r) => Number(r.seq)), [1, 2, 3], 'the replay and the corrupt frame made no reading');
  const text = await (await fetch(`${agent.httpUrl}/metrics`)).text();
  assert.match(text, /tz_edge_lora_frames_total\{outcome="replay",component="edge-agent"\} 1/);
  assert.match(text, /tz_edge_lora_frames_total\{outcome="mic",component="edge-agent"\} 1/);
});

test('32-bit frame counters across the 16-bit rollover; an old frame is refused, also after a restart', async () => {
  const first = devB.uplink(WATER_METER_FPORT, encodeWaterMeterUplink(state)); // FCnt 0xfffe
  await fwdA.push(first);
  await fwdA.push(devB.uplink(WATER_METER_FPORT, encodeWaterMeterUplink(state))); // 0xffff
  await fwdA.push(devB.uplink(WATER_METER_FPORT, encodeWaterMeterUplink(state))); // 0x10000: 0x0000 on air
  await waitFor('three readings across the rollover', () => (readingsOf(devB.deviceId).length === 3 ? true : undefined), 5000, 20);
  await fwdA.push(first);
  await waitFor('old frame refused', () => (agent.stats().loraReplays === 2 ? true : undefined), 2000, 20);

  // Restart: the counters come back from disk with the batches that used them.
  await fwdA.stop();
  await fwdB.stop();
  await agent.stop();
  await startAgent();
  await fwdA.push(first);
  await fwdA.push(devB.replay());
  await waitFor('replays refused after restart', () => (agent.stats().loraReplays === 2 ? true : undefined), 2000, 20);
  await fwdA.push(devB.uplink(WATER_METER_FPORT, encodeWaterMeterUplink(state))); // 0x10001
  await waitFor('the next real frame accepted', () => (readingsOf(devB.deviceId).length === 4 ? true : undefined), 5000, 20);
  assert.equal(readingsOf(devB.deviceId).map((r) => Number(r.seq)), [1, 2, 3, 4], 'seq continues across the restart');
});

test('a command goes out as an encrypted class A downlink in RX1 via the forwarder that heard the device; a duplicate id is not sent twice', async () => {
  const command = { commandId: 'cmd-lora-1', deviceId: devA.deviceId, name: 'set_valve', params: [{ name: 'open', flag: false }], issuedAtMs: Date.now() };
  await observer.publishAsync(topics.command(GW), Buffer.from(encodeCommand(command)), { qos: 1 });
  await new Promise((r) => setTimeout(r, 100));
  assert.is(acks.length, 0, 'class A: nothing can be sent before the device speaks');
  await fwdB.push(devA.uplink(WATER_METER_FPORT, encodeWaterMeterUplink(state)));
  const ack = await waitFor('CommandAck', () => acks.find((a) => a.commandId === 'cmd-lora-1'), 5000, 20);
  assert.is(ack.result, tz.CommandResult.COMMAND_RESULT_OK, ack.reason ?? '');
  assert.equal(devA.downlinks.map((d) => [d.fPort, d.bytes]), [[10, [1, 0]]], 'the device decrypted set_valve(open=false)');
  assert.is(fwdB.txpks.length, 1, 'sent through the forwarder that heard the uplink');
  assert.is(fwdA.txpks.length, 0);
  const txpk = fwdB.txpks[0]!.txpk;
  assert.is(txpk.ipol, true);
  assert.is(txpk.imme, false);

  await observer.publishAsync(topics.command(GW), Buffer.from(encodeCommand(command)), { qos: 1 });
  await fwdB.push(devA.uplink(WATER_METER_FPORT, encodeWaterMeterUplink(state)));
  await waitFor('the duplicate answered', () => (acks.filter((a) => a.commandId === 'cmd-lora-1').length === 2 ? true : undefined), 5000, 20);
  assert.is(devA.downlinks.length, 1, 'not executed twice');

  await observer.publishAsync(topics.command(GW), Buffer.from(encodeCommand({ ...command, commandId: 'cmd-lora-2', params: [{ name: 'open', number: 3 }] })), { qos: 1 });
  const rejected = await waitFor('rejected ack', () => acks.find((a) => a.commandId === 'cmd-lora-2'), 5000, 20);
  assert.is(rejected.result, tz.CommandResult.COMMAND_RESULT_REJECTED);
  assert.match(rejected.reason ?? '', /open.*boolean/);
});

test.run();
