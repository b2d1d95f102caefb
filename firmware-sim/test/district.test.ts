import { test } from 'uvu';
import * as assert from 'uvu/assert';
import modbusSerial from 'modbus-serial';
import { loadProfiles, planReads, decodeBlock, type ReadBlock } from '../../device-profiles/index.ts';
import { isTzError, toError, ManualClock } from '../../service-kit/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict, type SimulatedDeviceInfo } from '../index.ts';
import { counter } from '../../testing/index.ts';

// modbus-serial is CommonJS: under NodeNext its default import is the module object, whose `default` is the client class.
const ModbusRTU = modbusSerial.default;
type ModbusRTU = InstanceType<typeof ModbusRTU>;

const profiles = loadProfiles();
const started: SimulatedDistrict[] = [];
const clients: ModbusRTU[] = [];

async function district(devices: number, seed = 7, devicesPerBus?: number): Promise<SimulatedDistrict> {
  // A long tick keeps values still while a test compares them.
  const d = await startSimulatedDistrict({ profiles, devices, seed, devicesPerBus, tickMs: 3_600_000 });
  started.push(d);
  return d;
}

async function client(port: number, timeoutMs = 500): Promise<ModbusRTU> {
  const c = new ModbusRTU();
  await c.connectTCP('127.0.0.1', { port });
  c.setTimeout(timeoutMs);
  clients.push(c);
  return c;
}

async function readBlock(c: ModbusRTU, b: ReadBlock): Promise<(number | boolean)[]> {
  switch (b.table) {
    case 'coil': return (await c.readCoils(b.start, b.count)).data;
    case 'discrete': return (await c.readDiscreteInputs(b.start, b.count)).data;
    case 'holding': return (await c.readHoldingRegisters(b.start, b.count)).data;
    case 'input': return (await c.readInputRegisters(b.start, b.count)).data;
  }
}

/** Reads a device the way the edge agent does: planReads blocks, decodeBlock. */
async function readDevice(info: SimulatedDeviceInfo, c?: ModbusRTU): Promise<Map<string, number | boolean>> {
  const conn = c ?? (await client(info.port));
  conn.setID(info.unitId);
  const values = new Map<string, number | boolean>();
  for (const block of planReads(profiles.require(info.profile))) {
    for (const [k, v] of decodeBlock(block, await readBlock(conn, block))) values.set(k, v);
  }
  return values;
}

test.after(async () => {
  for (const c of clients) await new Promise<void>((resolve) => c.close(() => resolve()));
  await Promise.all(started.map((d) => d.stop()));
});

test('the district has the requested count and class mix, numbered per class', async () => {
  const d = await district(20, 7, 8);
  assert.is(d.devices.length, 20);
  const count = (p: string) => d.devices.filter((x) => x.profile === p).length;
  assert.is(count('manhole-cover'), 8);
  assert.is(count('smart-pole'), 5);
  assert.is(count('water-meter'), 4);
  assert.is(count('public-toilet'), 3);
  assert.ok(d.devices.some((x) => x.deviceId === 'mh-0001') && d.devices.some((x) => x.deviceId === 'wc-0003'));
  assert.ok(d.devices.every((x) => /^(mh|pole|wm|wc)-\d{4}$/.test(x.deviceId)));
  // 5 devices per district, each district its own bus (a bus never crosses districts).
  assert.is(new Set(d.devices.map((x) => x.port)).size, 4);
  assert.is(new Set(d.devices.map((x) => x.district)).size, 4);
  assert.is(counter(d.stats(), 'buses'), 4);
  for (const port of new Set(d.devices.map((x) => x.port))) assert.is(new Set(d.devices.filter((x) => x.port === port).map((x) => x.district)).size, 1);
  assert.ok(d.devices.every((x) => x.gatewayId === `gw-${x.district}-1` && x.transport === 'tcp'));
  const small = await district(4);
  assert.equal(small.devices.map((x) => x.profile).sort(), ['manhole-cover', 'public-toilet', 'smart-pole', 'water-meter']);
});

