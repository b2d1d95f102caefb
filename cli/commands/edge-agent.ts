// `tianzhong` commands for the gateway edge agent.
import type { Command } from 'commander';
import { profileDir } from '../command-kit.ts';
import { untilSignal } from '../signals.ts';
import { simulatedOrWallClock } from '../sim-clock-option.ts';

export function registerEdgeAgentCommands(program: Command): void {
  const cmd = program
    .command('edge-agent')
    .description('run a gateway agent from its YAML config (password from the file or env TZ_GATEWAY_PASSWORD); SIGHUP reloads the config')
    .option('--config <file>', 'gateway config YAML (see `edge-agent config-template`)')
    .option('--sim-clock <start@speed[@anchorMs]>', 'a compressed run on a simulated clock (env TZ_SIM_CLOCK; never in production: readings are stamped with it, polling keeps wall time)')
    .action(async (opts: { config?: string; simClock?: string }) => {
      const { CliError } = await import('../command-kit.ts');
      if (!opts.config) throw new CliError('edge-agent needs --config <file>; `tianzhong edge-agent config-template > gw.yaml` prints a commented example');
      const { loadEdgeAgentConfig, startEdgeAgent } = await import('../../edge-agent/index.ts');
      const { loadProfiles, BUILTIN_PROFILE_DIR } = await import('../../device-profiles/index.ts');
      const { createLogger, toError } = await import('../../service-kit/index.ts');
      const file = opts.config;
      const log = createLogger('edge-agent');
      const dir = profileDir(program);
      const config = loadEdgeAgentConfig(file, process.env);
      const readingClock = await simulatedOrWallClock(opts.simClock);
      const running = await startEdgeAgent(config, { profiles: loadProfiles(dir), profileDir: dir ?? BUILTIN_PROFILE_DIR, log, readingClock });
      console.error(`edge agent ${config.gatewayId}: ${config.devices.length} devices (metrics ${running.httpUrl}/metrics${running.loraAddress ? `, LoRa udp ${running.loraAddress.host}:${running.loraAddress.port}` : ''}); kill -HUP ${process.pid} reloads ${file}`);
      // SIGHUP: re-read and apply; a bad file is logged and the running config stays.
      let reloading = Promise.resolve();
      process.on('SIGHUP', () => {
        reloading = reloading.then(async () => {
          try {
            await running.reload(loadEdgeAgentConfig(file, process.env));
            console.error(`reloaded ${file}`);
          } catch (err) {
            log.error({ err: toError(err).message, file }, 'config reload refused; still running the previous config');
          }
        });
      });
      await untilSignal(async () => {
        await reloading;
        await running.stop();
      });
    });
  cmd
    .command('config-template')
    .description('print a commented example gateway config with every key and its default')
    .action(async () => {
      const { CONFIG_TEMPLATE } = await import('../../edge-agent/index.ts');
      process.stdout.write(CONFIG_TEMPLATE);
    });
}
