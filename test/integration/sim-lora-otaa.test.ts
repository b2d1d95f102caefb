// The simulated city's LoRa water meters with OTAA: they join the edge
// agent (real JoinRequest/JoinAccept over Semtech UDP) before their first
// report, and their readings then flow like any others.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient } from 'mqtt';
import { BUILTIN_PROFILE_DIR, loadProfiles } from '../../device-profiles/index.ts';
import { decodeUplinkBatch, topics, type IReading } from '../../proto/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict } from '../../firmware-sim/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../../edge-agent/index.ts';
import { tempDir, waitFor, startBareBroker, type BareBroker } from './helpers.ts';

const GW = 'gw-sim-otaa';
const profiles = loadProfiles();
const data = tempDir('tz-sim-otaa-');
const clock = new ManualClock(Date.UTC(2026, 11, 3, 2));
let bare: BareBroker;
let observer: MqttClient;
let city: SimulatedDistrict;
let agent: EdgeAgent;
const readings: IReading[] = [];

test.before(async () => {
  bare = await startBareBroker();
  const brokerUrl = bare.url;
  observer = await mqtt.connectAsync(brokerUrl, { clientId: 'observer-sim-otaa' });
  observer.on('message', (_t, payload) => readings.push(...decodeUplinkBatch(payload).readings));
  await observer.subscribeAsync(topics.batch(GW), { qos: 1 });
  city = await startSimulatedDistrict({ profiles, devices: 40, seed: 11, loraMeters: 2, loraActivation: 'otaa', tickMs: 3_600_000, clock });
  const meters = city.devices.filter((d) => d.transport === 'lora');
  agent = await startEdgeAgent(parseEdgeAgentConfig({
    gatewayId: GW, brokerUrl, username: GW, password: 'pw', dataDir: data.path,
    devices: meters.map((d) => ({ deviceId: d.deviceId, profile: d.profile, district: d.district, lora: d.loraOtaa! })),
    lora: { host: '127.0.0.1', port: 0 }, batch: { maxReadings: 10, maxDelayMs: 30 },
  }, 'test'), { profiles, profileDir: BUILTIN_PROFILE_DIR });
  await city.attachLora('127.0.0.1', agent.loraAddress!.port);
});

test.after(async () => {
  await city?.stop();
  await agent?.stop();
  await observer?.endAsync();
  await bare?.stop();
  data.remove();
});

test('OTAA meters join first, then report; the agent decodes their readings with the derived session keys', async () => {
  const meters = city.devices.filter((d) => d.transport === 'lora');
  assert.is(meters.length, 2);
  assert.ok(meters.every((d) => d.loraOtaa && !d.lora && d.loraOtaa.devEui.length === 16 && d.loraOtaa.appKey.length === 32));
  clock.advance(900_000);
  city.catchUp();
  await waitFor('both meters joined', () => (agent.stats().loraJoins === 2 && city.stats().loraJoined === 2 ? true : undefined), 5000, 20);
  assert.is(readings.length, 0, 'a join is not a reading');
  clock.advance(900_000);
  city.catchUp();
  await waitFor('a reading from each meter', () => (new Set(readings.map((r) => r.deviceId)).size === 2 ? true : undefined), 5000, 20);
  assert.ok(readings.every((r) => r.profile === 'water-meter' && Number(r.seq) === 1));
});

test.run();
