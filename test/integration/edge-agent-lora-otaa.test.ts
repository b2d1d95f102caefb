// LoRaWAN beyond ABP over real UDP sockets: OTAA joins (LoRaWAN 1.0.x §6.2)
// with real AES frames, a replayed DevNonce refused, confirmed uplinks acked
// in RX1, a class C water-meter valve closed by an immediate RX2 downlink, and
// a restart that keeps sessions and frame counters. Bad input: forged and
// unknown joins, truncated frames, one device flooding.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient } from 'mqtt';
import { BUILTIN_PROFILE_DIR, loadProfiles, metricOfValue } from '../../device-profiles/index.ts';
import { decodeCommandAck, decodeUplinkBatch, encodeCommand, metricValueOf, topics, tz, type ICommandAck, type IReading } from '../../proto/index.ts';
import { SimulatedLoraValveMeter, SimulatedOtaaDevice, SimulatedPacketForwarder } from '../../firmware-sim/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../../edge-agent/index.ts';
import { counter, tempDir, waitFor, startBareBroker, type BareBroker } from './helpers.ts';

const GW = 'gw-otaa';
const profiles = loadProfiles();
const meterProfile = profiles.require('water-meter');
const data = tempDir('tz-edge-otaa-');
const KEYS = {
  valve: { devEui: '0004a30b001c0530', joinEui: '70b3d57ed0000001', appKey: '2b7e151628aed2a6abf7158809cf4f3c' },
  chatty: { devEui: '0004a30b001c0531', joinEui: '70b3d57ed0000001', appKey: '000102030405060708090a0b0c0d0e0f' },
};
const FLOOD_LIMIT = 30;

let bare: BareBroker;
let brokerUrl: string;
let observer: MqttClient;
let agent: EdgeAgent;
let fwd: SimulatedPacketForwarder;
const valveRadio = new SimulatedOtaaDevice('wm-otaa-valve', KEYS.valve);
const valve = new SimulatedLoraValveMeter(valveRadio, { volumeM3: 10, flowM3h: 2.5, pressureMpa: 0.3, valveOpen: true, reverseFlow: false, batteryPct: 90 });
const chattyRadio = new SimulatedOtaaDevice('wm-otaa-chatty', KEYS.chatty);
const chatty = new SimulatedLoraValveMeter(chattyRadio, { volumeM3: 1, flowM3h: 0.1, pressureMpa: 0.25, valveOpen: true, reverseFlow: false, batteryPct: 80 });
const readings: IReading[] = [];
const acks: ICommandAck[] = [];

function config() {
  return parseEdgeAgentConfig({
    gatewayId: GW, brokerUrl, username: GW, password: 'pw', dataDir: data.path,
    devices: [
      { deviceId: valve.deviceId, profile: 'water-meter', district: 'yicheng', lora: { ...KEYS.valve, class: 'C' } },
      { deviceId: chatty.deviceId, profile: 'water-meter', district: 'yicheng', lora: KEYS.chatty },
    ],
    lora: { host: '127.0.0.1', port: 0, dedupWindowMs: 500, maxFramesPerDevicePerMinute: FLOOD_LIMIT },
    batch: { maxReadings: 50, maxDelayMs: 30 },
    commandTimeoutMs: 5000,
  }, 'test');
}

const valuesOf = (r: IReading) => Object.fromEntries((r.metrics ?? []).map((m) => [metricOfValue(meterProfile, m)!.name, metricValueOf(m)]));
const readingsOf = (id: string) => readings.filter((r) => r.deviceId === id);

async function startAgent(): Promise<void> {
  agent = await startEdgeAgent(config(), { profiles, profileDir: BUILTIN_PROFILE_DIR });
  fwd = await SimulatedPacketForwarder.start({ host: '127.0.0.1', port: agent.loraAddress!.port, eui: 'aa555a00000000c1', devices: [valveRadio, chattyRadio], keepaliveMs: 300 });
}

