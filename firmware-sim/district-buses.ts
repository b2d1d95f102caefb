import type { Logger } from '../service-kit/index.ts';
import { ModbusTcpBus } from './modbus/tcp-bus.ts';
import { ModbusRtuBus } from './modbus/rtu-bus.ts';
import { openPtyPair, type PtyPair } from './modbus/pty-pair.ts';
import type { BusCounters, BusUnits } from './modbus/pdu.ts';

// The city's Modbus buses: TCP servers on free ports, the last `rtuCount`
// as RTU slaves on pseudo-terminal pairs. Either all start or none is left
// running.

export interface DistrictBuses {
  /** Per bus index: its TCP server, or undefined for an RTU bus. */
  tcp: Array<ModbusTcpBus | undefined>;
  /** Per bus index: its RTU slave and pty pair, or undefined for a TCP bus. */
  rtu: Array<{ bus: ModbusRtuBus; pty: PtyPair } | undefined>;
  close(): Promise<void>;
}

export interface DistrictBusesOptions {
  busCount: number;
  rtuCount: number;
  host: string;
  /** The devices answering on bus `b`. */
  unitsOf(bus: number): BusUnits;
  counters: BusCounters;
  log: Logger;
}

export async function startDistrictBuses(o: DistrictBusesOptions): Promise<DistrictBuses> {
  const tcp: DistrictBuses['tcp'] = [];
  const rtu: DistrictBuses['rtu'] = [];
  const close = async (): Promise<void> => {
    await Promise.all(tcp.map((s) => s?.close()));
    await Promise.all(rtu.map(async (r) => { await r?.bus.close(); await r?.pty.close(); }));
  };
  try {
    for (let b = 0; b < o.busCount; b++) {
      if (b >= o.busCount - o.rtuCount) {
        const pty = await openPtyPair();
        try {
          rtu[b] = { bus: await ModbusRtuBus.start({ path: pty.simEnd }, o.unitsOf(b), o.counters, o.log), pty };
        } catch (err) {
          await pty.close();
          throw err;
        }
      } else tcp[b] = await ModbusTcpBus.start(o.host, o.unitsOf(b), o.counters, o.log);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { tcp, rtu, close };
}
