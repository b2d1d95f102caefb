import { SerialPort } from 'serialport';
import type { Logger } from '../../service-kit/index.ts';
import { TzError, toError } from '../../service-kit/index.ts';
import { crc16 } from './crc16.ts';
import { garbage, handlePdu, requestPduLength, type BusCounters, type BusUnits } from './pdu.ts';

// Modbus RTU (Modbus over Serial Line v1.02): unit id, PDU, CRC-16 low byte
// first. One serial port = one RS-485 line with many slaves. The line is half
// duplex, so requests are answered one at a time: a slow slave holds up the
// line exactly as it would in the street. A frame with a bad CRC is ignored
// (§2.4.3: the slave does not answer), and unit ids nobody has stay quiet.
//
// Frames are found by length (function code) rather than by 3.5-character
// silences: a pseudo-terminal has no line timing, and the lengths are fixed
// for every request function we serve.

const MAX_BUFFER = 512;

export interface RtuBusOptions {
  path: string;
  baudRate?: number;
}

export class ModbusRtuBus {
  private pending = Buffer.alloc(0);
  private chain: Promise<void> = Promise.resolve();
  private replies = 0;
  private closed = false;

  private constructor(
    private readonly port: SerialPort,
    readonly path: string,
    private readonly units: BusUnits,
    private readonly counters: BusCounters,
  ) {}

  static async start(opts: RtuBusOptions, units: BusUnits, counters: BusCounters, log: Logger): Promise<ModbusRtuBus> {
    const port = new SerialPort({ path: opts.path, baudRate: opts.baudRate ?? 9600, autoOpen: false });
    await new Promise<void>((resolve, reject) =>
      port.open((err) => (err ? reject(new TzError('TZ_CONFIG_INVALID', `cannot open serial port ${opts.path}: ${err.message}`, { cause: err })) : resolve())),
    );
    const bus = new ModbusRtuBus(port, opts.path, units, counters);
    port.on('data', (chunk: Buffer) => bus.receive(chunk));
    port.on('error', (err) => log.warn({ err: toError(err), path: opts.path }, 'modbus rtu port error'));
    return bus;
  }

  private receive(chunk: Buffer): void {
    this.pending = Buffer.concat([this.pending, chunk]);
    if (this.pending.length > MAX_BUFFER) {
      this.counters.malformed++;
      this.pending = Buffer.alloc(0);
    }
    for (;;) {
      if (this.pending.length < 4) return;
      const pduLength = requestPduLength(this.pending.subarray(1));
      if (pduLength === undefined) {
        // Unknown function code: line noise or a request we cannot frame; resync one byte on.
        this.counters.malformed++;
        this.pending = this.pending.subarray(1);
        continue;
      }
      const frameLength = 1 + pduLength + 2;
      if (this.pending.length < frameLength) return;
      const frame = this.pending.subarray(0, frameLength);
      if (crc16(frame.subarray(0, frameLength - 2)) !== frame.readUInt16LE(frameLength - 2)) {
        this.counters.malformed++;
        this.pending = this.pending.subarray(1);
        continue;
      }
      this.pending = this.pending.subarray(frameLength);
      const unitId = frame.readUInt8(0);
      const pdu = Buffer.from(frame.subarray(1, 1 + pduLength));
      this.chain = this.chain.then(() => this.answer(unitId, pdu));
    }
  }

  private async answer(unitId: number, pdu: Buffer): Promise<void> {
    if (this.closed) return;
    const outcome = handlePdu(this.units, unitId, pdu, this.counters);
    // Broadcast (unit 0) is executed by everyone and answered by no one.
    if (outcome.kind !== 'reply' || unitId === 0) return;
    const adu = Buffer.alloc(1 + outcome.pdu.length + 2);
    adu[0] = unitId;
    outcome.pdu.copy(adu, 1);
    adu.writeUInt16LE(crc16(adu.subarray(0, adu.length - 2)), adu.length - 2);
    if (outcome.corrupt === 'garbage') garbage(adu.length, ++this.replies * 2654435761).copy(adu);
    else if (outcome.corrupt) adu.writeUInt8(adu.readUInt8(adu.length - 1) ^ 0x5a, adu.length - 1); // bad CRC
    if (outcome.delayMs > 0) await new Promise((r) => setTimeout(r, outcome.delayMs));
    if (!this.closed) await new Promise<void>((resolve) => this.port.write(adu, () => this.port.drain(() => resolve())));
  }

  close(): Promise<void> {
    this.closed = true;
    return new Promise((resolve) => (this.port.isOpen ? this.port.close(() => resolve()) : resolve()));
  }
}