test.before(async () => {
  bare = await startBareBroker();
  brokerUrl = bare.url;
  observer = mqtt.connect(brokerUrl, { clientId: 'observer-otaa', reconnectPeriod: 200 });
  observer.on('message', (topic, payload) => {
    if (topic === topics.commandAck(GW)) return void acks.push(decodeCommandAck(payload));
    readings.push(...decodeUplinkBatch(payload).readings);
  });
  await new Promise<void>((resolve) => observer.once('connect', () => resolve()));
  await observer.subscribeAsync([topics.batch(GW), topics.commandAck(GW)], { qos: 1 });
  await startAgent();
});

test.after(async () => {
  await fwd?.stop();
  await agent?.stop();
  await observer?.endAsync();
  await bare?.stop();
  data.remove();
});

test('OTAA: JoinRequest signed with the AppKey is answered by an encrypted JoinAccept; the derived session carries readings', async () => {
  await fwd.push(valveRadio.joinRequest());
  await waitFor('the valve meter joined', () => (valveRadio.joined ? true : undefined), 5000, 10);
  assert.is(counter(agent.stats(), 'loraJoins'), 1);
  const accept = fwd.txpks.at(-1)!.txpk;
  assert.is(accept.imme, false, 'JoinAccept goes in the join RX1 window, timed');
  assert.is(accept.ipol, true);
  assert.is(valveRadio.devAddr[0]! >> 1, 0, 'DevAddr starts with the NwkID of NetID 000000');
  await fwd.push(valve.uplink());
  const r = await waitFor('first OTAA reading', () => readingsOf(valve.deviceId)[0], 5000, 10);
  assert.equal(valuesOf(r), { volume_m3: 10, flow_m3h: 2.5, pressure_mpa: 0.3, valve_open: true, reverse_flow: false, battery_pct: 90 });
});

test('a replayed JoinRequest (used DevNonce) is refused and counted; forged, unknown and truncated joins too', async () => {
  const sent = fwd.txpks.length;
  const sessionBefore = Buffer.from(valveRadio.devAddr);
  await fwd.push(valveRadio.replayJoin());
  await waitFor('join replay counted', () => (counter(agent.stats(), 'loraJoinReplays') === 1 ? true : undefined), 2000, 10);
  await fwd.push(valveRadio.forgedJoinRequest());
  await waitFor('forged join counted as bad MIC', () => (counter(agent.stats(), 'loraBadMic') === 1 ? true : undefined), 2000, 10);
  await fwd.push(new SimulatedOtaaDevice('stranger', { ...KEYS.valve, devEui: 'ffffffffffffffff' }).joinRequest());
  await waitFor('unknown DevEUI counted', () => (counter(agent.stats(), 'loraUnknownDevices') === 1 ? true : undefined), 2000, 10);
  const truncated = chattyRadio.joinRequest().subarray(0, 12);
  await fwd.push(truncated);
  await fwd.push(Buffer.from([0x40, 1, 2])); // a data uplink's MHDR and nothing else
  await waitFor('truncated frames counted as malformed', () => (counter(agent.stats(), 'loraMalformed') >= 2 ? true : undefined), 2000, 10);
  assert.is(fwd.txpks.length, sent, 'no JoinAccept for any of them');
  assert.is(valveRadio.joins, 1);
  assert.ok(valveRadio.devAddr.equals(sessionBefore), 'the session is unchanged');
  const text = await (await fetch(`${agent.httpUrl}/metrics`)).text();
  assert.match(text, /tz_edge_lora_frames_total\{outcome="join-replay",component="edge-agent"\} 1/);
});

test('a confirmed uplink is acknowledged by the ACK bit of a downlink in its RX1 window', async () => {
  const before = readingsOf(valve.deviceId).length;
  await fwd.push(valve.uplink(true));
  await waitFor('the ACK reached the device', () => (valveRadio.lastConfirmed?.acked ? true : undefined), 5000, 10);
  const ackFrame = valveRadio.downlinks.at(-1)!;
  assert.is(ackFrame.ack, true);
  assert.is(ackFrame.fPort, 0, 'an empty frame: only the ACK');
  await waitFor('the confirmed reading', () => (readingsOf(valve.deviceId).length === before + 1 ? true : undefined), 5000, 10);
});

