// A third-party master reads the simulated city: Debian's `mbpoll` polls the
// Modbus TCP buses and the RTU bus on a socat pty pair, with the register map
// taken from each profile (planReads), and the words it prints decode to what
// the simulator holds. Writes from mbpoll are obeyed like a real controller.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { execFile } from 'node:child_process';
import { loadProfiles, planReads, decodeBlock, type ReadBlock } from '../../device-profiles/index.ts';
import { ManualClock } from '../../service-kit/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict, type SimulatedDeviceInfo } from '../../firmware-sim/index.ts';
import { counter } from '../../testing/index.ts';

const profiles = loadProfiles();
let city: SimulatedDistrict;
const clock = new ManualClock(Date.UTC(2026, 6, 20, 13)); // 21:00 in Shanghai: lamps lit

/** mbpoll's table switch: 0 coils, 1 discrete inputs, 3 input registers, 4 holding registers. */
const TABLE_TYPE: Record<ReadBlock['table'], string> = { coil: '0', discrete: '1', input: '3:hex', holding: '4:hex' };

interface MbpollResult { code: number; stdout: string; stderr: string }
function mbpoll(args: string[]): Promise<MbpollResult> {
  return new Promise((resolve) => {
    execFile('mbpoll', args, { timeout: 10_000 }, (err, stdout, stderr) => resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }));
  });
}

/** Connection arguments for one device: TCP host/port or the RTU pty. */
function target(info: SimulatedDeviceInfo): { mode: string[]; address: string } {
  return info.transport === 'rtu'
    ? { mode: ['-m', 'rtu', '-b', '9600', '-P', 'none', '-d', '8', '-s', '1'], address: info.serialPath! }
    : { mode: ['-m', 'tcp', '-p', String(info.port)], address: info.host };
}

async function readBlock(info: SimulatedDeviceInfo, block: ReadBlock): Promise<number[]> {
  const { mode, address } = target(info);
  const r = await mbpoll([...mode, '-a', String(info.unitId), '-t', TABLE_TYPE[block.table], '-r', String(block.start), '-c', String(block.count), '-0', '-1', '-o', '1', address]);
  assert.is(r.code, 0, `mbpoll ${info.deviceId} ${block.table}@${block.start}: ${r.stderr}`);
  const values = [...r.stdout.matchAll(/^\[(\d+)\]:\s+(\S+)/gm)].map((m) => Number(m[2]));
  assert.is(values.length, block.count, r.stdout);
  return values;
}

async function checkDevice(info: SimulatedDeviceInfo): Promise<number> {
  let checked = 0;
  for (const block of planReads(profiles.require(info.profile))) {
    for (const [metric, value] of decodeBlock(block, await readBlock(info, block))) {
      const held = city.valueOf(info.deviceId, metric);
      if (typeof held === 'number') assert.ok(Math.abs((value as number) - held) < 1e-6, `${info.deviceId}.${metric}: mbpoll ${value}, sim ${held}`);
      else assert.is(value, held, `${info.deviceId}.${metric}`);
      checked++;
    }
  }
  return checked;
}

test.before(async () => {
  // 10 devices per district on one bus each; the last bus (shifanqu) is RTU on a pty pair.
  city = await startSimulatedDistrict({ profiles, devices: 40, seed: 17, devicesPerBus: 10, rtuBuses: 1, tickMs: 3_600_000, clock });
  clock.advance(120_000);
  city.catchUp();
});

test.after(async () => {
  await city?.stop();
});

test('mbpoll reads every class over Modbus TCP and the values decode to what the sim holds', async () => {
  for (const profile of ['manhole-cover', 'smart-pole', 'water-meter', 'public-toilet']) {
    const info = city.devices.find((x) => x.profile === profile && x.transport === 'tcp')!;
    const checked = await checkDevice(info);
    assert.is(checked, profiles.require(profile).metrics.length, `${profile}: every metric`);
  }
});

test('mbpoll reads the RTU bus through the pty pair', async () => {
  const rtu = city.devices.filter((x) => x.transport === 'rtu');
  assert.is(rtu.length, 10);
  assert.ok(rtu.every((x) => x.district === 'shifanqu' && x.serialPath && x.port === 0));
  const classes = new Set<string>();
  for (const info of rtu) {
    if (classes.has(info.profile)) continue;
    classes.add(info.profile);
    assert.is(await checkDevice(info), profiles.require(info.profile).metrics.length);
  }
  assert.ok(classes.size >= 3, `classes on the RTU bus: ${[...classes].join(', ')}`);
});

test('a dimming command written by mbpoll is obeyed (TCP and RTU)', async () => {
  for (const transport of ['tcp', 'rtu'] as const) {
    const pole = city.devices.find((x) => x.profile === 'smart-pole' && x.transport === transport)!;
    const full = city.valueOf(pole.deviceId, 'current_a') as number;
    const { mode, address } = target(pole);
    // set_dimming writes dimming_pct: the profile's holding register 0.
    const r = await mbpoll([...mode, '-a', String(pole.unitId), '-t', '4', '-r', '0', '-0', '-1', '-o', '1', address, '25']);
    assert.is(r.code, 0, r.stderr);
    assert.is(city.valueOf(pole.deviceId, 'dimming_pct'), 25);
    clock.advance(60_000);
    city.catchUp();
    assert.ok((city.valueOf(pole.deviceId, 'current_a') as number) < full * 0.5, `${transport}: current follows the dimming`);
    assert.is(await checkDevice(pole), profiles.require('smart-pole').metrics.length);
  }
});

test('faults seen by mbpoll: a silent slave times out, a corrupt RTU reply fails its CRC, an unknown TCP unit gets exception 0x0B', async () => {
  const [quiet, noisy] = city.devices.filter((x) => x.transport === 'rtu');
  city.injectFault(quiet!.deviceId, 'silent');
  const block = planReads(profiles.require(quiet!.profile))[0]!;
  const { mode, address } = target(quiet!);
  const timedOut = await mbpoll([...mode, '-a', String(quiet!.unitId), '-t', TABLE_TYPE[block.table], '-r', String(block.start), '-c', '1', '-0', '-1', '-o', '0.3', address]);
  assert.is.not(timedOut.code, 0);
  assert.match(timedOut.stderr, /timed out/i);
  city.injectFault(noisy!.deviceId, 'corrupt', { corrupt: 'crc' });
  const before = counter(city.stats(), 'repliesCorrupted');
  const nb = planReads(profiles.require(noisy!.profile))[0]!;
  const bad = await mbpoll([...mode, '-a', String(noisy!.unitId), '-t', TABLE_TYPE[nb.table], '-r', String(nb.start), '-c', '1', '-0', '-1', '-o', '0.5', address]);
  assert.is.not(bad.code, 0, 'a reply with a bad CRC is not accepted');
  assert.ok(counter(city.stats(), 'repliesCorrupted') > before);
  city.injectFault(quiet!.deviceId, 'recover');
  city.injectFault(noisy!.deviceId, 'recover');
  assert.is(await checkDevice(noisy!), profiles.require(noisy!.profile).metrics.length, 'the line works again');
  const tcp = city.devices.find((x) => x.transport === 'tcp')!;
  const unknown = await mbpoll(['-m', 'tcp', '-p', String(tcp.port), '-a', '200', '-t', '3', '-r', '0', '-c', '1', '-0', '-1', '-o', '1', tcp.host]);
  assert.is.not(unknown.code, 0);
  assert.match(unknown.stderr, /gateway|target/i);
});

test.run();
