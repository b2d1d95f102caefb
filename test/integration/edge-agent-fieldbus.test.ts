// China field protocols end to end (issue 19): the agent polls a CJ/T 188
// water-meter bus over a real serial line (socat pty pair), DL/T 645 meters
// behind a transparent serial server (TCP), and serves HJ 212 stations over
// TCP; a real broker carries the UplinkBatch. Readings of each protocol must
// equal what the simulated devices held; a dead and a slow meter, malformed
// packets and one station's flood are counted and stall nobody else.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import mqtt, { type MqttClient } from 'mqtt';
import { hj212Time, loadProfiles, metricOfValue, frameHj212 } from '../../device-profiles/index.ts';
import { decodeUplinkBatch, metricValueOf, topics, type IReading } from '../../proto/index.ts';
import { ElectricityMeterBus, Hj212StationFleet, WaterMeterBus, openPtyPair, type PtyPair } from '../../firmware-sim/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../../edge-agent/index.ts';
import { freePort, tempDir, waitFor, startBareBroker, type BareBroker } from './helpers.ts';

const profiles = loadProfiles();
const data = tempDir('tz-edge-field-');
let bare: BareBroker;
let agent: EdgeAgent;
let observer: MqttClient;
let pty: PtyPair;
let water: WaterMeterBus;
let power: ElectricityMeterBus;
let stations: Hj212StationFleet;
const readings: IReading[] = [];
let rawConfig: { devices: Array<{ deviceId: string }> } & Record<string, unknown>;
const valuesOf = (r: IReading): Record<string, unknown> => Object.fromEntries(r.metrics!.map((m) => [metricOfValue(profiles.require(r.profile!), m)!.name, metricValueOf(m)]));
const of = (id: string) => readings.filter((r) => r.deviceId === id);

