// Modbus RTU: the agent polls simulated slaves over a real serial line (a
// socat pseudo-terminal pair) through serialport, next to a TCP bus.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient } from 'mqtt';
import { loadProfiles, metricOfValue } from '../../device-profiles/index.ts';
import { decodeUplinkBatch, metricValueOf, topics, type IReading } from '../../proto/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict } from '../../firmware-sim/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../../edge-agent/index.ts';
import { tempDir, waitFor, startBareBroker, type BareBroker } from './helpers.ts';

const profiles = loadProfiles();
const data = tempDir('tz-edge-rtu-');
let bare: BareBroker;
let district: SimulatedDistrict;
let agent: EdgeAgent;
let observer: MqttClient;
const readings: IReading[] = [];

test.before(async () => {
  bare = await startBareBroker();
  district = await startSimulatedDistrict({ profiles, devices: 8, seed: 21, devicesPerBus: 4, rtuBuses: 1, tickMs: 3_600_000 });
  observer = mqtt.connect(bare.url, { clientId: 'rtu-observer' });
  observer.on('message', (_t, payload) => readings.push(...decodeUplinkBatch(payload).readings));
  await new Promise<void>((resolve) => observer.once('connect', () => resolve()));
  await observer.subscribeAsync(topics.batch('gw-rtu'), { qos: 1 });
  const rtu = district.devices.filter((d) => d.transport === 'rtu');
  const config = parseEdgeAgentConfig({
    gatewayId: 'gw-rtu', brokerUrl: bare.url, username: 'gw-rtu', password: 'x', dataDir: data.path,
    serialLines: [{ name: 'rs485-1', path: rtu[0]!.serialPath!, baudRate: 9600 }],
    devices: district.devices.map((d) => ({ deviceId: d.deviceId, profile: d.profile, district: d.district, modbus: d.transport === 'rtu' ? { line: 'rs485-1', unitId: d.unitId } : { host: d.host, port: d.port, unitId: d.unitId } })),
    pollIntervalMs: 500, requestTimeoutMs: 500, batch: { maxReadings: 20, maxDelayMs: 100 },
  }, 'test');
  agent = await startEdgeAgent(config, { profiles });
});

test.after(async () => {
  await agent?.stop();
  await observer?.endAsync();
  await district?.stop();
  await bare?.stop();
  data.remove();
});

test('RTU and TCP slaves both report values equal to what the simulator holds', async () => {
  const rtu = district.devices.filter((d) => d.transport === 'rtu');
  assert.ok(rtu.length >= 1 && district.devices.some((d) => d.transport === 'tcp'));
  await waitFor('two readings from every device', () => (district.devices.every((d) => readings.filter((r) => r.deviceId === d.deviceId).length >= 2) ? true : undefined), 20_000, 50);
  for (const d of rtu) {
    const r = readings.filter((x) => x.deviceId === d.deviceId).at(-1)!;
    const profile = profiles.require(d.profile);
    assert.is(r.metrics!.length, profile.metrics.filter((m) => profile.modbus!.registers.some((g) => g.metric === m.name)).length);
    for (const m of r.metrics!) {
      const name = metricOfValue(profile, m)!.name;
      const expected = district.valueOf(d.deviceId, name);
      if (typeof expected === 'number') assert.ok(Math.abs((metricValueOf(m) as number) - expected) < 1e-6, `${d.deviceId}.${name}`);
      else assert.is(metricValueOf(m), expected, `${d.deviceId}.${name}`);
    }
  }
  assert.is(agent.stats().pollFailures, 0);
});

test.run();
