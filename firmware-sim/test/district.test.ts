import { test } from 'uvu';
import * as assert from 'uvu/assert';
import modbusSerial from 'modbus-serial';
import { loadProfiles, planReads, decodeBlock, type ReadBlock } from '../../device-profiles/index.ts';
import { isTzError, toError } from '../../service-kit/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict, type SimulatedDeviceInfo } from '../index.ts';

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
  assert.is(new Set(d.devices.map((x) => x.port)).size, 3, '20 devices at 8 per bus = 3 buses');
  assert.is(new Set(d.devices.map((x) => x.district)).size, 4);
  assert.is(d.stats().buses, 3);
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
  assert.ok(d.stats().requestsServed > 0);
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
  assert.ok(d.stats().requestsSilenced > 0 && d.stats().requestsRejected > 0);
});

test('the district is deterministic under a seed', async () => {
  const snapshot = (d: SimulatedDistrict) => d.devices.map((x) => ({ ...x, port: 0, values: profiles.require(x.profile).metrics.map((m) => d.valueOf(x.deviceId, m.name)) }));
  const one = await district(12, 42);
  const two = await district(12, 42);
  const other = await district(12, 43);
  assert.equal(snapshot(one), snapshot(two));
  assert.not.equal(snapshot(one), snapshot(other));
});

test('physics keeps values in band over many steps; meter volume never decreases', async () => {
  const d = await startSimulatedDistrict({ profiles, devices: 10, seed: 3, tickMs: 2 });
  started.push(d);
  const wm = d.devices.find((x) => x.profile === 'water-meter')!;
  let volume = d.valueOf(wm.deviceId, 'volume_m3') as number;
  const deadline = Date.now() + 10_000;
  while (d.stats().ticks < 100 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 10));
    const now = d.valueOf(wm.deviceId, 'volume_m3') as number;
    assert.ok(now >= volume, 'volume never decreases');
    volume = now;
  }
  assert.ok(d.stats().ticks >= 100);
  for (const info of d.devices.filter((x) => x.profile === 'manhole-cover')) {
    const tilt = d.valueOf(info.deviceId, 'tilt_deg') as number;
    assert.ok(tilt >= 0 && tilt <= 3, `${info.deviceId} tilt ${tilt}`);
  }
  assert.is(d.valueOf(wm.deviceId, 'reverse_flow'), false);
});

test.run();
