import { TzError } from '../../service-kit/index.ts';
import { SeededRandom, hashString } from '../prng.ts';
import type { Scenario, Selection, TimelineEntry, FaultKind } from './schema.ts';
import type { CorruptKind } from '../simulated-device.ts';

// Plays a scenario's timeline against the city: selections are resolved once,
// up front and under the seed, so the same seed picks the same manholes and
// the expectations name concrete devices before anything happens.

export interface CityDevice {
  deviceId: string;
  profile: string;
  district: string;
  gatewayId: string;
  transport: 'tcp' | 'rtu' | 'lora';
}

/** What a scenario may do to the simulated city. */
export interface CityControl {
  readonly devices: readonly CityDevice[];
  readonly districts: readonly string[];
  gatewayIds(district: string): string[];
  weather(district: string | undefined, change: { rainMmH?: number; heatOffsetC?: number; pm25ExtraUgm3?: number }): void;
  setPower(district: string, on: boolean): void;
  setGatewayLink(gatewayId: string, up: boolean): void;
  deviceEvent(deviceId: string, event: string, params: Record<string, number | boolean | string>): void;
  deviceFault(deviceId: string, kind: FaultKind, opts: { slowMs?: number; chance?: number; corrupt?: CorruptKind }): void;
}

export interface ResolvedAlarmExpectation {
  ruleId: string;
  /** Every one of these devices must have the alarm. */
  deviceIds?: string[];
  district?: string;
  min?: number;
  max?: number;
}
export interface ResolvedCaseExpectation {
  category?: string;
  deviceIds?: string[];
  district?: string;
  min?: number;
  max?: number;
}
export interface ResolvedExpectations {
  alarms: ResolvedAlarmExpectation[];
  cases: ResolvedCaseExpectation[];
  absentRules: string[];
}

export interface ScenarioProgress {
  name: string;
  applied: number;
  total: number;
  offsetS: number;
  durationS: number;
  finished: boolean;
}

export class ScenarioRun {
  private readonly picks: string[][];
  private next = 0;
  private lastOffsetS = 0;
  readonly expectations: ResolvedExpectations;

  constructor(
    readonly scenario: Scenario,
    private readonly city: CityControl,
    seed: number,
  ) {
    const rng = new SeededRandom(seed ^ hashString(`scenario:${scenario.name}`));
    this.picks = [];
    scenario.timeline.forEach((entry, i) => this.picks.push(this.resolve(entry, i, rng)));
    const byStep = new Map<string, string[]>();
    scenario.timeline.forEach((e, i) => e.id && byStep.set(e.id, this.picksOf(i)));
    for (const e of scenario.timeline) {
      const district = e.rain?.district ?? e.heat?.district ?? e.air?.district ?? e.power?.district ?? e.gateway?.district;
      if (district && !city.districts.includes(district)) this.invalid(`no district "${district}" in this city (have: ${city.districts.join(', ')})`);
      if (e.gateway && e.gateway.index > city.gatewayIds(e.gateway.district).length) {
        this.invalid(`district ${e.gateway.district} has ${city.gatewayIds(e.gateway.district).length} gateway(s), the timeline names gateway ${e.gateway.index}`);
      }
    }
    this.expectations = {
      alarms: scenario.expect.alarms.map((a) => ({ ruleId: a.ruleId, deviceIds: a.from ? byStep.get(a.from) : undefined, district: a.district, min: a.min, max: a.max })),
      cases: scenario.expect.cases.map((c) => ({ category: c.category, deviceIds: c.from ? byStep.get(c.from) : undefined, district: c.district, min: c.min, max: c.max })),
      absentRules: scenario.expect.absentRules,
    };
  }

  private invalid(message: string): never {
    throw new TzError('TZ_SCENARIO_INVALID', `${this.scenario.name}: ${message}`);
  }

