import type { PtyPair } from '../modbus/pty-pair.ts';
import { openPtyPair } from '../modbus/pty-pair.ts';
import { WaterMeterBus } from './cjt188-water-meters.ts';
import { ElectricityMeterBus } from './dlt645-meters.ts';
import { Hj212StationFleet } from './hj212-stations.ts';
import { TzError } from '../../service-kit/index.ts';

export interface FieldSimulationOptions {
  /** CJ/T 188 water meters on one bus (0 = none). */
  waterMeters?: number;
  /** DL/T 645 electricity meters on one bus (0 = none). */
  electricityMeters?: number;
  /** Meter buses on a socat pty pair (the agent opens `serialPath`) instead of TCP. */
  serial?: boolean;
  /** HJ 212 stations and where they connect (the agent's fieldProtocols.hj212). */
  stations?: { count: number; host: string; port: number; intervalMs: number; password?: string };
  seed?: number;
  host?: string;
}

export interface FieldSimulation {
  water: WaterMeterBus | null;
  electricity: ElectricityMeterBus | null;
  stations: Hj212StationFleet | null;
  /** Agent config `devices` entries for everything simulated (field: {transport, …}). */
  agentDevices(district: string, serialLine?: { water: string; electricity: string }): Array<Record<string, unknown>>;
  /** Master ends of the pty pairs (serial mode): water, electricity. */
  serialPaths: { water?: string; electricity?: string };
  stop(): Promise<void>;
}

/**
 * The field-protocol devices of one site, started together: a CJ/T 188
 * water-meter bus, a DL/T 645 meter bus (TCP or pty) and HJ 212 stations
 * pushing to an agent. `agentDevices` prints the matching agent config.
 */
export async function startFieldSimulation(o: FieldSimulationOptions): Promise<FieldSimulation> {
  const host = o.host ?? '127.0.0.1';
  const ptys: PtyPair[] = [];
  const serialPaths: FieldSimulation['serialPaths'] = {};
  const endpoints: { water?: { host: string; port: number }; electricity?: { host: string; port: number } } = {};
  const water = (o.waterMeters ?? 64) > 0 ? new WaterMeterBus({ meters: o.waterMeters ?? 64, seed: o.seed }) : null;
  const electricity = (o.electricityMeters ?? 4) > 0 ? new ElectricityMeterBus({ meters: o.electricityMeters ?? 4, seed: o.seed }) : null;
  for (const [key, bus] of [['water', water], ['electricity', electricity]] as const) {
    if (!bus) continue;
    if (o.serial) {
      const pty = await openPtyPair();
      ptys.push(pty);
      await bus.bus.openSerial(pty.simEnd);
      serialPaths[key] = pty.masterEnd;
    } else endpoints[key] = await bus.bus.listenTcp(host);
  }
  let stations: Hj212StationFleet | null = null;
  if (o.stations && o.stations.count > 0) {
    const { count, ...where } = o.stations;
    stations = new Hj212StationFleet({ ...where, stations: count, seed: o.seed });
    await stations.connect();
    stations.start();
  }
  return {
    water, electricity, stations, serialPaths,
    agentDevices(district, lines) {
      const at = (key: 'water' | 'electricity') => {
        if (lines) return { line: lines[key] };
        const endpoint = endpoints[key];
        if (!endpoint) throw new TzError('TZ_CONFIG_INVALID', `the ${key} meter bus listens on no TCP port (a serial run needs the agent's serial lines)`);
        return { host: endpoint.host, port: endpoint.port };
      };
      return [
        ...(water?.meters.map((m, i) => ({ deviceId: `wm-188-${String(i + 1).padStart(4, '0')}`, profile: 'water-meter', district, field: { transport: 'cjt188', address: m.address, ...at('water') } })) ?? []),
        ...(electricity?.meters.map((m, i) => ({ deviceId: `em-${String(i + 1).padStart(4, '0')}`, profile: 'electricity-meter', district, field: { transport: 'dlt645', address: m.address, ...at('electricity') } })) ?? []),
        ...(stations?.stations.map((s, i) => ({ deviceId: `env-${String(i + 1).padStart(4, '0')}`, profile: 'environmental-station', district, field: { transport: 'hj212', mn: s.mn, ...(o.stations?.password ? { password: o.stations.password } : {}) } })) ?? []),
      ];
    },
    async stop() {
      await stations?.stop();
      await water?.bus.close();
      await electricity?.bus.close();
      for (const p of ptys) await p.close();
    },
  };
}
