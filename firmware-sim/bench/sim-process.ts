// The process under measurement for the sim-scale benchmark: either the
// simulated city (`sim`) or the peer, a minimal modbus-serial ServerTCP per bus
// answering constant registers (`peer`). Prints its layout as one JSON line,
// then serves until killed.
import { readFileSync } from 'node:fs';
import modbusSerial from 'modbus-serial';
import { loadProfiles } from '../../device-profiles/index.ts';
import { startSimulatedDistrict } from '../index.ts';
import { freePort } from '../../testing/index.ts';

type Layout = Array<{ port: number; unitId: number; profile: string }>;
const [mode, devicesArg, perBusArg, speedArg, layoutFile] = process.argv.slice(2);
const started = Date.now();
let layout: Layout;

if (mode === 'sim') {
  const city = await startSimulatedDistrict({ profiles: loadProfiles(), devices: Number(devicesArg), devicesPerBus: Number(perBusArg), seed: 1, speed: Number(speedArg ?? 1) });
  layout = city.devices.map((d) => ({ port: d.port, unitId: d.unitId, profile: d.profile }));
} else {
  // The sim's layout (same buses, unit ids, classes), answered by modbus-serial's ServerTCP with constants: the transport's own cost.
  if (layoutFile === undefined) throw new Error('peer mode needs the sim layout file as its fifth argument');
  const simLayout = JSON.parse(readFileSync(layoutFile, 'utf8')) as Layout;
  const portMap = new Map<number, number>();
  const constant = (_a: number, _u: number, cb: (e: Error | null, v: number) => void) => cb(null, 1234);
  const bit = (_a: number, _u: number, cb: (e: Error | null, v: boolean) => void) => cb(null, true);
  for (const simPort of new Set(simLayout.map((d) => d.port))) {
    const port = await freePort();
    portMap.set(simPort, port);
    const server = new modbusSerial.ServerTCP({ getInputRegister: constant, getHoldingRegister: constant, getCoil: bit, getDiscreteInput: bit }, { host: '127.0.0.1', port });
    await new Promise<void>((resolve, reject) => {
      server.once('initialized', () => resolve());
      server.once('serverError', reject);
    });
  }
  layout = simLayout.map((d) => {
    const port = portMap.get(d.port);
    if (port === undefined) throw new Error(`no peer server for the sim's port ${d.port}`);
    return { ...d, port };
  });
}
process.stdout.write(`${JSON.stringify({ startupMs: Date.now() - started, layout })}\n`);
setInterval(() => {}, 1 << 30);
