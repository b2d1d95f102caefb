// `tianzhong` commands for the gateway edge agent.
import type { Command } from 'commander';
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CliError, profileDir } from '../command-kit.ts';
import { untilSignal } from '../signals.ts';

export function registerEdgeAgentCommands(program: Command): void {
  program
    .command('edge-agent')
    .description('run a gateway agent from its YAML config (password from the file or env TZ_GATEWAY_PASSWORD)')
    .requiredOption('--config <file>', 'gateway config YAML')
    .action(async (opts) => {
      const { parseEdgeAgentConfig, startEdgeAgent } = await import('../../edge-agent/index.ts');
      const { loadProfiles } = await import('../../device-profiles/index.ts');
      const { createLogger } = await import('../../service-kit/index.ts');
      let raw: unknown;
      try {
        raw = parseYaml(readFileSync(opts.config, 'utf8'));
      } catch (err) {
        throw new CliError(`cannot read ${opts.config}: ${(err as Error).message}`);
      }
      if (raw && typeof raw === 'object' && !('password' in raw) && process.env.TZ_GATEWAY_PASSWORD) (raw as Record<string, unknown>).password = process.env.TZ_GATEWAY_PASSWORD;
      const config = parseEdgeAgentConfig(raw, opts.config);
      const running = await startEdgeAgent(config, { profiles: loadProfiles(profileDir(program)), log: createLogger('edge-agent') });
      console.error(`edge agent ${config.gatewayId} polling ${config.devices.length} devices (metrics ${running.httpUrl}/metrics)`);
      await untilSignal(() => running.stop());
    });
}
