import type { DeviceProfile, Cjt188Spec, Dlt645Spec, Hj212Spec } from '../schema.ts';
import { bcdFormat, readBcd } from './bcd.ts';
import { CJT188_UNITS } from './cjt188.ts';
import { reject, type FieldRejectReason } from './frame-result.ts';
import { HJ212_CN, hj212Time, type Hj212Packet } from './hj212.ts';

// From a decoded frame to the metric values a profile names: the same
// Map<metric, value> the Modbus poller hands the agent, so every protocol
// goes through the same report filter, Reading and UplinkBatch.

export type Values = Map<string, number | boolean>;
export type ValuesResult = { ok: true; values: Values } | { ok: false; reason: FieldRejectReason; detail: string };

/** Values of one CJ/T 188 read (one DI) from the reply's bytes after DI0 DI1 SER. */
export function cjt188Values(profile: DeviceProfile, read: Cjt188Spec['reads'][number], data: Buffer): ValuesResult {
  const values: Values = new Map();
  const units = new Map(profile.metrics.map((m) => [m.name, m.unit]));
  for (const f of read.fields) {
    if (f.bit !== undefined) {
      if (f.offset >= data.length) return reject('length', `DI ${read.di}: ${f.metric} at byte ${f.offset}, reply has ${data.length}`);
      values.set(f.metric, (((data.readUInt8(f.offset) >> f.bit) & 1) === 1) !== f.invert);
      continue;
    }
    if (f.offset + f.length > data.length) return reject('length', `DI ${read.di}: ${f.metric} needs bytes ${f.offset}..${f.offset + f.length - 1}, reply has ${data.length}`);
    let v = readBcd(data, f.offset, f.length, f.decimals);
    if (v === null) return reject('bcd', `DI ${read.di}: ${f.metric} is not BCD (${data.subarray(f.offset, f.offset + f.length).toString('hex')})`);
    if (f.unitOffset !== undefined) {
      const code = data[f.unitOffset];
      const unit = code === undefined ? undefined : CJT188_UNITS[code];
      const want = units.get(f.metric);
      if (!unit || unit.unit !== want) return reject('unit', `DI ${read.di}: ${f.metric} unit code ${code?.toString(16) ?? 'missing'}h does not convert to ${want}`);
      v *= unit.toBase;
    }
    values.set(f.metric, v);
  }
  return { ok: true, values };
}

/** One DL/T 645 value from the reply's bytes after the DI (already without the +33h). */
export function dlt645Value(read: Dlt645Spec['reads'][number], data: Buffer): { ok: true; value: number } | { ok: false; reason: FieldRejectReason; detail: string } {
  const { length, decimals } = bcdFormat(read.format);
  if (data.length < length) return reject('length', `DI ${read.di}: ${read.metric} needs ${length} bytes (${read.format}), reply has ${data.length}`);
  const v = readBcd(data, 0, length, decimals, read.signed);
  if (v === null) return reject('bcd', `DI ${read.di}: ${read.metric} is not BCD (${data.subarray(0, length).toString('hex')})`);
  return { ok: true, value: v * read.scale };
}

/** Which item of a pollutant a command carries: real-time value or average (HJ 212-2017 Table 7). */
const FIELD_BY_CN: Readonly<Record<string, string>> = { [HJ212_CN.realTime]: 'Rtd', [HJ212_CN.minute]: 'Avg', [HJ212_CN.hour]: 'Avg' };

/** Value flags whose values are measurements (normal, over the limit); others (fault, calibration, maintenance…) are left out. */
const MEASURED = new Set(['N', 'T']);

export interface Hj212Values {
  values: Values;
  /** DataTime of the packet (station clock, UTC+8) or null when it has none. */
  at: number | null;
  /** Values left out because their -Flag said they are not measurements. */
  flagged: number;
}

/** Values of an HJ 212 data packet by the profile's pollutant codes. */
export function hj212Values(spec: Hj212Spec, p: Hj212Packet): { ok: true; result: Hj212Values } | { ok: false; reason: FieldRejectReason; detail: string } {
  const field = FIELD_BY_CN[p.cn];
  if (!field || !(spec.cn as string[]).includes(p.cn)) return reject('control', `CN ${p.cn} does not carry readings for this profile`);
  const dataTime = p.cp.get('DataTime');
  const at = dataTime === undefined ? null : hj212Time(dataTime);
  if (dataTime !== undefined && at === null) return reject('syntax', `DataTime "${dataTime}" is not yyyyMMddHHmmss`);
  const values: Values = new Map();
  let flagged = 0;
  for (const { metric, code } of spec.pollutants) {
    const text = p.cp.get(`${code}-${field}`);
    if (text === undefined) continue;
    const flag = p.cp.get(`${code}-Flag`);
    if (flag !== undefined && !MEASURED.has(flag)) {
      flagged++;
      continue;
    }
    const v = Number(text);
    if (text.trim() === '' || !Number.isFinite(v)) return reject('syntax', `${code}-${field}="${text.slice(0, 16)}" is not a number`);
    values.set(metric, v);
  }
  return { ok: true, result: { values, at, flagged } };
}
