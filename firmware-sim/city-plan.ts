import { TzError } from '../service-kit/index.ts';
import { SeededRandom } from './prng.ts';
import type { CitySites, DeviceSite } from './sites.ts';

// The simulated city's layout as a pure function of its size and seed: which
// device of which class stands in which district (and at which site), and
// which bus, unit id and gateway each Modbus device answers on. Nothing is
// started here; district.ts makes the devices and buses from the plan.

/** Share of each class in a district and its device id prefix. */
const CLASS_MIX = [
  { profile: 'manhole-cover', prefix: 'mh', share: 0.4 },
  { profile: 'smart-pole', prefix: 'pole', share: 0.25 },
  { profile: 'water-meter', prefix: 'wm', share: 0.2 },
  { profile: 'public-toilet', prefix: 'wc', share: 0.15 },
] as const;

/** 驻马店's central districts (ids of the city plan in registry/places; a test keeps the two equal). */
export const DEFAULT_DISTRICTS = ['yicheng', 'jingkai', 'gaoxin', 'shifanqu'];
export const MAX_UNITS_PER_BUS = 247; // Modbus serial line addresses 1–247

export interface CityPlanInput {
  devices: number;
  districts: readonly string[];
  devicesPerBus: number;
  busesPerGateway: number;
  seed: number;
  /** How many water meters speak LoRaWAN instead of Modbus. */
  loraMeters: number;
  sites?: CitySites;
}

/** A device of the plan: its id, class, district and (with sites) where it stands. */
export interface PlannedDevice {
  deviceId: string;
  /** Profile class. */
  profile: string;
  district: string;
  site?: DeviceSite;
}

/** A Modbus device of the plan, with the bus (0-based, city-wide), unit id and gateway it answers on. */
export interface PlannedModbusDevice extends PlannedDevice {
  gatewayId: string;
  bus: number;
  unitId: number;
}

export interface CityPlan {
  modbus: PlannedModbusDevice[];
  lora: PlannedDevice[];
  /** Buses in the city; each district's devices fill its own. */
  busCount: number;
}

function classCounts(total: number): number[] {
  const counts = CLASS_MIX.map((c) => Math.max(1, Math.floor(c.share * total)));
  const sum = counts.reduce((a, b) => a + b, 0);
  const [largest = 0, ...rest] = counts;
  return [largest + total - sum, ...rest]; // the largest class takes the rounding
}

/**
 * Placement: classes shuffled under the seed, devices dealt round-robin over
 * the districts; each district's Modbus devices fill its buses, buses group
 * into gateways. The first `loraMeters` water meters go on LoRaWAN instead.
 */
export function planCity(input: CityPlanInput): CityPlan {
  const { devices: total, districts, devicesPerBus: perBus, busesPerGateway, seed } = input;
  if (!Number.isInteger(total) || total < 4) throw new TzError('TZ_CONFIG_INVALID', `devices must be an integer >= 4 (one of each class), got ${total}`);
  if (!Number.isInteger(perBus) || perBus < 1 || perBus > MAX_UNITS_PER_BUS) throw new TzError('TZ_CONFIG_INVALID', `devicesPerBus must be 1..${MAX_UNITS_PER_BUS}, got ${perBus}`);
  if (!Number.isInteger(busesPerGateway) || busesPerGateway < 1) throw new TzError('TZ_CONFIG_INVALID', `busesPerGateway must be >= 1, got ${busesPerGateway}`);
  if (districts.length === 0) throw new TzError('TZ_CONFIG_INVALID', 'districts must not be empty');
  const loraCount = Math.max(0, input.loraMeters);
  const districtOf = (i: number): string => districts[i % districts.length] ?? '';
  const classes = new SeededRandom(seed).shuffle(classCounts(total).flatMap((n, i) => new Array<number>(n).fill(i)));
  const isLora = (() => {
    let meters = 0;
    return classes.map((classIndex) => CLASS_MIX[classIndex]?.profile === 'water-meter' && meters++ < loraCount);
  })();

  // Each district's buses start after the previous district's.
  const busBase = new Map<string, number>();
  let busCount = 0;
  for (const d of districts) {
    const modbusHere = classes.filter((_, i) => !isLora[i] && districtOf(i) === d).length;
    busBase.set(d, busCount);
    busCount += Math.ceil(modbusHere / perBus);
  }
  // Sites: the n-th device dealt to a district stands at its n-th site.
  const sitesOf = new Map<string, DeviceSite[]>();
  if (input.sites) {
    for (const d of districts) sitesOf.set(d, input.sites.sitesIn(d, classes.filter((_, i) => districtOf(i) === d).length));
  }

  const perClass = CLASS_MIX.map(() => 0);
  const dealt = new Map<string, number>();
  const modbusDealt = new Map<string, number>();
  const plan: CityPlan = { modbus: [], lora: [], busCount };
  classes.forEach((classIndex, i) => {
    const mix = CLASS_MIX[classIndex];
    if (mix === undefined) return;
    const number = (perClass[classIndex] ?? 0) + 1;
    perClass[classIndex] = number;
    const district = districtOf(i);
    const nth = dealt.get(district) ?? 0;
    dealt.set(district, nth + 1);
    const site = sitesOf.get(district)?.[nth];
    const device: PlannedDevice = { deviceId: `${mix.prefix}-${String(number).padStart(4, '0')}`, profile: mix.profile, district, ...(site ? { site } : {}) };
    if (isLora[i]) {
      plan.lora.push(device);
      return;
    }
    const n = modbusDealt.get(district) ?? 0;
    modbusDealt.set(district, n + 1);
    const localBus = Math.floor(n / perBus);
    plan.modbus.push({ ...device, gatewayId: `gw-${district}-${Math.floor(localBus / busesPerGateway) + 1}`, bus: (busBase.get(district) ?? 0) + localBus, unitId: (n % perBus) + 1 });
  });
  if (plan.lora.length < loraCount) throw new TzError('TZ_CONFIG_INVALID', `loraMeters: ${loraCount} asked, the city has ${plan.lora.length} water meters`);
  return plan;
}