test('a real Modbus TCP client reads what valueOf reports, for every class', async () => {
  const d = await district(8);
  for (const profile of ['manhole-cover', 'smart-pole', 'water-meter', 'public-toilet']) {
    const info = d.devices.find((x) => x.profile === profile)!;
    const read = await readDevice(info);
    assert.is(read.size, profiles.require(profile).metrics.length, `${profile}: every metric read`);
    for (const [metric, value] of read) assert.is(value, d.valueOf(info.deviceId, metric), `${info.deviceId}.${metric}`);
  }
  assert.ok(counter(d.stats(), 'requestsServed') > 0);
});

test('normal values stay below the default alarm thresholds', async () => {
  const d = await district(40);
  for (const info of d.devices) {
    const v = (m: string) => d.valueOf(info.deviceId, m);
    if (info.profile === 'manhole-cover') {
      assert.is(v('cover_open'), false);
      assert.ok((v('tilt_deg') as number) <= 3 && (v('water_level_cm') as number) <= 60 && (v('battery_pct') as number) >= 60);
    } else if (info.profile === 'smart-pole') {
      const volts = v('voltage_v') as number;
      assert.ok(volts >= 220 && volts <= 235 && (v('noise_db') as number) < 85);
      if (v('lamp_on') === true) assert.ok((v('current_a') as number) >= 0.4);
    } else if (info.profile === 'water-meter') {
      assert.is(v('reverse_flow'), false);
      const p = v('pressure_mpa') as number;
      assert.ok(p >= 0.2 && p <= 0.45);
    } else {
      assert.ok((v('nh3_ppm') as number) <= 12 && (v('paper_pct') as number) >= 40);
    }
  }
});

test('setValue and cover-open show up in a read; recover releases them', async () => {
  const d = await district(8);
  const mh = d.devices.find((x) => x.profile === 'manhole-cover')!;
  const wm = d.devices.find((x) => x.profile === 'water-meter')!;
  d.setValue(wm.deviceId, 'pressure_mpa', 0.123);
  assert.is((await readDevice(wm)).get('pressure_mpa'), d.valueOf(wm.deviceId, 'pressure_mpa'));
  assert.ok(Math.abs((d.valueOf(wm.deviceId, 'pressure_mpa') as number) - 0.123) < 1e-9);
  d.injectFault(mh.deviceId, 'cover-open');
  const read = await readDevice(mh);
  assert.is(read.get('cover_open'), true);
  assert.ok((read.get('tilt_deg') as number) > 15, 'tilt spikes above the alarm threshold');
  d.injectFault(mh.deviceId, 'recover');
  assert.throws(() => d.injectFault(wm.deviceId, 'cover-open'), (err: unknown) => isTzError(err, 'TZ_SIM_FAULT_UNSUPPORTED'));
  assert.throws(() => d.injectFault('mh-9999', 'silent'), (err: unknown) => isTzError(err, 'TZ_DEVICE_UNKNOWN'));
  assert.throws(() => d.setValue(mh.deviceId, 'no_such_metric', 1), (err: unknown) => isTzError(err));
});

test('a silent device times out while its bus neighbour still answers; unknown unit ids get an exception', async () => {
  const d = await district(8);
  const [a, b] = d.devices.filter((x) => x.port === d.devices[0]!.port);
  d.injectFault(a!.deviceId, 'silent');
  const c = await client(a!.port, 300);
  const started = Date.now();
  const silent = await readDevice(a!, c).then(() => null, (err: unknown) => toError(err));
  assert.ok(silent, 'the silent device must not answer');
  assert.match(silent.message, /timed out/i);
  assert.ok(Date.now() - started < 2000);
  const neighbour = await readDevice(b!, c);
  assert.ok(neighbour.size > 0, 'the neighbour on the same connection answers');
  c.setID(200);
  const unknown = await c.readInputRegisters(0, 1).then(() => null, (err: unknown) => err as { modbusCode?: number });
  assert.is(unknown?.modbusCode, 0x0b, 'gateway target device failed to respond');
  d.injectFault(a!.deviceId, 'recover');
  assert.ok((await readDevice(a!, c)).size > 0, 'answers again after recover');
  assert.ok(counter(d.stats(), 'requestsSilenced') > 0 && counter(d.stats(), 'requestsRejected') > 0);
});

