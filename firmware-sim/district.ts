import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { TzError, createLogger, systemClock, toError, type Clock } from '../service-kit/index.ts';
import { SeededRandom, hashString } from './prng.ts';
import { PHYSICS_BY_CLASS } from './physics/catalogue.ts';
import type { EventParams } from './physics/types.ts';
import { SimulatedDevice, type CorruptKind } from './simulated-device.ts';
import { newBusCounters, type BusUnits } from './modbus/pdu.ts';
import { SimClock } from './sim-clock.ts';
import { LoraMeterFleet } from './lora-meters.ts';
import type { AbpKeys, OtaaKeys } from './lora/index.ts';
import { cityTime, checkTimeZone, parseCityDateTime, DEFAULT_TIME_ZONE, type CityTime } from './city-time.ts';
import { DistrictConditions } from './environment.ts';
import { ScenarioRun, type CityControl, type ScenarioProgress } from './scenario/runner.ts';
import type { Scenario, FaultKind } from './scenario/schema.ts';
import type { CitySites, DeviceSite } from './sites.ts';
import { DEFAULT_DISTRICTS, planCity, type PlannedDevice } from './city-plan.ts';
import { startDistrictBuses } from './district-buses.ts';

export { DEFAULT_DISTRICTS };

export interface SimulatedDeviceInfo {
  deviceId: string;
  profile: string;
  district: string;
  /** The simulated gateway (cabinet) whose buses reach this device. */
  gatewayId: string;
  transport: 'tcp' | 'rtu' | 'lora';
  /** Modbus TCP address of the device's bus ('' and 0 for RTU and LoRa devices). */
  host: string;
  port: number;
  /** Modbus unit id (0 for a LoRa device). */
  unitId: number;
  /** For an RTU device: the master's end of the pseudo-terminal pair. */
  serialPath?: string;
  /** For a LoRaWAN ABP device: its address and session keys (hex). */
  lora?: AbpKeys;
  /** Where it stands (street, address, district, grid cell), when the district was started with `sites`. */
  site?: DeviceSite;
  /** For a LoRaWAN OTAA device (`loraActivation: 'otaa'`): its root keys (hex). */
  loraOtaa?: OtaaKeys;
}

/** Faults on demand. `cover-open` is kept as a shorthand for the manhole cover event. */
export type SimFault = 'cover-open' | FaultKind;
// (FaultKind includes lora-replay and lora-bad-mic, for LoRa devices.)
export interface FaultOptions {
  slowMs?: number;
  /** spikes: chance per read (default 0.2). */
  chance?: number;
  corrupt?: CorruptKind;
  /** lora-clock-skew: how far the district's packet forwarder clock is off, ms (default +2 days; 0 puts it right). */
  skewMs?: number;
}

export interface SimulatedDistrictOptions {
  profiles: ProfileCatalogue;
  /** Total devices, >= 4; the class mix is fixed (see CLASS_MIX in city-plan.ts), at least one of each. */
  devices: number;
  districts?: string[];
  /** One Modbus TCP server (one port) = one simulated RS-485 bus; at most 247 unit ids. */
  devicesPerBus?: number;
  /** Buses behind one simulated gateway (a gateway's link down silences all of them). */
  busesPerGateway?: number;
  /** How many buses (taken from the end of the layout) are served as Modbus RTU over a socat pty pair. */
  rtuBuses?: number;
  host?: string;
  /** The whole city (ids, classes, placement, values at each simulated time) is deterministic under the seed. */
  seed?: number;
  /** How often (wall ms) the simulation catches up with its clock. */
  tickMs?: number;
  /** Wall clock (tests inject a ManualClock). */
  clock?: Clock;
  /** Time compression: simulated seconds per wall second. */
  speed?: number;
  /**
   * The stack's one simulated clock (service-kit SimulatedClock): the city's
   * time is exactly its time (speed, start and scenario offsets follow it;
   * `speed`, `startTime` and a scenario's own start are ignored), so the
   * devices, the agent's stamps, rules and cases read the same instant.
   */
  simulatedClock?: Clock;
  /** Simulated start: epoch ms, or city-local "2026-07-20T17:30"; default now. */
  startTime?: number | string;
  /** The city's IANA time zone (lamps, demand curves, daily counters). */
  timeZone?: string;
  /** Physics step in simulated seconds (values at a simulated time depend only on seed and step). */
  stepSeconds?: number;
  /** Play this scenario from its start (its start time and, unless `speed` is given, its speed). */
  scenario?: Scenario;
  /** How many water meters report over LoRaWAN (ABP, Semtech UDP) instead of Modbus; see attachLora. */
  loraMeters?: number;
  /** Where devices stand: the city's districts and sites along its streets (cli/ builds it from registry/places). Without it devices have no coordinates. */
  sites?: CitySites;
  /** How the LoRa meters activate: ABP (session keys from the seed, the default) or OTAA (they join first). */
  loraActivation?: 'abp' | 'otaa';
}

