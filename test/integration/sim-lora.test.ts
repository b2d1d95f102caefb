// The simulated LoRaWAN water meters, heard by a network server of our own
// over real UDP: Semtech PUSH_DATA/PULL_DATA from one forwarder per district,
// frames checked with lora-packet (MIC over the 32-bit counter, decryption
// with the AppSKey), payloads decoded by the profile's sandboxed codec to the
// values the sim holds; a replay is the same frame byte for byte, a bad-MIC
// frame fails verification, and a set_valve downlink (PULL_RESP) is obeyed.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { createSocket, type RemoteInfo } from 'node:dgram';
import loraPacketModule from 'lora-packet';
import { loadProfiles, loadProfileCodec, BUILTIN_PROFILE_DIR } from '../../device-profiles/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict } from '../../firmware-sim/index.ts';
import { counter, waitFor } from './helpers.ts';

type LoraPacketApi = typeof loraPacketModule.default;
const loraPacket: LoraPacketApi = (loraPacketModule as unknown as { default?: LoraPacketApi }).default ?? (loraPacketModule as unknown as LoraPacketApi);
const profiles = loadProfiles();
const meter = profiles.require('water-meter');

interface Heard { phy: Buffer; eui: string; time: string }
const heard: Heard[] = [];
const forwarders = new Map<string, RemoteInfo>();
const server = createSocket('udp4');
let city: SimulatedDistrict;
const clock = new ManualClock(Date.UTC(2026, 8, 10, 2));

test.before(async () => {
  server.on('message', (msg, from) => {
    const eui = msg.subarray(4, 12).toString('hex');
    if (msg[3] === 0x02) { // PULL_DATA → PULL_ACK
      forwarders.set(eui, from);
      server.send(Buffer.from([2, msg[1]!, msg[2]!, 0x04]), from.port, from.address);
    } else if (msg[3] === 0x00) { // PUSH_DATA → PUSH_ACK
      server.send(Buffer.from([2, msg[1]!, msg[2]!, 0x01]), from.port, from.address);
      const { rxpk } = JSON.parse(msg.subarray(12).toString()) as { rxpk: Array<{ data: string; time: string }> };
      for (const r of rxpk) heard.push({ phy: Buffer.from(r.data, 'base64'), eui, time: r.time });
    }
  });
  await new Promise<void>((resolve) => server.bind(0, '127.0.0.1', () => resolve()));
  city = await startSimulatedDistrict({ profiles, devices: 40, seed: 5, loraMeters: 4, tickMs: 3_600_000, clock });
  await city.attachLora('127.0.0.1', server.address().port);
});

test.after(async () => {
  await city?.stop();
  server.close();
});

const keysOf = (deviceId: string) => city.devices.find((d) => d.deviceId === deviceId)!.lora!;
const fromDevice = (h: Heard, devAddr: string) => loraPacket.fromWire(h.phy).DevAddr?.toString('hex') === devAddr;

test('LoRa meters are ABP devices with seeded keys, off the Modbus buses', () => {
  const lora = city.devices.filter((d) => d.transport === 'lora');
  assert.is(lora.length, 4);
  assert.ok(lora.every((d) => d.profile === 'water-meter' && d.port === 0 && /^26[0-9a-f]{6}$/.test(d.lora!.devAddr) && d.lora!.nwkSKey.length === 32));
  assert.is(new Set(lora.map((d) => d.lora!.devAddr)).size, 4);
  assert.ok(forwarders.size >= 1, 'forwarders announced themselves with PULL_DATA');
});

test('uplinks every report interval: valid MIC, increasing counters, payload decodes to the sim values', async () => {
  const codec = await loadProfileCodec(meter, BUILTIN_PROFILE_DIR);
  const wm = city.devices.filter((d) => d.transport === 'lora')[0]!;
  const keys = keysOf(wm.deviceId);
  for (let i = 0; i < 3; i++) {
    clock.advance(900_000); // one report interval of simulated time
    city.catchUp();
  }
  const frames = await waitFor('three uplinks from the meter', () => {
    const mine = heard.filter((h) => fromDevice(h, keys.devAddr));
    return mine.length >= 3 ? mine : undefined;
  }, 5000, 20);
  const nwk = Buffer.from(keys.nwkSKey, 'hex');
  const app = Buffer.from(keys.appSKey, 'hex');
  const counters = frames.map((f) => loraPacket.fromWire(f.phy).getFCnt());
  assert.equal(counters.slice(0, 3), [0, 1, 2]);
  const last = loraPacket.fromWire(frames.at(-1)!.phy);
  assert.ok(loraPacket.verifyMIC(last, nwk), 'MIC checks with the NwkSKey');
  const bytes = [...loraPacket.decrypt(last, app, nwk)];
  const decoded = codec.decodeUplink({ bytes, fPort: last.getFPort()!, recvTime: new Date().toISOString() });
  assert.equal(decoded.errors, []);
  assert.ok(Math.abs(Number(decoded.data.volume_m3) - (city.valueOf(wm.deviceId, 'volume_m3') as number)) < 0.002);
  assert.ok(Math.abs(Number(decoded.data.pressure_mpa) - (city.valueOf(wm.deviceId, 'pressure_mpa') as number)) < 0.002);
  assert.is(decoded.data.valve_open, city.valueOf(wm.deviceId, 'valve_open'));
  codec.dispose();
});

