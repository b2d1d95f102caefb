import { encodeRegister, decodeRegister, registerWords, metricsByName, type DeviceProfile, type RegisterSpec } from '../device-profiles/index.ts';
import { TzError } from '../service-kit/index.ts';
import type { SeededRandom } from './prng.ts';
import type { DevicePhysics, EventParams, HiddenState, MetricState, PhysicsStep } from './physics/types.ts';

export type RegisterTable = RegisterSpec['table'];

/** Why a Modbus request to this device gets no data (maps to a Modbus exception). */
export class IllegalDataAddress extends Error {
  readonly modbusErrorCode = 0x02;
}

/** How a reply is corrupted on the wire (`corrupt` fault). */
export type CorruptKind = 'crc' | 'garbage' | 'mbap';

/** Faults of one device's electronics (not of the street it measures). */
export interface DeviceFaults {
  /** Never answers (dead device, cut cable). */
  silent: boolean;
  /** Reports the values frozen at this moment (a hung sensor front-end). */
  stuck?: MetricState;
  /** Chance per read that one numeric metric reads wildly off (EMI, a loose connector). */
  spikeChance: number;
  /** Extra reply delay, ms (an overloaded or failing slave). */
  slowMs: number;
  /** Replies damaged on the wire. */
  corrupt?: CorruptKind;
}

const healthy = (): DeviceFaults => ({ silent: false, spikeChance: 0, slowMs: 0 });

/**
 * One simulated field device: its metric values (engineering units), hidden
 * physical state, pins set by tests, faults, and its register image built
 * from the profile with the shared codec (`encodeRegister`), so the sim and
 * the agent agree on every word.
 */
export class SimulatedDevice {
  private state: MetricState;
  private readonly hidden: HiddenState;
  private readonly pins = new Map<string, number | boolean>();
  private readonly registers: RegisterSpec[];
  private readonly byMetric = new Map<string, RegisterSpec>();
  /** Highest address (inclusive) per table; reads beyond it are illegal. */
  private readonly tableEnd = new Map<RegisterTable, number>();
  faults: DeviceFaults = healthy();

  constructor(
    readonly deviceId: string,
    readonly profile: DeviceProfile,
    private readonly physics: DevicePhysics,
    private readonly rng: SeededRandom,
    /** A separate stream for read-time faults, so polling never shifts the physics. */
    private readonly faultRng: SeededRandom,
    at: Omit<PhysicsStep, 'rng' | 'dtS' | 'newDay'>,
  ) {
    const born = physics.initial(rng, at);
    this.state = born.state;
    this.hidden = born.hidden;
    this.registers = profile.modbus?.registers ?? [];
    for (const r of this.registers) {
      this.byMetric.set(r.metric, r);
      const end = r.address + registerWords(r.type) - 1;
      this.tableEnd.set(r.table, Math.max(end, this.tableEnd.get(r.table) ?? -1));
    }
  }

  get silentWithoutMains(): boolean {
    return this.physics.silentWithoutMains;
  }

  step(at: Omit<PhysicsStep, 'rng'>): void {
    const next = this.physics.step(this.state, this.hidden, { ...at, rng: this.rng });
    for (const [metric, value] of this.pins) next[metric] = value;
    this.state = next;
  }

  /** Something happens to the device in the street (a scenario `event`). */
  happen(event: string, params: EventParams = {}): void {
    const handler = this.physics.events[event];
    if (!handler) {
      const known = Object.keys(this.physics.events).sort().join(', ');
      throw new TzError('TZ_SIM_FAULT_UNSUPPORTED', `a ${this.profile.class} has no event "${event}" (it has: ${known})`);
    }
    handler(this.hidden, this.state, params, this.rng);
  }

  static eventsOf(physics: DevicePhysics): string[] {
    return Object.keys(physics.events);
  }

  pin(metric: string, value: number | boolean): void {
    const spec = metricsByName(this.profile).get(metric);
    if (!spec) throw new TzError('TZ_READING_INVALID', `${this.deviceId} (${this.profile.class}) has no metric "${metric}"`);
    if ((spec.type === 'boolean') !== (typeof value === 'boolean')) {
      throw new TzError('TZ_READING_INVALID', `${this.deviceId}.${metric} is ${spec.type}, got ${typeof value}`);
    }
    this.pins.set(metric, value);
    this.state[metric] = value;
  }

  /** Clears pins and faults; physics takes over again from the current values. */
  recover(): void {
    this.pins.clear();
    this.faults = healthy();
  }

  /** Freezes what the device reports (`stuck` fault). */
  freeze(): void {
    this.faults.stuck = { ...this.state };
  }

  /** The value a poll reads now: the state after register encoding and decoding. */
  valueOf(metric: string): number | boolean {
    const value = (this.faults.stuck ?? this.state)[metric];
    if (value === undefined) throw new TzError('TZ_READING_INVALID', `${this.deviceId} (${this.profile.class}) has no metric "${metric}"`);
    const spec = this.byMetric.get(metric);
    return spec ? decodeRegister(spec, encodeRegister(spec, value)) : value;
  }

  /** The true physical value (what the street is doing), even while the sensor is stuck. */
  trueValueOf(metric: string): number | boolean | undefined {
    return this.state[metric];
  }

  /** Words (or 0/1 bits) of `count` consecutive addresses of one table. */
  read(table: RegisterTable, address: number, count: number): number[] {
    const end = this.tableEnd.get(table);
    if (end === undefined || address + count - 1 > end) throw new IllegalDataAddress(`${table} ${address}+${count} is outside the map of ${this.deviceId}`);
    const source = this.faults.stuck ?? this.state;
    const spiked = this.faults.spikeChance > 0 && this.faultRng.chance(this.faults.spikeChance) ? this.faultRng.int(0, this.registers.length - 1) : -1;
    const words = new Array<number>(count).fill(0);
    for (const [k, r] of this.registers.entries()) {
      if (r.table !== table) continue;
      let value = source[r.metric] ?? 0;
      if (k === spiked && typeof value === 'number') value = this.spike(r.metric, value);
      const encoded = encodeRegister(r, value);
      for (const [i, word] of encoded.entries()) {
        const at = r.address + i - address;
        if (at >= 0 && at < count) words[at] = word;
      }
    }
    return words;
  }

  private spike(metric: string, value: number): number {
    const spec = metricsByName(this.profile).get(metric);
    const hi = spec?.max ?? Math.max(100, Math.abs(value) * 10);
    return Math.min(hi, Math.abs(value) * this.faultRng.between(3, 10) + hi * 0.2);
  }

  /** A command that arrived by another path (a LoRa downlink): obeyed like the same register write. */
  command(metric: string, value: number | boolean): void {
    if (this.physics.command?.(this.hidden, this.state, metric, value)) return;
    this.pin(metric, value);
  }

  /**
   * A write from a master (FC5/FC6/FC15/FC16). A commanded actuator (dimming,
   * lamp relay, valve) is obeyed by the class physics; any other single-word
   * register is held as written until 'recover'.
   */
  write(table: 'coil' | 'holding', address: number, value: number): void {
    const r = this.registers.find((s) => s.table === table && s.address === address && registerWords(s.type) === 1);
    if (!r) throw new IllegalDataAddress(`${table} ${address} is not writable on ${this.deviceId}`);
    const decoded = decodeRegister(r, [value]);
    if (this.physics.command?.(this.hidden, this.state, r.metric, decoded)) return;
    this.pins.set(r.metric, decoded);
    this.state[r.metric] = decoded;
  }
}