export interface SimulatedDistrict {
  devices: SimulatedDeviceInfo[];
  districts: string[];
  gateways: Array<{ gatewayId: string; district: string; buses: number }>;
  /** Simulated time now (epoch ms). */
  now(): number;
  cityTime(): CityTime;
  injectFault(deviceId: string, fault: SimFault, opts?: FaultOptions): void;
  /** Something happens in the street to one device (see the class's events). */
  deviceEvent(deviceId: string, event: string, params?: EventParams): void;
  setValue(deviceId: string, metric: string, value: number | boolean): void;
  valueOf(deviceId: string, metric: string): number | boolean;
  weather(district: string | undefined, change: { rainMmH?: number; heatOffsetC?: number; pm25ExtraUgm3?: number }): void;
  setPower(district: string, on: boolean): void;
  setGatewayLink(gatewayId: string, up: boolean): void;
  /** Points the LoRa meters' packet forwarders (one per district) at a network server, e.g. an edge agent's LoRa UDP port. */
  attachLora(host: string, port: number): Promise<void>;
  /** Plays a scenario from now: the clock jumps to its start and runs at its speed. */
  runScenario(scenario: Scenario, opts?: { speed?: number }): ScenarioRun;
  scenario(): ScenarioProgress | undefined;
  /** The scenario being played (its resolved expectations), if any. */
  scenarioRun(): ScenarioRun | undefined;
  /** Runs every physics step due by the clock now (the timer does this every tick, within a time budget). */
  catchUp(budgetMs?: number): number;
  stats(): Record<string, number>;
  stop(): Promise<void>;
}

/** At most this much wall time per tick goes to catching up, so sockets keep being served. */
const CATCH_UP_BUDGET_MS = 200;

interface Placed {
  device: SimulatedDevice;
  district: string;
  site?: DeviceSite;
  gatewayId: string;
  bus: number;
  unitId: number;
}

