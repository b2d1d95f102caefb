import { createServer } from 'node:net';
import { ServerTCP, type IServiceVector } from 'modbus-serial';
import type { Logger } from '../service-kit/index.ts';
import { toError } from '../service-kit/index.ts';
import { IllegalDataAddress, type SimulatedDevice, type RegisterTable } from './simulated-device.ts';

/** An error modbus-serial's server turns into a Modbus exception response (its `modbusErrorCode`). */
class ModbusException extends Error {
  constructor(readonly modbusErrorCode: number, message: string) {
    super(message);
  }
}

// Modbus Application Protocol v1.1b3 §7: 0x02 illegal data address,
// 0x0B gateway target device failed to respond (what a TCP→RS-485 gateway
// answers for a unit id nobody has on the bus).
const GATEWAY_TARGET_FAILED = 0x0b;

export interface BusCounters {
  requests: number;
  silenced: number;
  rejected: number;
}

/**
 * One Modbus TCP server = one simulated RS-485 bus behind a gateway: many
 * unit ids on one port. A 'silent' device simply never calls back, so the
 * master times out while other unit ids on the same connection still answer
 * (modbus-serial handles each request independently).
 */
export class ModbusBusServer {
  private constructor(
    private readonly server: ServerTCP,
    readonly host: string,
    readonly port: number,
  ) {}

  static async start(host: string, units: Map<number, SimulatedDevice>, counters: BusCounters, log: Logger): Promise<ModbusBusServer> {
    const vector = busVector(units, counters);
    let lastError: Error | undefined;
    // ServerTCP treats port 0 as "use 502", so pick a free port first and
    // retry if someone takes it in between.
    for (let attempt = 0; attempt < 5; attempt++) {
      const port = await freePort(host);
      const server = new ServerTCP(vector, { host, port });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('initialized', () => resolve());
          server.once('serverError', (err) => reject(toError(err)));
        });
      } catch (err) {
        lastError = toError(err);
        await new Promise<void>((resolve) => server.close(() => resolve()));
        continue;
      }
      server.on('serverError', (err) => log.error({ err: toError(err), port }, 'modbus bus server error'));
      server.on('socketError', (err) => log.debug({ err: toError(err), port }, 'modbus bus socket error'));
      server.on('error', (err) => log.warn({ err: toError(err), port }, 'modbus bus request error'));
      return new ModbusBusServer(server, host, port);
    }
    throw lastError ?? new Error('could not bind a Modbus TCP port');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function freePort(host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, host, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

type Answer<T> = (err: Error | null, value: T) => void;

/** The modbus-serial service vector for one bus: a table from function kind to device reads. */
function busVector(units: Map<number, SimulatedDevice>, counters: BusCounters): IServiceVector {
  /** Runs `work` for the addressed device; unknown units get an exception, silent ones nothing at all. */
  function serve<T>(unitId: number, cb: Answer<T>, fallback: T, work: (device: SimulatedDevice) => T): void {
    const device = units.get(unitId);
    if (!device) {
      counters.rejected++;
      cb(new ModbusException(GATEWAY_TARGET_FAILED, `no unit ${unitId} on this bus`), fallback);
      return;
    }
    if (device.silent) {
      counters.silenced++;
      return;
    }
    let value: T;
    try {
      value = work(device);
    } catch (err) {
      counters.rejected++;
      const code = err instanceof IllegalDataAddress ? err.modbusErrorCode : 0x04;
      cb(new ModbusException(code, toError(err).message), fallback);
      return;
    }
    counters.requests++;
    cb(null, value);
  }
  const bit = (table: RegisterTable) => (addr: number, unitId: number, cb: Answer<boolean>) =>
    serve(unitId, cb, false, (d) => d.read(table, addr, 1)[0] === 1);
  const word = (table: RegisterTable) => (addr: number, unitId: number, cb: Answer<number>) =>
    serve(unitId, cb, 0, (d) => d.read(table, addr, 1)[0]!);
  const words = (table: RegisterTable) => (addr: number, length: number, unitId: number, cb: Answer<number[]>) =>
    serve(unitId, cb, [], (d) => d.read(table, addr, length));
  return {
    getCoil: bit('coil'),
    getDiscreteInput: bit('discrete'),
    getInputRegister: word('input'),
    getHoldingRegister: word('holding'),
    getMultipleInputRegisters: words('input'),
    getMultipleHoldingRegisters: words('holding'),
    setCoil: (addr: number, value: boolean, unitId: number, cb: (err: Error | null) => void) =>
      serve(unitId, cb, undefined, (d) => d.write('coil', addr, value ? 1 : 0)),
    setRegister: (addr: number, value: number, unitId: number, cb: (err: Error | null) => void) =>
      serve(unitId, cb, undefined, (d) => d.write('holding', addr, value)),
  };
}