async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${agent.httpUrl}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{`) && l.includes(labels));
  return line ? Number(line.slice(line.lastIndexOf(' ') + 1)) : 0;
}

test.before(async () => {
  bare = await startBareBroker();
  observer = mqtt.connect(bare.url, { clientId: 'field-observer' });
  observer.on('message', (_t, payload) => readings.push(...decodeUplinkBatch(payload).readings));
  await new Promise<void>((resolve) => observer.once('connect', () => resolve()));
  await observer.subscribeAsync(topics.batch('gw-field'), { qos: 1 });

  pty = await openPtyPair();
  water = new WaterMeterBus({ meters: 7, seed: 7 });
  water.meters[4]!.slowMs = 450; // answers after the agent gave up: its late reply must not be taken for meter 6's
  water.meters[5]!.dead = true;
  water.meters[6]!.badChecksum = true; // line noise on every reply
  await water.bus.openSerial(pty.simEnd, 2400);
  power = new ElectricityMeterBus({ meters: 2, seed: 7 });
  const powerAddr = await power.bus.listenTcp();
  const hj212Port = await freePort();

  rawConfig = {
    gatewayId: 'gw-field', brokerUrl: bare.url, username: 'gw-field', password: 'x', dataDir: data.path,
    serialLines: [{ name: 'mbus-1', path: pty.masterEnd, baudRate: 2400, parity: 'none' }],
    devices: [
      ...water.meters.map((m, i) => ({ deviceId: `wm-${i + 1}`, profile: 'water-meter', district: 'yicheng', field: { transport: 'cjt188', line: 'mbus-1', address: m.address } })),
      ...power.meters.map((m, i) => ({ deviceId: `em-${i + 1}`, profile: 'electricity-meter', district: 'yicheng', field: { transport: 'dlt645', host: powerAddr.host, port: powerAddr.port, address: m.address } })),
      ...[1, 2, 3].map((i) => ({ deviceId: `env-${i}`, profile: 'environmental-station', district: 'yicheng', field: { transport: 'hj212', mn: `ZMDENV${String(i).padStart(4, '0')}`, password: '123456' } })),
    ],
    pollIntervalMs: 600, requestTimeoutMs: 300, offlineAfterFailures: 2, maxDeviceBackoffMs: 2000,
    fieldProtocols: { requestTimeoutMs: 300, interFrameDelayMs: 5, hj212: { host: '127.0.0.1', port: hj212Port, framesPerMinute: 600, burst: 5, maxBadInARow: 1000 } },
    batch: { maxReadings: 50, maxDelayMs: 100 },
  };
  agent = await startEdgeAgent(parseEdgeAgentConfig(rawConfig, 'test'), { profiles });
  stations = new Hj212StationFleet({ host: '127.0.0.1', port: hj212Port, stations: 3, intervalMs: 300, seed: 7 });
  await stations.connect();
  stations.start();
});

test.after(async () => {
  await stations?.stop();
  await agent?.stop();
  await observer?.endAsync();
  await water?.bus.close();
  await power?.bus.close();
  await pty?.close();
  await bare?.stop();
  data.remove();
});

test('CJ/T 188 meters over a serial line arrive as water-meter readings equal to the meter registers', async () => {
  await waitFor('two readings from each live water meter', () => ([1, 2, 3, 4].every((i) => of(`wm-${i}`).length >= 2) ? true : undefined), 20_000, 50);
  for (const i of [1, 2, 3, 4]) {
    const r = of(`wm-${i}`).at(-1)!;
    assert.is(r.profile, 'water-meter');
    const v = valuesOf(r);
    const m = water.meters[i - 1]!;
    assert.ok(Math.abs((v.volume_m3 as number) - water.volumeM3(m, Number(r.timestampMs))) <= 0.011, `wm-${i} volume ${v.volume_m3} vs ${water.volumeM3(m, Number(r.timestampMs))}`);
    assert.is(v.valve_open, true);
  }
  assert.is(of('wm-6').length, 0, 'the dead meter produced nothing');
  assert.is(of('wm-7').length, 0, 'replies with a wrong checksum produced nothing');
  assert.ok((await metric('tz_edge_field_rejects_total', 'protocol="cjt188",reason="checksum"')) >= 1, 'wrong checksums counted');
  assert.ok((await metric('tz_edge_poll_failures_total', 'reason="exception"')) >= 1, 'and counted as failed polls like a Modbus exception');
  assert.ok((await metric('tz_edge_field_rejects_total', 'protocol="cjt188",reason="timeout"')) >= 2, 'timeouts of the dead and slow meters counted');
});

test('a slow meter\'s late reply is recognised by its address, counted, and not taken for its neighbour\'s', async () => {
  await waitFor('a late reply counted', async () => ((await metric('tz_edge_field_rejects_total', 'protocol="cjt188",reason="address"')) >= 1 ? true : undefined), 20_000, 100);
  const before = of('wm-4').length;
  await waitFor('wm-4 keeps its cadence', () => (of('wm-4').length >= before + 2 ? true : undefined), 10_000, 50);
  // wm-6 (dead) is polled after wm-5: had the late reply been taken for it, wm-6 would have a reading.
  assert.is(of('wm-6').length, 0);
});

test('DL/T 645 meters behind a TCP serial server arrive as electricity-meter readings', async () => {
  await waitFor('readings from both electricity meters', () => (of('em-1').length >= 1 && of('em-2').length >= 1 ? true : undefined), 20_000, 50);
  for (const i of [1, 2]) {
    const r = of(`em-${i}`).at(-1)!;
    const v = valuesOf(r);
    const m = power.meters[i - 1]!;
    assert.is(v.frequency_hz, 50);
    assert.ok(v.voltage_v === 226 || v.voltage_v === 222, `voltage ${v.voltage_v}`);
    assert.ok(Math.abs((v.energy_kwh as number) - power.energyKwh(m, Number(r.timestampMs))) < 0.05);
    assert.ok(Math.abs((v.current_a as number) * (v.voltage_v as number) / 1000 - (v.power_kw as number)) < 0.01, 'P = U·I');
  }
});

test('HJ 212 stations arrive as environmental-station readings at their DataTime; packets asking for it are answered 9014', async () => {
  await waitFor('three readings from each station', () => ([1, 2, 3].every((i) => of(`env-${i}`).length >= 3) ? true : undefined), 20_000, 50);
  for (const [i, s] of stations.stations.entries()) {
    const r = of(`env-${i + 1}`).at(-1)!;
    const sent = s.sent.find((x) => hj212Time(x.dataTime) === Number(r.timestampMs));
    assert.ok(sent, `env-${i + 1}: a packet with DataTime ${r.timestampMs}`);
    const v = valuesOf(r);
    assert.equal([v.pm25_ugm3, v.pm10_ugm3, v.noise_db, v.wind_speed_ms, v.wind_direction_deg], [sent!.values.a34004, sent!.values.a34002, sent!.values.LA, sent!.values.a01007, sent!.values.a01008]);
    assert.ok(s.acks >= 3, `station ${s.mn} got ${s.acks} answers`);
  }
});

test('malformed packets and one station\'s flood are counted; the other stations keep reporting', async () => {
  const [flooder, noisy, quiet] = stations.stations as [typeof stations.stations[0], typeof stations.stations[0], typeof stations.stations[0]];
  const good = frameHj212('QN=20260703101500123;ST=22;CN=2011;PW=123456;MN=ZMDENV0002;Flag=5;CP=&&DataTime=20260703101500;a34004-Rtd=1,a34004-Flag=N&&');
  stations.sendRaw(noisy, Buffer.concat([
    Buffer.concat([good.subarray(0, -6), Buffer.from('0000\r\n')]), // wrong CRC
    Buffer.from('##9999'), // over-long
    frameHj212('QN=20260703101500123;ST=22;CN=2011;PW=123456;MN=ZMDENV0002;Flag=13;CP=&&&&'), // version 3
    frameHj212('QN=20260703101500123;ST=22;CN=2011;PW=wrong;MN=ZMDENV0002;Flag=4;CP=&&&&'), // password
    frameHj212('QN=20260703101500123;ST=22;CN=2011;PW=123456;MN=NOBODY;Flag=4;CP=&&&&'), // unknown MN
  ]));
  stations.flood(flooder, 300);
  for (const [reason, min] of [['crc', 1], ['too-long', 1], ['version', 1], ['password', 1], ['unknown-device', 1], ['flood', 250]] as const) {
    await waitFor(`hj212 rejects reason=${reason}`, async () => ((await metric('tz_edge_field_rejects_total', `protocol="hj212",reason="${reason}"`)) >= min ? true : undefined), 10_000, 100);
  }
  const quietBefore = of('env-3').length;
  const noisyBefore = of('env-2').length;
  await waitFor('the quiet and the noisy station keep reporting', () => (of('env-3').length >= quietBefore + 3 && of('env-2').length >= noisyBefore + 3 ? true : undefined), 10_000, 50);
  assert.ok(quiet.acks > 0);
  const health = await (await fetch(`${agent.httpUrl}/healthz`)).json() as { devicesOnline: number };
  assert.ok(health.devicesOnline >= 9, `online ${health.devicesOnline}`); // 4 water + 2 electricity + 3 stations (wm-5 may flap)
});

test('a reload keeps the HJ 212 server and its connections; a station taken out of the config is refused', async () => {
  const [first, , third] = stations.stations;
  const before = await metric('tz_edge_field_rejects_total', 'protocol="hj212",reason="unknown-device"');
  await agent.reload(parseEdgeAgentConfig({ ...rawConfig, devices: rawConfig.devices.filter((d) => d.deviceId !== 'env-3') }, 'test'));
  const n1 = of('env-1').length;
  await waitFor('env-1 reports on over the same connection', () => (of('env-1').length >= n1 + 3 ? true : undefined), 10_000, 50);
  assert.ok(first!.socket && !first!.socket.destroyed, 'the station was not disconnected by the reload');
  await waitFor('env-3 refused as unknown', async () => ((await metric('tz_edge_field_rejects_total', 'protocol="hj212",reason="unknown-device"')) >= before + 2 ? true : undefined), 10_000, 100);
  assert.ok(third!.socket && !third!.socket.destroyed);
});

test.run();