/** Starts a city of simulated field devices: Modbus TCP buses on free ports, optional RTU buses on pty pairs. */
export async function startSimulatedDistrict(opts: SimulatedDistrictOptions): Promise<SimulatedDistrict> {
  const { profiles, devices: total } = opts;
  const districts = opts.districts ?? opts.sites?.districts ?? DEFAULT_DISTRICTS;
  const perBus = opts.devicesPerBus ?? 50;
  const busesPerGateway = opts.busesPerGateway ?? 4;
  const host = opts.host ?? '127.0.0.1';
  const seed = opts.seed ?? 1;
  const tickMs = opts.tickMs ?? 1000;
  const timeZone = opts.timeZone ?? opts.scenario?.timeZone ?? DEFAULT_TIME_ZONE;
  const stepMs = (opts.stepSeconds ?? 30) * 1000;
  const shared = opts.simulatedClock;
  const speed = shared ? 1 : opts.speed ?? opts.scenario?.speed ?? 1;
  const loraCount = Math.max(0, opts.loraMeters ?? opts.scenario?.loraMeters ?? 0);
  const plan = planCity({ devices: total, districts, devicesPerBus: perBus, busesPerGateway, seed, loraMeters: loraCount, ...(opts.sites ? { sites: opts.sites } : {}) });
  if (!(speed > 0 && speed <= 100_000)) throw new TzError('TZ_CONFIG_INVALID', `speed must be in (0, 100000], got ${speed}`);
  if (!(stepMs >= 1000 && stepMs <= 3_600_000)) throw new TzError('TZ_CONFIG_INVALID', `stepSeconds must be 1..3600, got ${stepMs / 1000}`);
  checkTimeZone(timeZone);
  const log = createLogger('firmware-sim');
  const wall = shared ?? opts.clock ?? systemClock;
  const startMs = shared ? shared.now() : opts.scenario
    ? parseCityDateTime(opts.scenario.start, timeZone)
    : typeof opts.startTime === 'string' ? parseCityDateTime(opts.startTime, timeZone) : (opts.startTime ?? wall.now());
  const clock = new SimClock(wall, startMs, speed);

  // Time origin of the physics: state at origin + k·step depends only on the seed.
  let originMs = startMs;
  let stepIndex = 0;
  let currentTime = cityTime(startMs, timeZone);
  const conditions = new Map(districts.map((d) => [d, new DistrictConditions()]));

  // The devices of the plan, each with its own seeded physics and faults.
  const makeDevice = (d: PlannedDevice): SimulatedDevice => {
    const physics = PHYSICS_BY_CLASS[d.profile];
    const env = conditions.get(d.district)?.at(currentTime);
    if (physics === undefined || env === undefined) throw new TzError('TZ_CONFIG_INVALID', `no physics for ${d.profile} or no district ${d.district}`);
    return new SimulatedDevice(d.deviceId, profiles.require(d.profile), physics, new SeededRandom(seed ^ hashString(d.deviceId)), new SeededRandom(seed ^ hashString(`faults:${d.deviceId}`)), {
      nowS: startMs / 1000, time: currentTime, env,
    });
  };
  const placed: Placed[] = plan.modbus.map((d) => ({ device: makeDevice(d), district: d.district, ...(d.site ? { site: d.site } : {}), gatewayId: d.gatewayId, bus: d.bus, unitId: d.unitId }));
  const byId = new Map(placed.map((p) => [p.device.deviceId, p]));
  const loraPlaced = plan.lora.map((d) => ({ device: makeDevice(d), district: d.district, ...(d.site ? { site: d.site } : {}) }));
  const busCount = plan.busCount;
  // Each step moves every device under its district's weather and power, computed once per district.
  const byDistrict = [...conditions].map(([d, c]) => ({ conditions: c, devices: [...placed, ...loraPlaced].filter((p) => p.district === d).map((p) => p.device) }));

  const lora = new LoraMeterFleet(loraPlaced, seed, startMs, opts.loraActivation ?? 'abp');
  const gatewayUp = new Map<string, boolean>();
  for (const p of placed) gatewayUp.set(p.gatewayId, true);
  const counters = newBusCounters();
  const rtuCount = Math.min(busCount, Math.max(0, opts.rtuBuses ?? 0));
  const busUnits = (b: number): BusUnits => {
    const units = new Map(placed.filter((p) => p.bus === b).map((p) => [p.unitId, p]));
    return {
      device: (unitId) => units.get(unitId)?.device,
      answering: (device) => {
        const p = byId.get(device.deviceId);
        if (p === undefined || device.faults.silent || !gatewayUp.get(p.gatewayId)) return false;
        return !(device.silentWithoutMains && conditions.get(p.district)?.mainsPower === false);
      },
    };
  };
  const buses = await startDistrictBuses({ busCount, rtuCount, host, unitsOf: busUnits, counters, log });
  const { tcp: tcpBuses, rtu: rtuBuses } = buses;

  let run: ScenarioRun | undefined;
  let lagSteps = 0;
  let scenarioStepErrors = 0;
  const runStep = (): void => {
    stepIndex++;
    const tMs = originMs + stepIndex * stepMs;
    const time = cityTime(tMs, timeZone);
    const newDay = time.date !== currentTime.date;
    currentTime = time;
    // Timeline entries due by this step happen before the physics moves on.
    const current = run;
    if (current) {
      // A step that cannot act (a LoRa replay with no network attached) is logged and counted; the city runs on.
      const applied = current.applyUpTo((tMs - originMs) / 1000, (entry, err) => {
        scenarioStepErrors++;
        log.warn({ scenario: current.scenario.name, at: entry.at, err: toError(err) }, 'scenario step failed');
      });
      for (const e of applied) log.info({ scenario: current.scenario.name, at: e.at, note: e.note }, 'scenario step');
    }
    const at = { dtS: stepMs / 1000, nowS: tMs / 1000, time, newDay };
    for (const district of byDistrict) {
      const env = district.conditions.at(time);
      for (const device of district.devices) device.step({ ...at, env });
    }
    lora.step(tMs, (device) => !device.faults.silent);
  };
  const catchUp = (budgetMs = Infinity): number => {
    const due = Math.floor((clock.now() - originMs) / stepMs);
    const started = Date.now();
    let ran = 0;
    while (stepIndex < due && Date.now() - started < budgetMs) {
      runStep();
      ran++;
    }
    lagSteps = due - stepIndex;
    return ran;
  };
  const timer = setInterval(() => catchUp(CATCH_UP_BUDGET_MS), tickMs);
  timer.unref();

  const loraById = new Map(loraPlaced.map((p) => [p.device.deviceId, p.device]));
  const find = (deviceId: string): { device: SimulatedDevice } => {
    const device = byId.get(deviceId)?.device ?? loraById.get(deviceId);
    if (!device) throw new TzError('TZ_DEVICE_UNKNOWN', `no simulated device "${deviceId}"`);
    return { device };
  };
  const districtConditions = (district: string | undefined): DistrictConditions[] => {
    if (district === undefined) return [...conditions.values()];
    const c = conditions.get(district);
    if (!c) throw new TzError('TZ_CONFIG_INVALID', `no district "${district}" (have: ${districts.join(', ')})`);
    return [c];
  };

  const injectFault = (deviceId: string, fault: SimFault, o: FaultOptions = {}): void => {
    const { device } = find(deviceId);
    switch (fault) {
      case 'silent': device.faults.silent = true; break;
      case 'recover': device.recover(); break;
      case 'stuck': device.freeze(); break;
      case 'spikes': device.faults.spikeChance = o.chance ?? 0.2; break;
      case 'slow': device.faults.slowMs = o.slowMs ?? 2000; break;
      case 'corrupt': device.faults.corrupt = o.corrupt ?? 'crc'; break;
      case 'lora-replay': lora.fault(deviceId, 'replay'); break;
      case 'lora-bad-mic': lora.fault(deviceId, 'bad-mic'); break;
      case 'lora-clock-skew': lora.skewClock(deviceId, o.skewMs ?? 2 * 86_400_000); break;
      case 'cover-open':
        if (device.profile.class !== 'manhole-cover') throw new TzError('TZ_SIM_FAULT_UNSUPPORTED', `'cover-open' needs a manhole cover, ${deviceId} is a ${device.profile.class}`);
        device.happen('cover-open');
        break;
      default: throw new TzError('TZ_SIM_FAULT_UNSUPPORTED', `unknown fault "${String(fault)}"`);
    }
    log.info({ deviceId, fault }, 'fault injected');
  };

  const control: CityControl = {
    devices: [
      ...placed.map((p) => ({ deviceId: p.device.deviceId, profile: p.device.profile.class, district: p.district, gatewayId: p.gatewayId, transport: rtuBuses[p.bus] ? ('rtu' as const) : ('tcp' as const) })),
      ...loraPlaced.map((p) => ({ deviceId: p.device.deviceId, profile: p.device.profile.class, district: p.district, gatewayId: `lora-${p.district}`, transport: 'lora' as const })),
    ],
    districts,
    gatewayIds: (district) => [...new Set(placed.filter((p) => p.district === district).map((p) => p.gatewayId))].sort((a, b) => a.localeCompare(b, 'en', { numeric: true })),
    weather: (district, change) => {
      for (const c of districtConditions(district)) {
        if (change.rainMmH !== undefined) c.rainMmH = change.rainMmH;
        if (change.heatOffsetC !== undefined) c.heatOffsetC = change.heatOffsetC;
        if (change.pm25ExtraUgm3 !== undefined) c.pm25ExtraUgm3 = change.pm25ExtraUgm3;
      }
    },
    setPower: (district, on) => {
      for (const c of districtConditions(district)) c.mainsPower = on;
      log.info({ district, on }, 'district power');
    },
    setGatewayLink: (gatewayId, up) => {
      if (!gatewayUp.has(gatewayId)) throw new TzError('TZ_DEVICE_UNKNOWN', `no simulated gateway "${gatewayId}"`);
      gatewayUp.set(gatewayId, up);
      log.info({ gatewayId, up }, 'gateway link');
    },
    deviceEvent: (deviceId, event, params) => find(deviceId).device.happen(event, params),
    deviceFault: (deviceId, kind, o) => injectFault(deviceId, kind, o),
  };

  const startScenario = (scenario: Scenario, startAt: number, runSpeed: number): ScenarioRun => {
    const next = new ScenarioRun(scenario, control, seed);
    // The city moves to the scenario's start; physics continues from the current values.
    originMs = startAt;
    stepIndex = 0;
    currentTime = cityTime(startAt, timeZone);
    clock.reanchor(startAt, runSpeed);
    run = next;
    run.applyUpTo(0);
    log.info({ scenario: scenario.name, speed: runSpeed, start: new Date(startAt).toISOString() }, 'scenario started');
    return next;
  };
  if (opts.scenario) startScenario(opts.scenario, startMs, speed);
  // Under the shared clock a scenario starts at the clock's present, at its pace (the clock's start is the scenario's).
  const scenarioStart = (scenario: Scenario): number => (shared ? clock.now() : parseCityDateTime(scenario.start, timeZone));

  log.info({ devices: total, buses: busCount, rtuBuses: rtuCount, scenarioStepErrors, speed, timeZone }, 'simulated district started');
  const gatewayBuses = new Map<string, { district: string; buses: Set<number> }>();
  for (const p of placed) {
    const g = gatewayBuses.get(p.gatewayId) ?? { district: p.district, buses: new Set<number>() };
    g.buses.add(p.bus);
    gatewayBuses.set(p.gatewayId, g);
  }
  const gateways = [...gatewayBuses].map(([gatewayId, g]) => ({ gatewayId, district: g.district, buses: g.buses.size }));
  return {
    devices: [
      ...placed.map((p): SimulatedDeviceInfo => {
        const rtu = rtuBuses[p.bus];
        return {
          deviceId: p.device.deviceId, profile: p.device.profile.class, district: p.district, gatewayId: p.gatewayId,
          transport: rtu ? 'rtu' : 'tcp', host: rtu ? '' : host, port: tcpBuses[p.bus]?.port ?? 0, unitId: p.unitId,
          ...(rtu ? { serialPath: rtu.pty.masterEnd } : {}),
          ...(p.site ? { site: p.site } : {}),
        };
      }),
      ...loraPlaced.map((p): SimulatedDeviceInfo => ({
        deviceId: p.device.deviceId, profile: p.device.profile.class, district: p.district, gatewayId: `lora-${p.district}`,
        transport: 'lora', host: '', port: 0, unitId: 0,
        ...(lora.keysOf(p.device.deviceId) ? { lora: lora.keysOf(p.device.deviceId) } : { loraOtaa: lora.otaaKeysOf(p.device.deviceId) }),
        ...(p.site ? { site: p.site } : {}),
      })),
    ],
    districts,
    gateways,
    now: () => clock.now(),
    cityTime: () => cityTime(clock.now(), timeZone),
    injectFault,
    deviceEvent: (deviceId, event, params = {}) => find(deviceId).device.happen(event, params),
    setValue: (deviceId, metric, value) => find(deviceId).device.pin(metric, value),
    valueOf: (deviceId, metric) => find(deviceId).device.valueOf(metric),
    weather: control.weather,
    setPower: control.setPower,
    setGatewayLink: control.setGatewayLink,
    attachLora: (h, port) => lora.attach(h, port),
    runScenario: (scenario, o = {}) => startScenario(scenario, scenarioStart(scenario), shared ? 1 : o.speed ?? scenario.speed),
    scenario: () => run?.progress(),
    scenarioRun: () => run,
    catchUp,
    stats: () => ({
      devices: total, buses: busCount, rtuBuses: rtuCount, scenarioStepErrors, gateways: gatewayUp.size, ticks: stepIndex, lagSteps, speed: clock.speed,
      requestsServed: counters.requests, requestsSilenced: counters.silenced, requestsRejected: counters.rejected,
      repliesCorrupted: counters.corrupted, requestsMalformed: counters.malformed,
      loraDevices: loraPlaced.length, loraUplinks: lora.counters.uplinks, loraUplinkFailures: lora.counters.uplinkFailures,
      loraReplays: lora.counters.replays, loraBadMic: lora.counters.badMic, loraDownlinksObeyed: lora.counters.downlinks, loraJoinRequests: lora.counters.joins, loraJoined: lora.joined,
    }),
    async stop() {
      clearInterval(timer);
      await lora.stop();
      await buses.close();
    },
  };
}