test('the district is deterministic under a seed', async () => {
  const snapshot = (d: SimulatedDistrict) => d.devices.map((x) => ({ ...x, port: 0, values: profiles.require(x.profile).metrics.map((m) => d.valueOf(x.deviceId, m.name)) }));
  const one = await district(12, 42);
  const two = await district(12, 42);
  const other = await district(12, 43);
  assert.equal(snapshot(one), snapshot(two));
  assert.not.equal(snapshot(one), snapshot(other));
});

const failure = (p: Promise<unknown>): Promise<string | null> => p.then(() => null, (err: unknown) => toError(err).message);

test('faults: stuck freezes the reading, spikes jump, slow delays, corrupt replies fail the client', async () => {
  const d = await startSimulatedDistrict({ profiles, devices: 16, seed: 5, tickMs: 3_600_000, clock: new ManualClock(Date.UTC(2026, 6, 20, 4)) });
  started.push(d);
  const [a, b, c, e] = d.devices.filter((x) => x.profile === 'manhole-cover');
  // stuck: the sensor keeps reporting what it had while the street moves on.
  const before = d.valueOf(a!.deviceId, 'water_level_cm');
  d.injectFault(a!.deviceId, 'stuck');
  d.weather(undefined, { rainMmH: 80 });
  d.deviceEvent(a!.deviceId, 'cover-open');
  assert.is((await readDevice(a!)).get('water_level_cm'), before);
  assert.is((await readDevice(a!)).get('cover_open'), false, 'a stuck sensor misses the lifted cover');
  // spikes: every read (chance 1) has one metric wildly off its true value.
  d.injectFault(b!.deviceId, 'spikes', { chance: 1 });
  let jumped = 0;
  for (let i = 0; i < 6; i++) {
    const read = await readDevice(b!);
    for (const [m, v] of read) if (typeof v === 'number' && Math.abs(v - (d.valueOf(b!.deviceId, m) as number)) > 5) jumped++;
  }
  assert.ok(jumped >= 3, `spiky reads: ${jumped}`);
  // slow: the reply comes after the client gave up; a patient client gets it.
  d.injectFault(c!.deviceId, 'slow', { slowMs: 400 });
  const conn = await client(c!.port, 150);
  conn.setID(c!.unitId);
  assert.match((await failure(conn.readInputRegisters(0, 1))) ?? '', /timed out/i);
  const patient = await client(c!.port, 1500);
  patient.setID(c!.unitId);
  const t0 = Date.now();
  await patient.readInputRegisters(0, 1);
  assert.ok(Date.now() - t0 >= 350, 'the answer took the configured delay');
  // corrupt: a malformed MBAP header, then garbage — the client never gets a value.
  d.injectFault(e!.deviceId, 'corrupt', { corrupt: 'mbap' });
  const bad = await client(e!.port, 300);
  bad.setID(e!.unitId);
  assert.ok(await failure(bad.readInputRegisters(0, 1)), 'malformed MBAP is not accepted');
  d.injectFault(e!.deviceId, 'recover');
  d.injectFault(e!.deviceId, 'corrupt', { corrupt: 'garbage' });
  const noisy = await client(e!.port, 300);
  noisy.setID(e!.unitId);
  assert.ok(await failure(noisy.readInputRegisters(0, 1)), 'garbage is not accepted');
  assert.ok(counter(d.stats(), 'repliesCorrupted') >= 2);
  d.injectFault(e!.deviceId, 'recover');
  assert.ok((await readDevice(e!)).size > 0, 'recovered');
});

