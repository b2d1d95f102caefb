import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { TzError, createLogger, systemClock, type Clock } from '../service-kit/index.ts';
import { SeededRandom, hashString } from './prng.ts';
import { PHYSICS_BY_CLASS } from './physics/catalogue.ts';
import { SimulatedDevice } from './simulated-device.ts';
import { ModbusBusServer, type BusCounters } from './modbus-bus-server.ts';

export interface SimulatedDeviceInfo { deviceId: string; profile: string; district: string; host: string; port: number; unitId: number }
export type SimFault = 'cover-open' | 'silent' | 'recover';
export interface SimulatedDistrictOptions {
  profiles: ProfileCatalogue;
  /** Total devices, >= 4; the class mix is fixed (see CLASS_MIX), at least one of each. */
  devices: number;
  districts?: string[];
  /** One Modbus TCP server (one port) = one simulated RS-485 bus; at most 247 unit ids. */
  devicesPerBus?: number;
  host?: string;
  /** The whole district (ids, classes, placement, values) is deterministic under the seed. */
  seed?: number;
  /** Physics step, ms. */
  tickMs?: number;
  clock?: Clock;
}
export interface SimulatedDistrict {
  devices: SimulatedDeviceInfo[];
  injectFault(deviceId: string, fault: SimFault): void;
  setValue(deviceId: string, metric: string, value: number | boolean): void;
  valueOf(deviceId: string, metric: string): number | boolean;
  stats(): Record<string, number>;
  stop(): Promise<void>;
}

/** Share of each class in a district and its device id prefix. */
const CLASS_MIX = [
  { profile: 'manhole-cover', prefix: 'mh', share: 0.4 },
  { profile: 'smart-pole', prefix: 'pole', share: 0.25 },
  { profile: 'water-meter', prefix: 'wm', share: 0.2 },
  { profile: 'public-toilet', prefix: 'wc', share: 0.15 },
] as const;

const DEFAULT_DISTRICTS = ['gulou', 'taijiang', 'cangshan', 'jinan'];
const MAX_UNITS_PER_BUS = 247; // Modbus serial line addresses 1–247

function classCounts(total: number): number[] {
  const counts = CLASS_MIX.map((c) => Math.max(1, Math.floor(c.share * total)));
  const sum = counts.reduce((a, b) => a + b, 0);
  counts[0]! += total - sum; // the largest class takes the rounding
  return counts;
}

const localHour = (ms: number): number => {
  const d = new Date(ms);
  return d.getHours() + d.getMinutes() / 60;
};

/** Starts a district of simulated Modbus TCP field devices on free ports. */
export async function startSimulatedDistrict(opts: SimulatedDistrictOptions): Promise<SimulatedDistrict> {
  const { profiles, devices: total } = opts;
  const districts = opts.districts ?? DEFAULT_DISTRICTS;
  const perBus = opts.devicesPerBus ?? 50;
  const host = opts.host ?? '127.0.0.1';
  const seed = opts.seed ?? 1;
  const tickMs = opts.tickMs ?? 1000;
  const clock = opts.clock ?? systemClock;
  if (!Number.isInteger(total) || total < 4) throw new TzError('TZ_CONFIG_INVALID', `devices must be an integer >= 4 (one of each class), got ${total}`);
  if (!Number.isInteger(perBus) || perBus < 1 || perBus > MAX_UNITS_PER_BUS) throw new TzError('TZ_CONFIG_INVALID', `devicesPerBus must be 1..${MAX_UNITS_PER_BUS}, got ${perBus}`);
  if (districts.length === 0) throw new TzError('TZ_CONFIG_INVALID', 'districts must not be empty');
  const log = createLogger('firmware-sim');

  // Placement: classes shuffled under the seed so every bus carries a mix.
  const layout = new SeededRandom(seed);
  const classes = layout.shuffle(classCounts(total).flatMap((n, i) => new Array<number>(n).fill(i)));
  const perClass = CLASS_MIX.map(() => 0);
  const startHour = localHour(clock.now());
  const byId = new Map<string, SimulatedDevice>();
  const placed: Array<{ device: SimulatedDevice; district: string; bus: number; unitId: number }> = [];
  classes.forEach((classIndex, i) => {
    const mix = CLASS_MIX[classIndex]!;
    const profile = profiles.require(mix.profile);
    const deviceId = `${mix.prefix}-${String(++perClass[classIndex]!).padStart(4, '0')}`;
    const device = new SimulatedDevice(deviceId, profile, PHYSICS_BY_CLASS[mix.profile]!, new SeededRandom(seed ^ hashString(deviceId)), startHour);
    byId.set(deviceId, device);
    placed.push({ device, district: districts[i % districts.length]!, bus: Math.floor(i / perBus), unitId: (i % perBus) + 1 });
  });

  const counters: BusCounters = { requests: 0, silenced: 0, rejected: 0 };
  const servers: ModbusBusServer[] = [];
  const busCount = Math.ceil(total / perBus);
  try {
    for (let b = 0; b < busCount; b++) {
      const units = new Map(placed.filter((p) => p.bus === b).map((p) => [p.unitId, p.device]));
      servers.push(await ModbusBusServer.start(host, units, counters, log));
    }
  } catch (err) {
    await Promise.all(servers.map((s) => s.close()));
    throw err;
  }

  let ticks = 0;
  let lastTick = clock.now();
  const timer = setInterval(() => {
    const now = clock.now();
    const dtS = Math.max(0, (now - lastTick) / 1000);
    lastTick = now;
    const hour = localHour(now);
    for (const d of byId.values()) d.step(dtS, hour);
    ticks++;
  }, tickMs);
  timer.unref();

  const find = (deviceId: string): SimulatedDevice => {
    const device = byId.get(deviceId);
    if (!device) throw new TzError('TZ_DEVICE_UNKNOWN', `no simulated device "${deviceId}"`);
    return device;
  };

  log.info({ devices: total, buses: busCount, ports: servers.map((s) => s.port) }, 'simulated district started');
  return {
    devices: placed.map((p) => ({ deviceId: p.device.deviceId, profile: p.device.profile.class, district: p.district, host, port: servers[p.bus]!.port, unitId: p.unitId })),
    injectFault(deviceId, fault) {
      const device = find(deviceId);
      if (fault === 'silent') device.silent = true;
      else if (fault === 'recover') device.recover();
      else if (fault === 'cover-open') {
        if (device.profile.class !== 'manhole-cover') throw new TzError('TZ_SIM_FAULT_UNSUPPORTED', `'cover-open' needs a manhole cover, ${deviceId} is a ${device.profile.class}`);
        // A lifted cover: reed switch open and the tilt sensor spikes.
        device.pin('cover_open', true);
        device.pin('tilt_deg', 42);
      } else throw new TzError('TZ_SIM_FAULT_UNSUPPORTED', `unknown fault "${String(fault)}"`);
      log.info({ deviceId, fault }, 'fault injected');
    },
    setValue: (deviceId, metric, value) => find(deviceId).pin(metric, value),
    valueOf: (deviceId, metric) => find(deviceId).valueOf(metric),
    stats: () => ({ devices: total, buses: busCount, ticks, requestsServed: counters.requests, requestsSilenced: counters.silenced, requestsRejected: counters.rejected }),
    async stop() {
      clearInterval(timer);
      await Promise.all(servers.map((s) => s.close()));
    },
  };
}
