import { addressBytes, addressText } from './bcd.ts';
import { reject, sumChecksum, type Decoded, type FrameScan } from './frame-result.ts';

// CJ/T 188-2004 "Data transmission technology of household metering
// instruments": 68 T A0..A6 C L DATA CS 16 (§5.2), preceded on the line by
// wake-up bytes FE (0–4 of them in practice). T = meter type (10h cold
// water, 11h hot water, 20h heat, 30h gas, 40h electricity); A0..A6 = the
// meter address in BCD, least significant byte first (A5 A6 = maker code);
// C: D7 direction (1 = from the meter), D6 communication abnormal, D5..D0
// function; CS = sum of all bytes from 68 through DATA, modulo 256.
// Read data (function 01h): DATA = DI0 DI1 SER; the reply (81h) carries
// DI0 DI1 SER and the values; an abnormal reply has C = C1h.

export const CJT188 = {
  start: 0x68,
  end: 0x16,
  wake: 0xfe,
  readData: 0x01,
  readReply: 0x81,
  readAbnormal: 0xc1,
  /** Header before DATA: 68 T A0..A6 C L. */
  headerBytes: 11,
  maxData: 0x64,
} as const;

/** Meter types of CJ/T 188-2004 Table 1 (T). */
export const CJT188_METER_TYPES: Readonly<Record<number, string>> = { 0x10: 'cold water', 0x11: 'domestic hot water', 0x12: 'drinking water', 0x13: 'reclaimed water', 0x20: 'heat (heat)', 0x21: 'heat (cooling)', 0x30: 'gas', 0x40: 'electricity' };

/** Unit codes of CJ/T 188-2004 Appendix (units of the value that follows) → [unit, factor to the base unit]. */
export const CJT188_UNITS: Readonly<Record<number, { unit: string; toBase: number }>> = {
  0x02: { unit: 'kWh', toBase: 0.001 }, 0x05: { unit: 'kWh', toBase: 1 }, 0x08: { unit: 'kWh', toBase: 1000 },
  0x0b: { unit: 'GJ', toBase: 0.000001 }, 0x0e: { unit: 'GJ', toBase: 0.001 }, 0x11: { unit: 'GJ', toBase: 1 },
  0x14: { unit: 'kW', toBase: 0.001 }, 0x17: { unit: 'kW', toBase: 1 }, 0x1a: { unit: 'kW', toBase: 1000 },
  0x29: { unit: 'm3', toBase: 0.001 }, 0x2c: { unit: 'm3', toBase: 1 },
  0x32: { unit: 'm3/h', toBase: 0.001 }, 0x35: { unit: 'm3/h', toBase: 1 },
};

/** Unit code for a base unit at factor 1 (what a meter sends by default). */
export const cjt188UnitCode = (unit: string): number | undefined => Number(Object.entries(CJT188_UNITS).find(([, u]) => u.unit === unit && u.toBase === 1)?.[0]) || undefined;

export interface Cjt188Frame {
  meterType: number;
  /** 14 digits as printed on the meter. */
  address: string;
  control: number;
  /** Data identifier as written in the standard, e.g. 0x901F (travels DI0 = 1Fh first… see the note in encode). */
  di: number;
  ser: number;
  /** Values after DI and SER (reply), empty for a request. */
  data: Buffer;
  /** Abnormal reply: the status bytes. */
  status?: Buffer;
}

type DataParser = (frame: Omit<Cjt188Frame, 'di' | 'ser' | 'data'>, data: Buffer) => Decoded<Cjt188Frame>;

// DI travels low byte first: 901F is sent as 1F 90 (the standard's own read example).
const readDi = (data: Buffer): number => data.readUInt16LE(0);

const readRequest: DataParser = (head, data) =>
  data.length !== 3 ? reject('length', `read request data is ${data.length} bytes, expected 3 (DI0 DI1 SER)`) : { ok: true, frame: { ...head, di: readDi(data), ser: data.readUInt8(2), data: Buffer.alloc(0) } };

const readReply: DataParser = (head, data) =>
  data.length < 3 ? reject('length', `read reply data is ${data.length} bytes, shorter than DI0 DI1 SER`) : { ok: true, frame: { ...head, di: readDi(data), ser: data.readUInt8(2), data: Buffer.from(data.subarray(3)) } };

// An abnormal reply carries SER and the status word ST (2 bytes); no DI.
const abnormalReply: DataParser = (head, data) => ({ ok: true, frame: { ...head, di: 0, ser: data[0] ?? 0, data: Buffer.alloc(0), status: Buffer.from(data.subarray(1)) } });

