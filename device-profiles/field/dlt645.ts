import { addressBytes, addressText } from './bcd.ts';
import { reject, sumChecksum, type Decoded, type FrameScan } from './frame-result.ts';

// DL/T 645-2007 "Multi-function watt-hour meter communication protocol":
// 68 A0..A5 68 C L DATA CS 16 (§4.1), preceded by up to four FEh wake-up
// bytes (§4.2). A0..A5 = address, 12 BCD digits, least significant byte
// first; C: D7 direction (1 = reply), D6 abnormal reply, D5 follow-up frame,
// D4..D0 function (11h read data, §4.1.5); every DATA byte travels +33h
// (§4.1.7); CS = sum of bytes from the first 68h through DATA, modulo 256.
// Read data: DATA = DI0 DI1 DI2 DI3 (DI0 first); the normal reply (91h)
// repeats the DI and carries the value in the Appendix A format, the
// abnormal reply (D1h) carries one error byte (ERR, Table 7.3).

export const DLT645 = {
  start: 0x68,
  end: 0x16,
  wake: 0xfe,
  readData: 0x11,
  readReply: 0x91,
  readReplyMore: 0xb1,
  readAbnormal: 0xd1,
  /** 68 A0..A5 68 C L. */
  headerBytes: 10,
  maxData: 200,
  offset: 0x33,
} as const;

/** ERR bits of an abnormal reply (DL/T 645-2007 Table 7.3). */
export const DLT645_ERRORS: ReadonlyArray<[number, string]> = [[0x01, 'other error'], [0x02, 'no requested data'], [0x04, 'password wrong / not authorised'], [0x08, 'communication rate cannot change'], [0x10, 'annual time zones exceeded'], [0x20, 'daily time periods exceeded'], [0x40, 'tariffs exceeded']];

export const dlt645ErrorText = (err: number): string => DLT645_ERRORS.filter(([bit]) => err & bit).map(([, t]) => t).join(', ') || `ERR ${err.toString(16)}h`;

export interface Dlt645Frame {
  /** 12 digits as printed on the meter's nameplate. */
  address: string;
  control: number;
  /** Data identifier DI3 DI2 DI1 DI0 as written, e.g. 0x02010100 (phase A voltage). 0 in an abnormal reply. */
  di: number;
  /** DATA after the DI with the +33h removed (reply values); for D1h the ERR byte. */
  data: Buffer;
}

type DataParser = (head: { address: string; control: number }, data: Buffer) => Decoded<Dlt645Frame>;

const readDi = (d: Buffer): number => d.readUInt32LE(0);

const readRequest: DataParser = (head, d) => (d.length !== 4 ? reject('length', `read request data is ${d.length} bytes, expected 4 (DI0..DI3)`) : { ok: true, frame: { ...head, di: readDi(d), data: Buffer.alloc(0) } });
const readReply: DataParser = (head, d) => (d.length < 4 ? reject('length', `read reply data is ${d.length} bytes, shorter than its DI`) : { ok: true, frame: { ...head, di: readDi(d), data: Buffer.from(d.subarray(4)) } });
const abnormal: DataParser = (head, d) => (d.length !== 1 ? reject('length', `abnormal reply data is ${d.length} bytes, expected 1 (ERR)`) : { ok: true, frame: { ...head, di: 0, data: Buffer.from(d) } });

/** Control code → how its DATA reads: the whole dispatcher. */
const DATA_PARSERS: Readonly<Record<number, DataParser>> = {
  [DLT645.readData]: readRequest,
  [DLT645.readReply]: readReply,
  [DLT645.readReplyMore]: readReply,
  [DLT645.readAbnormal]: abnormal,
};

