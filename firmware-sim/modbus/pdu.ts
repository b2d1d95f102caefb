import { IllegalDataAddress, type CorruptKind, type RegisterTable, type SimulatedDevice } from '../simulated-device.ts';

// The Modbus application layer shared by the TCP and RTU transports: one
// request PDU in, one reply PDU (or silence) out. Function codes per Modbus
// Application Protocol v1.1b3 §6; exception codes §7.

export const EXCEPTION = { illegalFunction: 0x01, illegalAddress: 0x02, illegalValue: 0x03, deviceFailure: 0x04, gatewayTargetFailed: 0x0b } as const;

export interface BusCounters {
  requests: number;
  silenced: number;
  rejected: number;
  corrupted: number;
  /** Request frames that could not be parsed (bad MBAP, bad CRC, garbage). */
  malformed: number;
}

export const newBusCounters = (): BusCounters => ({ requests: 0, silenced: 0, rejected: 0, corrupted: 0, malformed: 0 });

/** The devices one bus reaches, and whether each can answer right now. */
export interface BusUnits {
  device(unitId: number): SimulatedDevice | undefined;
  /** False when the device, its gateway link or its power is down. */
  answering(device: SimulatedDevice): boolean;
}

export type PduOutcome =
  | { kind: 'reply'; pdu: Buffer; delayMs: number; corrupt?: CorruptKind }
  | { kind: 'silent' }
  /** No device with this unit id: a TCP gateway answers 0x0B, an RTU line stays quiet. */
  | { kind: 'no-unit'; pdu: Buffer };

const exception = (fc: number, code: number): Buffer => Buffer.from([fc | 0x80, code]);

function packBits(bits: number[]): Buffer {
  const out = Buffer.alloc(1 + Math.ceil(bits.length / 8));
  out[0] = out.length - 1;
  bits.forEach((b, i) => {
    if (b) out.writeUInt8(out.readUInt8(1 + (i >> 3)) | (1 << (i & 7)), 1 + (i >> 3));
  });
  return out;
}

function packWords(words: number[]): Buffer {
  const out = Buffer.alloc(1 + words.length * 2);
  out[0] = words.length * 2;
  words.forEach((w, i) => out.writeUInt16BE(w & 0xffff, 1 + i * 2));
  return out;
}

type Handler = (device: SimulatedDevice, pdu: Buffer) => Buffer;

const readBits = (table: RegisterTable): Handler => (device, pdu) => {
  const start = pdu.readUInt16BE(1);
  const count = pdu.readUInt16BE(3);
  if (count < 1 || count > 2000) return exception(pdu.readUInt8(0), EXCEPTION.illegalValue);
  return Buffer.concat([pdu.subarray(0, 1), packBits(device.read(table, start, count))]);
};

const readWords = (table: RegisterTable): Handler => (device, pdu) => {
  const start = pdu.readUInt16BE(1);
  const count = pdu.readUInt16BE(3);
  if (count < 1 || count > 125) return exception(pdu.readUInt8(0), EXCEPTION.illegalValue);
  return Buffer.concat([pdu.subarray(0, 1), packWords(device.read(table, start, count))]);
};

const writeCoil: Handler = (device, pdu) => {
  const value = pdu.readUInt16BE(3);
  if (value !== 0xff00 && value !== 0x0000) return exception(pdu.readUInt8(0), EXCEPTION.illegalValue);
  device.write('coil', pdu.readUInt16BE(1), value === 0xff00 ? 1 : 0);
  return Buffer.from(pdu.subarray(0, 5)); // echo
};

const writeRegister: Handler = (device, pdu) => {
  device.write('holding', pdu.readUInt16BE(1), pdu.readUInt16BE(3));
  return Buffer.from(pdu.subarray(0, 5));
};

const writeCoils: Handler = (device, pdu) => {
  const start = pdu.readUInt16BE(1);
  const count = pdu.readUInt16BE(3);
  const byteCount = pdu[5];
  if (count < 1 || count > 1968 || byteCount !== Math.ceil(count / 8) || pdu.length < 6 + byteCount) return exception(pdu.readUInt8(0), EXCEPTION.illegalValue);
  for (let i = 0; i < count; i++) device.write('coil', start + i, (pdu.readUInt8(6 + (i >> 3)) >> (i & 7)) & 1);
  return Buffer.from(pdu.subarray(0, 5));
};

const writeRegisters: Handler = (device, pdu) => {
  const start = pdu.readUInt16BE(1);
  const count = pdu.readUInt16BE(3);
  if (count < 1 || count > 123 || pdu[5] !== count * 2 || pdu.length < 6 + count * 2) return exception(pdu.readUInt8(0), EXCEPTION.illegalValue);
  for (let i = 0; i < count; i++) device.write('holding', start + i, pdu.readUInt16BE(6 + i * 2));
  return Buffer.from(pdu.subarray(0, 5));
};

/** Function code → handler: the whole dispatcher. */
const HANDLERS: Readonly<Record<number, Handler>> = {
  0x01: readBits('coil'),
  0x02: readBits('discrete'),
  0x03: readWords('holding'),
  0x04: readWords('input'),
  0x05: writeCoil,
  0x06: writeRegister,
  0x0f: writeCoils,
  0x10: writeRegisters,
};

/** Bytes a request PDU of this function code occupies (RTU framing needs it); undefined = unknown code. */
export function requestPduLength(pdu: Buffer): number | undefined {
  const fc = pdu[0];
  if (fc === undefined) return undefined;
  if (fc >= 0x01 && fc <= 0x06) return 5;
  if (fc === 0x0f || fc === 0x10) return 6 + (pdu[5] ?? 0); // the byte count, once it has arrived
  return undefined;
}

export function handlePdu(units: BusUnits, unitId: number, pdu: Buffer, counters: BusCounters): PduOutcome {
  const fc = pdu[0] ?? 0;
  const device = units.device(unitId);
  if (!device) {
    counters.rejected++;
    return { kind: 'no-unit', pdu: exception(fc, EXCEPTION.gatewayTargetFailed) };
  }
  if (!units.answering(device)) {
    counters.silenced++;
    return { kind: 'silent' };
  }
  const handler = HANDLERS[fc];
  let reply: Buffer;
  if (!handler) reply = exception(fc, EXCEPTION.illegalFunction);
  else if (pdu.length < 5) reply = exception(fc, EXCEPTION.illegalValue);
  else {
    try {
      reply = handler(device, pdu);
    } catch (err) {
      // Outside the map → 0x02; anything else the device cannot do → 0x04.
      reply = exception(fc, err instanceof IllegalDataAddress ? err.modbusErrorCode : EXCEPTION.deviceFailure);
    }
  }
  if ((reply[0] ?? 0) & 0x80) counters.rejected++;
  else counters.requests++;
  if (device.faults.corrupt) counters.corrupted++;
  return { kind: 'reply', pdu: reply, delayMs: device.faults.slowMs, corrupt: device.faults.corrupt };
}

/** Bytes that look like nothing: a reply destroyed by line noise. */
export function garbage(length: number, seed: number): Buffer {
  const out = Buffer.alloc(Math.max(3, length));
  let x = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