test('a gateway link down silences every bus behind it; a power cut silences mains devices and zeroes pole voltage', async () => {
  const d = await startSimulatedDistrict({ profiles, devices: 40, seed: 9, devicesPerBus: 4, busesPerGateway: 2, tickMs: 3_600_000, clock: new ManualClock(Date.UTC(2026, 6, 20, 12)) });
  started.push(d);
  const gw = d.gateways.find((g) => g.district === 'yicheng' && g.buses === 2)!;
  const behind = d.devices.filter((x) => x.gatewayId === gw.gatewayId);
  const other = d.devices.find((x) => x.district === 'yicheng' && x.gatewayId !== gw.gatewayId)!;
  d.setGatewayLink(gw.gatewayId, false);
  for (const x of [behind[0]!, behind[behind.length - 1]!]) assert.match((await failure(readDevice(x, await client(x.port, 200)))) ?? '', /timed out/i, `${x.deviceId} behind ${gw.gatewayId}`);
  assert.ok((await readDevice(other)).size > 0, 'the other gateway still answers');
  d.setGatewayLink(gw.gatewayId, true);
  assert.ok((await readDevice(behind[0]!)).size > 0, 'link back up');
  assert.throws(() => d.setGatewayLink('gw-nowhere-1', false), (err: unknown) => isTzError(err, 'TZ_DEVICE_UNKNOWN'));

  d.setPower('gaoxin', false);
  const toilet = d.devices.find((x) => x.district === 'gaoxin' && x.profile === 'public-toilet')!;
  const pole = d.devices.find((x) => x.district === 'gaoxin' && x.profile === 'smart-pole')!;
  const cover = d.devices.find((x) => x.district === 'gaoxin' && x.profile === 'manhole-cover')!;
  assert.match((await failure(readDevice(toilet, await client(toilet.port, 200)))) ?? '', /timed out/i, 'toilet controller is on the grid');
  assert.ok((await readDevice(cover)).size > 0, 'battery cover keeps answering');
  assert.ok((await readDevice(pole)).size > 0, 'pole controller on its backup cell');
  d.setPower('gaoxin', true);
  assert.ok((await readDevice(toilet)).size > 0, 'power back');
});

test('commands are obeyed: a dimming write lowers the lamp current, a valve close stops the flow', async () => {
  const clock = new ManualClock(Date.UTC(2026, 6, 20, 14)); // 22:00 in Shanghai: lamps lit
  const d = await startSimulatedDistrict({ profiles, devices: 20, seed: 4, tickMs: 3_600_000, clock });
  started.push(d);
  const pole = d.devices.find((x) => x.profile === 'smart-pole')!;
  clock.advance(60_000);
  d.catchUp();
  assert.is(d.valueOf(pole.deviceId, 'lamp_on'), true);
  const full = d.valueOf(pole.deviceId, 'current_a') as number;
  const c = await client(pole.port);
  c.setID(pole.unitId);
  await c.writeRegister(0, 30); // set_dimming writes dimming_pct: holding 0
  assert.is((await c.readHoldingRegisters(0, 1)).data[0], 30);
  clock.advance(60_000);
  d.catchUp();
  const dimmed = d.valueOf(pole.deviceId, 'current_a') as number;
  assert.ok(dimmed < full * 0.5 && dimmed > 0.05, `current ${full} → ${dimmed} at 30 %`);
  await c.writeCoil(0, false); // set_lamp off: a manual override until dawn
  clock.advance(60_000);
  d.catchUp();
  assert.is(d.valueOf(pole.deviceId, 'lamp_on'), false);
  assert.is(d.valueOf(pole.deviceId, 'current_a'), 0);

  const meter = d.devices.find((x) => x.profile === 'water-meter')!;
  d.deviceEvent(meter.deviceId, 'pipe-leak', { m3h: 0.5 });
  const m = await client(meter.port);
  m.setID(meter.unitId);
  await m.writeCoil(0, false);
  const volume = d.valueOf(meter.deviceId, 'volume_m3') as number;
  clock.advance(600_000);
  d.catchUp();
  assert.is(d.valueOf(meter.deviceId, 'valve_open'), false);
  assert.is(d.valueOf(meter.deviceId, 'flow_m3h'), 0);
  assert.is(d.valueOf(meter.deviceId, 'volume_m3'), volume, 'a closed valve passes nothing');
  const illegal = await m.writeRegister(40, 1).then(() => null, (err: unknown) => err as { modbusCode?: number });
  assert.is(illegal?.modbusCode, 0x02, 'writing outside the map is an illegal data address');
});

test.run();