export function scanDlt645(buf: Uint8Array): FrameScan {
  let i = 0;
  while (i < buf.length && buf[i] === DLT645.wake) i++;
  // Only wake-up bytes so far: the frame may follow (the receive buffer is bounded by the caller).
  if (i === buf.length) return { kind: 'need-more' };
  if (i < buf.length && buf[i] !== DLT645.start) {
    let j = i;
    while (j < buf.length && buf[j] !== DLT645.start) j++;
    return { kind: 'skip', bytes: j, reason: 'no-start', detail: `${j - i} byte(s) before 68h` };
  }
  if (buf.length - i < DLT645.headerBytes) return { kind: 'need-more' };
  if (buf[i + 7] !== DLT645.start) return { kind: 'skip', bytes: i + 1, reason: 'no-start', detail: 'no second 68h after the address' };
  const l = buf[i + 9];
  if (l === undefined) return { kind: 'need-more' };
  if (l > DLT645.maxData) return { kind: 'skip', bytes: i + 1, reason: 'length', detail: `L = ${l} is above ${DLT645.maxData}` };
  const end = i + DLT645.headerBytes + l + 2;
  return buf.length < end ? { kind: 'need-more' } : { kind: 'frame', start: i, end };
}

export function decodeDlt645(bytes: Uint8Array): Decoded<Dlt645Frame> {
  let i = 0;
  while (i < bytes.length && bytes[i] === DLT645.wake) i++;
  const b = Buffer.from(bytes.buffer, bytes.byteOffset + i, bytes.length - i);
  if (b.length < DLT645.headerBytes + 2) return reject('truncated', `${b.length} bytes, a frame has at least ${DLT645.headerBytes + 2}`);
  if (b[0] !== DLT645.start || b[7] !== DLT645.start) return reject('no-start', 'expected 68h before and after the address');
  const l = b.readUInt8(9);
  if (l > DLT645.maxData) return reject('length', `L = ${l} is above ${DLT645.maxData}`);
  const total = DLT645.headerBytes + l + 2;
  if (b.length < total) return reject('truncated', `${b.length} bytes, L = ${l} needs ${total}`);
  if (b.length > total) return reject('length', `${b.length - total} byte(s) after the frame`);
  if (b[total - 1] !== DLT645.end) return reject('bad-end', `last byte ${b.readUInt8(total - 1).toString(16)}h, expected 16h`);
  const cs = sumChecksum(b, 0, total - 2);
  if (cs !== b[total - 2]) return reject('checksum', `CS ${b.readUInt8(total - 2).toString(16)}h, computed ${cs.toString(16)}h`);
  const control = b.readUInt8(8);
  const parse = DATA_PARSERS[control];
  if (!parse) return reject('control', `control code ${control.toString(16)}h is not supported`);
  const data = Buffer.alloc(l);
  for (let k = 0; k < l; k++) data[k] = (b.readUInt8(DLT645.headerBytes + k) - DLT645.offset) & 0xff;
  return parse({ address: addressText(b.subarray(1, 7)), control }, data);
}

/** Encodes a frame with `wakeBytes` FEh in front; DI (unless an abnormal reply) and data get +33h. */
export function encodeDlt645(f: Dlt645Frame, wakeBytes = 4): Buffer {
  const plain = f.control === DLT645.readAbnormal ? f.data : Buffer.concat([Buffer.from([f.di & 0xff, (f.di >>> 8) & 0xff, (f.di >>> 16) & 0xff, (f.di >>> 24) & 0xff]), f.data]);
  const frame = Buffer.alloc(DLT645.headerBytes + plain.length + 2);
  frame[0] = DLT645.start;
  addressBytes(f.address).copy(frame, 1);
  frame[7] = DLT645.start;
  frame[8] = f.control;
  frame[9] = plain.length;
  for (let k = 0; k < plain.length; k++) frame[DLT645.headerBytes + k] = (plain.readUInt8(k) + DLT645.offset) & 0xff;
  frame[frame.length - 2] = sumChecksum(frame, 0, frame.length - 2);
  frame[frame.length - 1] = DLT645.end;
  return Buffer.concat([Buffer.alloc(wakeBytes, DLT645.wake), frame]);
}

export const dlt645ReadRequest = (address: string, di: number): Buffer => encodeDlt645({ address, control: DLT645.readData, di, data: Buffer.alloc(0) });