/** Control code → how its DATA reads: the whole dispatcher. */
const DATA_PARSERS: Readonly<Record<number, DataParser>> = {
  [CJT188.readData]: readRequest,
  [CJT188.readReply]: readReply,
  [CJT188.readAbnormal]: abnormalReply,
};

/** Finds the next frame in a receive buffer (wake-up bytes and noise before 68h are skipped). */
export function scanCjt188(buf: Uint8Array): FrameScan {
  let i = 0;
  while (i < buf.length && buf[i] === CJT188.wake) i++;
  // Only wake-up bytes so far: the frame may follow (the receive buffer is bounded by the caller).
  if (i === buf.length) return { kind: 'need-more' };
  if (i < buf.length && buf[i] !== CJT188.start) {
    let j = i;
    while (j < buf.length && buf[j] !== CJT188.start) j++;
    return { kind: 'skip', bytes: j, reason: 'no-start', detail: `${j - i} byte(s) before 68h` };
  }
  if (buf.length - i < CJT188.headerBytes) return { kind: 'need-more' };
  const l = buf[i + 10];
  if (l === undefined) return { kind: 'need-more' };
  if (l > CJT188.maxData) return { kind: 'skip', bytes: i + 1, reason: 'length', detail: `L = ${l} is above ${CJT188.maxData}` };
  const end = i + CJT188.headerBytes + l + 2;
  if (buf.length < end) return { kind: 'need-more' };
  return { kind: 'frame', start: i, end };
}

/** Decodes one complete frame (wake-up bytes allowed in front). */
export function decodeCjt188(bytes: Uint8Array): Decoded<Cjt188Frame> {
  let i = 0;
  while (i < bytes.length && bytes[i] === CJT188.wake) i++;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset + i, bytes.length - i);
  if (b.length < CJT188.headerBytes + 2) return reject('truncated', `${b.length} bytes, a frame has at least ${CJT188.headerBytes + 2}`);
  if (b[0] !== CJT188.start) return reject('no-start', `first byte ${b.readUInt8(0).toString(16)}h, expected 68h`);
  const l = b.readUInt8(10);
  if (l > CJT188.maxData) return reject('length', `L = ${l} is above ${CJT188.maxData}`);
  const total = CJT188.headerBytes + l + 2;
  if (b.length < total) return reject('truncated', `${b.length} bytes, L = ${l} needs ${total}`);
  if (b.length > total) return reject('length', `${b.length - total} byte(s) after the frame`);
  if (b[total - 1] !== CJT188.end) return reject('bad-end', `last byte ${b.readUInt8(total - 1).toString(16)}h, expected 16h`);
  const cs = sumChecksum(b, 0, total - 2);
  if (cs !== b[total - 2]) return reject('checksum', `CS ${b.readUInt8(total - 2).toString(16)}h, computed ${cs.toString(16)}h`);
  const control = b.readUInt8(9);
  const parse = DATA_PARSERS[control];
  if (!parse) return reject('control', `control code ${control.toString(16)}h is not supported`);
  return parse({ meterType: b.readUInt8(1), address: addressText(b.subarray(2, 9)), control }, Buffer.from(b.subarray(CJT188.headerBytes, CJT188.headerBytes + l)));
}

/** Encodes a frame: wake-up bytes (default 2), header, DI0 DI1 SER + data (or SER + status for an abnormal reply), CS, 16h. */
export function encodeCjt188(f: Cjt188Frame, wakeBytes = 2): Buffer {
  const payload = f.control === CJT188.readAbnormal
    ? Buffer.concat([Buffer.from([f.ser]), f.status ?? Buffer.alloc(2)])
    : Buffer.concat([Buffer.from([f.di & 0xff, (f.di >> 8) & 0xff, f.ser]), f.data]);
  const frame = Buffer.concat([Buffer.from([CJT188.start, f.meterType]), addressBytes(f.address), Buffer.from([f.control, payload.length]), payload, Buffer.from([0, CJT188.end])]);
  frame[frame.length - 2] = sumChecksum(frame, 0, frame.length - 2);
  return Buffer.concat([Buffer.alloc(wakeBytes, CJT188.wake), frame]);
}

/** A read-data request (C = 01h) for one DI. */
export const cjt188ReadRequest = (meterType: number, address: string, di: number, ser: number): Buffer =>
  encodeCjt188({ meterType, address, control: CJT188.readData, di, ser, data: Buffer.alloc(0) });
