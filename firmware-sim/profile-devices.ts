import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { createLogger, TzError } from '../service-kit/index.ts';
import { cityTime, DEFAULT_TIME_ZONE } from './city-time.ts';
import { DistrictConditions } from './environment.ts';
import { ModbusTcpBus } from './modbus/tcp-bus.ts';
import { newBusCounters } from './modbus/pdu.ts';
import { PHYSICS_BY_CLASS } from './physics/catalogue.ts';
import { profilePhysics } from './physics/profile-physics.ts';
import { hashString, SeededRandom } from './prng.ts';
import { SimulatedDevice } from './simulated-device.ts';

export interface ProfileDevicesOptions {
  profiles: ProfileCatalogue;
  /** Devices on one Modbus TCP bus, unit ids 1, 2, … in this order. */
  devices: Array<{ deviceId: string; profile: string }>;
  seed?: number;
  host?: string;
  /** Physics step, ms of wall time (default 1000). */
  stepMs?: number;
}

export interface SimulatedProfileDevices {
  host: string;
  port: number;
  devices: Array<{ deviceId: string; profile: string; unitId: number }>;
  setValue(deviceId: string, metric: string, value: number | boolean): void;
  valueOf(deviceId: string, metric: string): number | boolean;
  stop(): Promise<void>;
}

/**
 * Any profile's devices on one Modbus TCP bus, outside a district: the class's
 * physics from the catalogue when it has one, else profile-physics.ts — so a
 * class described only by a new profile file is simulated with no code.
 */
export async function startSimulatedProfileDevices(options: ProfileDevicesOptions): Promise<SimulatedProfileDevices> {
  const seed = options.seed ?? 1;
  const stepMs = options.stepMs ?? 1000;
  const conditions = new DistrictConditions();
  const now = () => Date.now();
  const placed = options.devices.map((d, i) => {
    const profile = options.profiles.require(d.profile);
    if (!profile.modbus) throw new TzError('TZ_CONFIG_INVALID', `profile ${profile.class} has no Modbus register map to serve`);
    const physics = PHYSICS_BY_CLASS[profile.class] ?? profilePhysics(profile);
    const time = cityTime(now(), DEFAULT_TIME_ZONE);
    const device = new SimulatedDevice(d.deviceId, profile, physics, new SeededRandom(seed ^ hashString(d.deviceId)), new SeededRandom(seed ^ hashString(`faults:${d.deviceId}`)), {
      nowS: now() / 1000, time, env: conditions.at(time),
    });
    return { ...d, unitId: i + 1, device };
  });
  const byUnit = new Map(placed.map((p) => [p.unitId, p.device]));
  const byId = new Map(placed.map((p) => [p.deviceId, p.device]));
  const bus = await ModbusTcpBus.start(options.host ?? '127.0.0.1', { device: (u) => byUnit.get(u), answering: (d) => !d.faults.silent }, newBusCounters(), createLogger('firmware-sim'));
  let last = cityTime(now(), DEFAULT_TIME_ZONE);
  const timer = setInterval(() => {
    const time = cityTime(now(), DEFAULT_TIME_ZONE);
    for (const p of placed) p.device.step({ dtS: stepMs / 1000, nowS: now() / 1000, time, newDay: time.date !== last.date, env: conditions.at(time) });
    last = time;
  }, stepMs);
  timer.unref();
  const find = (deviceId: string): SimulatedDevice => {
    const d = byId.get(deviceId);
    if (!d) throw new TzError('TZ_DEVICE_UNKNOWN', `no simulated device "${deviceId}"`);
    return d;
  };
  return {
    host: bus.host, port: bus.port,
    devices: placed.map(({ deviceId, profile, unitId }) => ({ deviceId, profile, unitId })),
    setValue: (deviceId, metric, value) => find(deviceId).pin(metric, value),
    valueOf: (deviceId, metric) => find(deviceId).valueOf(metric),
    async stop() {
      clearInterval(timer);
      await bus.close();
    },
  };
}
