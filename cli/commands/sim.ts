// `tianzhong` commands for the simulated city.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { stringify as toYaml } from 'yaml';
import { int, profileDir } from '../command-kit.ts';
import { untilSignal } from '../signals.ts';

export function registerSimCommands(program: Command): void {
  program
    .command('sim')
    .description('run a simulated district of Modbus TCP devices; optionally write the matching gateway config')
    .option('--devices <n>', 'devices', int(4, 20_000), 200)
    .option('--seed <n>', 'seed', int(0, 2 ** 31), 1)
    .option('--write-config <file>', 'write an edge-agent config for these devices')
    .option('--gateway-id <id>', 'gateway id for the written config', 'gw-0001')
    .option('--broker <url>', 'broker URL for the written config', 'mqtt://127.0.0.1:1883')
    .action(async (opts) => {
      const { startSimulatedDistrict } = await import('../../firmware-sim/index.ts');
      const { loadProfiles } = await import('../../device-profiles/index.ts');
      const sim = await startSimulatedDistrict({ profiles: loadProfiles(profileDir(program)), devices: opts.devices, seed: opts.seed });
      const buses = new Set(sim.devices.map((d) => `${d.host}:${d.port}`));
      console.error(`simulating ${sim.devices.length} devices on ${buses.size} Modbus TCP buses: ${[...buses].join(', ')}`);
      if (opts.writeConfig) {
        const config = {
          gatewayId: opts.gatewayId, brokerUrl: opts.broker, username: opts.gatewayId,
          devices: sim.devices.map((d) => ({ deviceId: d.deviceId, profile: d.profile, district: d.district, modbus: { host: d.host, port: d.port, unitId: d.unitId } })),
        };
        writeFileSync(opts.writeConfig, `# written by tianzhong sim; the password comes from TZ_GATEWAY_PASSWORD\n${toYaml(config)}`);
        console.error(`wrote ${opts.writeConfig}`);
      }
      await untilSignal(() => sim.stop());
    });
}
