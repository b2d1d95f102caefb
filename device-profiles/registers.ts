import type { DeviceProfile, MetricSpec, RegisterSpec } from './schema.ts';

// Modbus register encoding per profile (Modbus Application Protocol v1.1b3
// §4.2: registers are 16-bit big-endian; 32-bit values span two registers,
// word order set per register in the profile).

export function registerWords(type: RegisterSpec['type']): number {
  return type === 'uint32' || type === 'int32' || type === 'float32' ? 2 : 1;
}

const scratch = new DataView(new ArrayBuffer(4));

/** Raw 16-bit words (or 0/1 bits) → engineering value (scale and offset applied). */
export function decodeRegister(spec: RegisterSpec, words: readonly number[]): number | boolean {
  // A missing word reads as 0, as `undefined & 0xffff` always did (planReads asks for every word a spec needs).
  const [first = 0, second = 0] = words;
  if (spec.type === 'bool') return Boolean(words[0]);
  let raw: number;
  if (registerWords(spec.type) === 1) {
    const w = first & 0xffff;
    raw = spec.type === 'int16' ? (w << 16) >> 16 : w;
  } else {
    const [a, b] = spec.wordOrder === 'big' ? [first, second] : [second, first];
    scratch.setUint16(0, a & 0xffff);
    scratch.setUint16(2, b & 0xffff);
    raw = spec.type === 'float32' ? scratch.getFloat32(0) : spec.type === 'int32' ? scratch.getInt32(0) : scratch.getUint32(0);
  }
  if (spec.type === 'float32') return raw * spec.scale + spec.offset;
  // An integer register scaled by 0.1 has one decimal: 876 × 0.1 is 87.6, not 87.60000000000001.
  const factor = precisionFactor(spec.scale, spec.offset);
  return Math.round((raw * spec.scale + spec.offset) * factor) / factor;
}

const factors = new Map<string, number>();

/** 10^(decimals of scale + decimals of offset): the precision an integer register can carry. */
export function precisionFactor(scale: number, offset: number): number {
  const key = `${scale}/${offset}`;
  let factor = factors.get(key);
  if (factor === undefined) {
    factor = 10 ** Math.min(15, Math.max(decimals(scale), decimals(offset)));
    factors.set(key, factor);
  }
  return factor;
}

function decimals(x: number): number {
  if (Number.isInteger(x)) return 0;
  const [mantissa = '', exponent = '0'] = String(x).toLowerCase().split('e');
  const fraction = mantissa.split('.')[1]?.length ?? 0;
  return Math.max(0, fraction - Number(exponent));
}

/** Engineering value → raw words, the inverse of decodeRegister (used by simulators and command writes). */
export function encodeRegister(spec: RegisterSpec, value: number | boolean): number[] {
  if (spec.type === 'bool') return [value ? 1 : 0];
  const scaled = (Number(value) - spec.offset) / spec.scale;
  if (spec.type === 'float32') scratch.setFloat32(0, scaled);
  else {
    const ranges = { uint16: [0, 0xffff], int16: [-0x8000, 0x7fff], uint32: [0, 0xffffffff], int32: [-0x80000000, 0x7fffffff] } as const;
    const [lo, hi] = ranges[spec.type];
    const n = Math.min(hi, Math.max(lo, Math.round(scaled)));
    if (spec.type === 'uint16' || spec.type === 'int16') return [n & 0xffff];
    if (spec.type === 'int32') scratch.setInt32(0, n);
    else scratch.setUint32(0, n);
  }
  const hiWord = scratch.getUint16(0);
  const loWord = scratch.getUint16(2);
  return spec.wordOrder === 'big' ? [hiWord, loWord] : [loWord, hiWord];
}

/** One Modbus request covering neighbouring registers of one table. */
export interface ReadBlock {
  table: RegisterSpec['table'];
  start: number;
  count: number;
  registers: RegisterSpec[];
}

/**
 * Groups a profile's registers into as few requests as possible: registers of
 * one table whose addresses are within `maxGap` of each other share a read
 * (reading a few unused registers is cheaper than another round trip).
 */
export function planReads(profile: DeviceProfile, maxGap = 4, maxCount = 120): ReadBlock[] {
  const registers = [...(profile.modbus?.registers ?? [])].sort((a, b) => (a.table === b.table ? a.address - b.address : a.table.localeCompare(b.table)));
  const blocks: ReadBlock[] = [];
  for (const r of registers) {
    const end = r.address + registerWords(r.type);
    const last = blocks[blocks.length - 1];
    if (last && last.table === r.table && r.address - (last.start + last.count) <= maxGap && end - last.start <= maxCount) {
      last.count = Math.max(last.count, end - last.start);
      last.registers.push(r);
    } else {
      blocks.push({ table: r.table, start: r.address, count: end - r.address, registers: [r] });
    }
  }
  return blocks;
}

/** Values of one block's registers from the words (or bits) a read returned. */
export function decodeBlock(block: ReadBlock, data: readonly (number | boolean)[]): Map<string, number | boolean> {
  const values = new Map<string, number | boolean>();
  for (const r of block.registers) {
    const at = r.address - block.start;
    const words = data.slice(at, at + registerWords(r.type)).map(Number);
    values.set(r.metric, decodeRegister(r, words));
  }
  return values;
}

export type MetricProblem = 'unknown-metric' | 'wrong-type' | 'below-min' | 'above-max' | 'not-finite';

/** Checks one value against its metric spec; null when it is acceptable. */
export function checkMetricValue(spec: MetricSpec | undefined, value: number | boolean | null): MetricProblem | null {
  if (!spec) return 'unknown-metric';
  if (value === null) return 'wrong-type';
  if (spec.type === 'boolean') return typeof value === 'boolean' ? null : 'wrong-type';
  if (typeof value !== 'number') return 'wrong-type';
  if (!Number.isFinite(value)) return 'not-finite';
  if (spec.min !== undefined && value < spec.min) return 'below-min';
  if (spec.max !== undefined && value > spec.max) return 'above-max';
  return null;
}

/** Metric specs of a profile by name (cached per profile object). */
const metricIndex = new WeakMap<DeviceProfile, Map<string, MetricSpec>>();
export function metricsByName(profile: DeviceProfile): Map<string, MetricSpec> {
  let index = metricIndex.get(profile);
  if (!index) {
    index = new Map(profile.metrics.map((m) => [m.name, m]));
    metricIndex.set(profile, index);
  }
  return index;
}

/**
 * The profile metric a MetricValue names: by `index` (1-based position in
 * `profile.metrics`, the compact form) when set, else by `name`. Undefined
 * when it names nothing in this profile (a reject reason: unknown metric).
 */
export function metricOfValue(profile: DeviceProfile, value: { name?: string | null; index?: number | null }): MetricSpec | undefined {
  if (value.index) return profile.metrics[value.index - 1];
  return value.name ? metricsByName(profile).get(value.name) : undefined;
}

/** 1-based position of a metric in its profile, for the compact MetricValue.index form. */
export function metricIndexOf(profile: DeviceProfile, metricName: string): number {
  const i = profile.metrics.findIndex((m) => m.name === metricName);
  return i < 0 ? 0 : i + 1;
}