test('class C: set_valve goes out at once on RX2 without waiting for an uplink, and the meter\'s valve closes', async () => {
  const command = { commandId: 'close-valve-1', deviceId: valve.deviceId, name: 'set_valve', params: [{ name: 'open', flag: false }], issuedAtMs: Date.now() };
  const uplinksBefore = fwd.counts.pushed;
  await observer.publishAsync(topics.command(GW), Buffer.from(encodeCommand(command)), { qos: 1 });
  const ack = await waitFor('CommandAck', () => acks.find((a) => a.commandId === 'close-valve-1'), 5000, 10);
  assert.is(ack.result, tz.CommandResult.COMMAND_RESULT_OK, ack.reason ?? '');
  assert.match(ack.reason ?? '', /class C/);
  assert.is(fwd.counts.pushed, uplinksBefore, 'no uplink was needed');
  assert.is(valve.state.valveOpen, false, 'the simulated valve closed');
  assert.is(valve.valveCommands, 1);
  const txpk = fwd.txpks.at(-1)!.txpk;
  assert.is(txpk.imme, true);
  assert.is(txpk.freq, 505.3, 'RX2 frequency (CN470 default)');
  assert.is(txpk.datr, 'SF12BW125');
  await fwd.push(valve.uplink());
  const r = await waitFor('reading with the valve closed', () => readingsOf(valve.deviceId).map(valuesOf).find((v) => v.valve_open === false), 5000, 10);
  assert.is(r.flow_m3h, 0);
});

test('one device flooding is refused above its budget, counted, and another device still gets through', async () => {
  await fwd.push(chattyRadio.joinRequest());
  await waitFor('the chatty meter joined', () => (chattyRadio.joined ? true : undefined), 5000, 10);
  for (let i = 0; i < 2 * FLOOD_LIMIT + 10; i++) await fwd.push(chatty.uplink());
  await waitFor('floods counted', () => (counter(agent.stats(), 'loraFloods') >= 5 ? true : undefined), 5000, 10);
  const before = readingsOf(valve.deviceId).length;
  await fwd.push(valve.uplink());
  await waitFor('the quiet device still heard', () => (readingsOf(valve.deviceId).length === before + 1 ? true : undefined), 5000, 10);
});

test('a restart keeps OTAA sessions and frame counters: no rejoin, replays refused, class C downlinks continue', async () => {
  const lastFrame = valveRadio.replay();
  const seqBefore = readingsOf(valve.deviceId).map((r) => Number(r.seq));
  await fwd.stop();
  await agent.stop();
  await startAgent();
  await fwd.push(lastFrame);
  await waitFor('old frame refused after restart', () => (counter(agent.stats(), 'loraReplays') === 1 ? true : undefined), 2000, 10);
  await fwd.push(valve.uplink());
  const r = await waitFor('reading after restart', () => (readingsOf(valve.deviceId).length === seqBefore.length + 1 ? readingsOf(valve.deviceId).at(-1) : undefined), 5000, 10);
  assert.is(Number(r.seq), seqBefore.at(-1)! + 1, 'seq continues');
  assert.is(valveRadio.joins, 1, 'the device did not have to rejoin');
  assert.is(counter(agent.stats(), 'loraJoins'), 0);
  const command = { commandId: 'open-valve-2', deviceId: valve.deviceId, name: 'set_valve', params: [{ name: 'open', flag: true }], issuedAtMs: Date.now() };
  await observer.publishAsync(topics.command(GW), Buffer.from(encodeCommand(command)), { qos: 1 });
  const ack = await waitFor('CommandAck after restart', () => acks.find((a) => a.commandId === 'open-valve-2'), 5000, 10);
  assert.is(ack.result, tz.CommandResult.COMMAND_RESULT_OK, ack.reason ?? '');
  assert.is(valve.state.valveOpen, true, 'the device accepted the downlink: NFCntDown continued past the last one');
});

test.run();
