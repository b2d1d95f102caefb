import { encodeRegister, decodeRegister, registerWords, metricsByName, type DeviceProfile, type RegisterSpec } from '../device-profiles/index.ts';
import { TzError } from '../service-kit/index.ts';
import type { SeededRandom } from './prng.ts';
import type { DevicePhysics, MetricState } from './physics/types.ts';

export type RegisterTable = RegisterSpec['table'];

/** Why a Modbus request to this device gets no data (maps to a Modbus exception). */
export class IllegalDataAddress extends Error {
  readonly modbusErrorCode = 0x02;
}

/**
 * One simulated field device: its metric values (engineering units), pins
 * set by tests or scenarios, and its register image built from the profile
 * with the shared codec (`encodeRegister`), so the sim and the agent agree.
 */
export class SimulatedDevice {
  private state: MetricState;
  private readonly pins = new Map<string, number | boolean>();
  private readonly byMetric = new Map<string, RegisterSpec>();
  /** Highest address (inclusive) per table; reads beyond it are illegal. */
  private readonly tableEnd = new Map<RegisterTable, number>();
  silent = false;

  constructor(
    readonly deviceId: string,
    readonly profile: DeviceProfile,
    private readonly physics: DevicePhysics,
    private readonly rng: SeededRandom,
    localHour: number,
  ) {
    this.state = physics.initial(rng, localHour);
    for (const r of profile.modbus?.registers ?? []) {
      this.byMetric.set(r.metric, r);
      const end = r.address + registerWords(r.type) - 1;
      this.tableEnd.set(r.table, Math.max(end, this.tableEnd.get(r.table) ?? -1));
    }
  }

  step(dtS: number, localHour: number): void {
    const next = this.physics.step(this.state, { rng: this.rng, dtS, localHour });
    for (const [metric, value] of this.pins) next[metric] = value;
    this.state = next;
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
    this.silent = false;
  }

  /** The value a poll reads now: the state after register encoding and decoding. */
  valueOf(metric: string): number | boolean {
    const value = this.state[metric];
    if (value === undefined) throw new TzError('TZ_READING_INVALID', `${this.deviceId} (${this.profile.class}) has no metric "${metric}"`);
    const spec = this.byMetric.get(metric);
    return spec ? decodeRegister(spec, encodeRegister(spec, value)) : value;
  }

  /** Words (or 0/1 bits) of `count` consecutive addresses of one table. */
  read(table: RegisterTable, address: number, count: number): number[] {
    const end = this.tableEnd.get(table);
    if (end === undefined || address + count - 1 > end) throw new IllegalDataAddress(`${table} ${address}+${count} is outside the map of ${this.deviceId}`);
    const words = new Array<number>(count).fill(0);
    for (const r of this.byMetric.values()) {
      if (r.table !== table) continue;
      const encoded = encodeRegister(r, this.state[r.metric] ?? 0);
      encoded.forEach((w, i) => {
        const at = r.address + i - address;
        if (at >= 0 && at < count) words[at] = w;
      });
    }
    return words;
  }

  /** A write from a master (FC5/FC6): sets the actuator metric and keeps it until 'recover'. */
  write(table: 'coil' | 'holding', address: number, value: number): void {
    const r = [...this.byMetric.values()].find((s) => s.table === table && s.address === address && registerWords(s.type) === 1);
    if (!r) throw new IllegalDataAddress(`${table} ${address} is not writable on ${this.deviceId}`);
    this.pins.set(r.metric, decodeRegister(r, [value]));
    this.state[r.metric] = decodeRegister(r, [value]);
  }
}