test('a replayed frame is the last one byte for byte; a bad-MIC frame fails verification', async () => {
  const wm = city.devices.filter((d) => d.transport === 'lora')[1]!;
  const keys = keysOf(wm.deviceId);
  const start = heard.length;
  clock.advance(900_000);
  city.catchUp();
  const original = await waitFor('an uplink', () => heard.slice(start).find((h) => fromDevice(h, keys.devAddr)), 5000, 20);
  const count = heard.length;
  city.injectFault(wm.deviceId, 'lora-replay');
  const replay = await waitFor('the replay', () => heard.slice(count).find((h) => fromDevice(h, keys.devAddr)), 5000, 20);
  assert.ok(replay.phy.equals(original.phy), 'same bytes, same counter');
  const before = heard.length;
  city.injectFault(wm.deviceId, 'lora-bad-mic');
  const forged = await waitFor('the bad-MIC frame', () => heard.slice(before).find((h) => fromDevice(h, keys.devAddr)), 5000, 20);
  assert.not.ok(loraPacket.verifyMIC(loraPacket.fromWire(forged.phy), Buffer.from(keys.nwkSKey, 'hex')));
  await waitFor('counted', () => (counter(city.stats(), 'loraReplays') >= 1 && counter(city.stats(), 'loraBadMic') >= 1 ? true : undefined), 2000, 20);
});

test("clock skew: the district's packet forwarder stamps rxpk.time off by the skew, until put right", async () => {
  const wm = city.devices.filter((d) => d.transport === 'lora')[3]!;
  const keys = keysOf(wm.deviceId);
  const skewMs = 2 * 86_400_000;
  city.injectFault(wm.deviceId, 'lora-clock-skew', { skewMs });
  const start = heard.length;
  clock.advance(900_000);
  city.catchUp();
  const skewed = await waitFor('a skewed uplink', () => heard.slice(start).find((h) => fromDevice(h, keys.devAddr)), 5000, 20);
  const offBy = Date.parse(skewed.time) - Date.now();
  assert.ok(offBy > skewMs - 60_000 && offBy <= skewMs, `rxpk.time is ${offBy} ms ahead`);
  city.injectFault(wm.deviceId, 'lora-clock-skew', { skewMs: 0 });
  const again = heard.length;
  clock.advance(900_000);
  city.catchUp();
  const right = await waitFor('an uplink with the clock put right', () => heard.slice(again).find((h) => fromDevice(h, keys.devAddr)), 5000, 20);
  assert.ok(Math.abs(Date.parse(right.time) - Date.now()) < 60_000);
});

test('a set_valve downlink (PULL_RESP) closes the valve', async () => {
  const wm = city.devices.filter((d) => d.transport === 'lora')[2]!;
  const keys = keysOf(wm.deviceId);
  const frame = loraPacket.fromFields({ MType: 'Unconfirmed Data Down', DevAddr: Buffer.from(keys.devAddr, 'hex'), FCtrl: { ADR: false, ACK: false }, FCnt: 0, FPort: 10, payload: Buffer.from([0x01, 0]) }, Buffer.from(keys.appSKey, 'hex'), Buffer.from(keys.nwkSKey, 'hex'));
  const txpk = { imme: true, freq: 869.525, rfch: 0, powe: 14, modu: 'LORA', datr: 'SF9BW125', codr: '4/5', ipol: true, size: frame.getPHYPayload()!.length, data: frame.getPHYPayload()!.toString('base64') };
  for (const to of forwarders.values()) server.send(Buffer.concat([Buffer.from([2, 0, 7, 0x03]), Buffer.from(JSON.stringify({ txpk }))]), to.port, to.address);
  await waitFor('the meter obeys', () => {
    clock.advance(30_000);
    city.catchUp();
    return city.valueOf(wm.deviceId, 'valve_open') === false ? true : undefined;
  }, 5000, 50);
  assert.is(counter(city.stats(), 'loraDownlinksObeyed'), 1);
});

test.run();
