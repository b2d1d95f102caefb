import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from '../../service-kit/index.ts';
import { toError } from '../../service-kit/index.ts';
import { garbage, handlePdu, type BusCounters, type BusUnits } from './pdu.ts';

// Modbus TCP (Modbus Messaging on TCP/IP v1.0b): MBAP header = transaction id,
// protocol id 0, length (unit id + PDU), unit id. One server = one simulated
// RS-485 bus behind a TCP gateway: many unit ids on one port.
//
// Our own framing rather than modbus-serial's ServerTCP: the faults need the
// bytes (a malformed MBAP, garbage, a reply held back per device) and ServerTCP
// has no hook between the service vector and the socket.

const MBAP = 7;
const MAX_ADU = 260;

export class ModbusTcpBus {
  private readonly sockets = new Set<Socket>();
  private replies = 0;

  private constructor(
    private readonly server: Server,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(host: string, units: BusUnits, counters: BusCounters, log: Logger): Promise<ModbusTcpBus> {
    let bus: ModbusTcpBus | undefined;
    const server = createServer((socket) => bus?.serve(socket, units, counters, log));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, host, () => resolve());
    });
    server.on('error', (err) => log.error({ err: toError(err) }, 'modbus tcp bus error'));
    const address = server.address();
    bus = new ModbusTcpBus(server, host, typeof address === 'object' && address ? address.port : 0);
    return bus;
  }

  private serve(socket: Socket, units: BusUnits, counters: BusCounters, log: Logger): void {
    this.sockets.add(socket);
    socket.setNoDelay(true);
    socket.on('close', () => this.sockets.delete(socket));
    socket.on('error', (err) => log.debug({ err: toError(err), port: this.port }, 'modbus tcp client socket error'));
    let pending: Buffer = Buffer.alloc(0);
    socket.on('data', (chunk: Buffer) => {
      pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
      while (pending.length >= MBAP) {
        const protocol = pending.readUInt16BE(2);
        const length = pending.readUInt16BE(4);
        if (protocol !== 0 || length < 2 || length + 6 > MAX_ADU) {
          // A stream we cannot frame any more: drop the connection, as a gateway does.
          counters.malformed++;
          socket.destroy();
          return;
        }
        if (pending.length < 6 + length) break;
        const header = pending.subarray(0, MBAP);
        const pdu = pending.subarray(MBAP, 6 + length);
        pending = pending.subarray(6 + length);
        this.answer(socket, header, pdu, units, counters);
      }
    });
  }

  private answer(socket: Socket, header: Buffer, pdu: Buffer, units: BusUnits, counters: BusCounters): void {
    const unitId = header.readUInt8(6);
    const outcome = handlePdu(units, unitId, pdu, counters);
    if (outcome.kind === 'silent') return;
    const adu = Buffer.alloc(MBAP + outcome.pdu.length);
    header.copy(adu, 0, 0, 4);
    adu.writeUInt16BE(outcome.pdu.length + 1, 4);
    adu[6] = unitId;
    outcome.pdu.copy(adu, MBAP);
    let wire: Buffer = adu;
    if (outcome.kind === 'reply' && outcome.corrupt) {
      if (outcome.corrupt === 'garbage') wire = garbage(adu.length, ++this.replies * 2654435761);
      else {
        // Malformed MBAP: wrong protocol id and a length that promises more than is sent.
        wire = Buffer.from(adu);
        wire.writeUInt16BE(0xbeef, 2);
        wire.writeUInt16BE(adu.length + 40, 4);
      }
    }
    const delayMs = outcome.kind === 'reply' ? outcome.delayMs : 0;
    if (delayMs > 0) setTimeout(() => socket.writable && socket.write(wire), delayMs).unref();
    else socket.write(wire);
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}
