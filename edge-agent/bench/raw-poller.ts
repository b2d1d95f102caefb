// The benchmark's peer: a bare modbus-serial polling loop over the same
// slaves and the same register blocks as the agent (one request at a time per
// bus, every device once per interval), with no decoding, batching, queue or
// MQTT — the raw limit of polling from Node. Run as a child process:
//   node --import tsx edge-agent/bench/raw-poller.ts <config.yaml> <seconds>
// It prints one JSON line: polls done and failed.
import { readFileSync } from 'node:fs';
import modbusSerial from 'modbus-serial';
import { parse as parseYaml } from 'yaml';
import { loadProfiles, planReads } from '../../device-profiles/index.ts';
import { TzError } from '../../service-kit/index.ts';

const ModbusRTU = modbusSerial.default;
const [, , file, secondsText] = process.argv;
if (file === undefined) throw new TzError('TZ_CONFIG_INVALID', 'usage: raw-poller <agent config.yaml> <seconds>');
const seconds = Number(secondsText);
const config = parseYaml(readFileSync(file, 'utf8')) as { pollIntervalMs: number; devices: Array<{ profile: string; modbus: { host: string; port: number; unitId: number } }> };
const profiles = loadProfiles();
const buses = new Map<string, typeof config.devices>();
for (const d of config.devices) {
  const key = `${d.modbus.host}:${d.modbus.port}`;
  buses.set(key, [...(buses.get(key) ?? []), d]);
}
let polls = 0;
let failures = 0;
const end = Date.now() + seconds * 1000;
await Promise.all([...buses.values()].map(async (devices) => {
  const client = new ModbusRTU();
  client.setTimeout(1000);
  const [first] = devices; // every bus was made for a device
  if (first === undefined) return;
  await client.connectTCP(first.modbus.host, { port: first.modbus.port });
  const plans = devices.map((d) => ({ unitId: d.modbus.unitId, blocks: planReads(profiles.require(d.profile)) }));
  let next = Date.now();
  while (Date.now() < end) {
    for (const p of plans) {
      client.setID(p.unitId);
      try {
        for (const b of p.blocks) {
          if (b.table === 'coil') await client.readCoils(b.start, b.count);
          else if (b.table === 'discrete') await client.readDiscreteInputs(b.start, b.count);
          else if (b.table === 'holding') await client.readHoldingRegisters(b.start, b.count);
          else await client.readInputRegisters(b.start, b.count);
        }
        polls++;
      } catch {
        failures++;
      }
    }
    next += config.pollIntervalMs;
    await new Promise((r) => setTimeout(r, Math.max(0, next - Date.now())));
  }
  client.close(() => undefined);
}));
process.stdout.write(`${JSON.stringify({ polls, failures })}\n`);