  private resolve(entry: TimelineEntry, index: number, rng: SeededRandom): string[] {
    const select: Selection | undefined = entry.event?.select ?? entry.fault?.select;
    if (!select) return [];
    const known = new Map(this.city.devices.map((d) => [d.deviceId, d]));
    if (select.from) {
      const earlier = this.scenario.timeline.findIndex((e) => e.id === select.from);
      if (earlier < 0 || earlier >= index) this.invalid(`timeline.${index}: select.from "${select.from}" must name an earlier step`);
      return [...this.picksOf(earlier)];
    }
    if (select.devices) {
      for (const id of select.devices) if (!known.has(id)) this.invalid(`timeline.${index}: no device "${id}" in this city`);
      return [...select.devices];
    }
    if (select.district && !this.city.districts.includes(select.district)) this.invalid(`timeline.${index}: no district "${select.district}" (have: ${this.city.districts.join(', ')})`);
    const excluded = new Set<string>();
    for (const stepId of select.notFrom ?? []) {
      const earlier = this.scenario.timeline.findIndex((e) => e.id === stepId);
      if (earlier < 0 || earlier >= index) this.invalid(`timeline.${index}: select.notFrom "${stepId}" must name an earlier step`);
      for (const id of this.picksOf(earlier)) excluded.add(id);
    }
    const candidates = this.city.devices
      .filter((d) => d.profile === select.class && (!select.district || d.district === select.district) && (!select.transport || d.transport === select.transport) && !excluded.has(d.deviceId))
      .map((d) => d.deviceId)
      .sort();
    const count = select.count ?? candidates.length;
    if (candidates.length < count) {
      const hint = select.transport === 'lora' ? `start the city with at least ${this.scenario.loraMeters} LoRa meters (--lora-meters)` : `run with more --devices; this scenario wants at least ${this.scenario.minDevices}`;
      this.invalid(`timeline.${index}: needs ${count} ${select.class}${select.transport ? ` (${select.transport})` : ''}${select.district ? ` in ${select.district}` : ''}, the city has ${candidates.length} (${hint})`);
    }
    return rng.shuffle(candidates).slice(0, count).sort();
  }

  /** The devices a timeline step touches (by step id). */
  picked(stepId: string): string[] {
    const i = this.scenario.timeline.findIndex((e) => e.id === stepId);
    return i < 0 ? [] : [...this.picksOf(i)];
  }

  /** Applies every entry due at or before `offsetS` (simulated seconds since the start). */
  applyUpTo(offsetS: number, onError?: (entry: TimelineEntry, err: unknown) => void): TimelineEntry[] {
    const applied: TimelineEntry[] = [];
    this.lastOffsetS = offsetS;
    for (let entry = this.scenario.timeline[this.next]; entry !== undefined && entry.at <= offsetS; entry = this.scenario.timeline[this.next]) {
      try {
        this.apply(entry, this.picksOf(this.next));
      } catch (err) {
        if (!onError) throw err;
        onError(entry, err);
      }
      applied.push(entry);
      this.next++;
    }
    return applied;
  }

  /** The devices picked for timeline step `index` (picked up front, one list per step). */
  private picksOf(index: number): string[] {
    const picks = this.picks[index];
    if (picks === undefined) this.invalid(`no timeline step ${index}`);
    return picks;
  }

  private apply(e: TimelineEntry, devices: string[]): void {
    const c = this.city;
    if (e.rain) c.weather(e.rain.district, { rainMmH: e.rain.mmPerHour });
    else if (e.heat) c.weather(e.heat.district, { heatOffsetC: e.heat.offsetC });
    else if (e.air) c.weather(e.air.district, { pm25ExtraUgm3: e.air.pm25ExtraUgm3 });
    else if (e.power) c.setPower(e.power.district, e.power.on);
    else if (e.gateway) {
      const gatewayId = c.gatewayIds(e.gateway.district)[e.gateway.index - 1];
      if (gatewayId === undefined) this.invalid(`no gateway ${e.gateway.index} in ${e.gateway.district}`);
      c.setGatewayLink(gatewayId, e.gateway.link === 'up');
    }
    else if (e.event) for (const id of devices) c.deviceEvent(id, e.event.name, e.event.params);
    else if (e.fault) for (const id of devices) c.deviceFault(id, e.fault.kind, { slowMs: e.fault.slowMs, chance: e.fault.chance, corrupt: e.fault.corrupt });
  }

  progress(): ScenarioProgress {
    return {
      name: this.scenario.name,
      applied: this.next,
      total: this.scenario.timeline.length,
      offsetS: Math.min(this.lastOffsetS, this.scenario.duration),
      durationS: this.scenario.duration,
      finished: this.lastOffsetS >= this.scenario.duration,
    };
  }
}
