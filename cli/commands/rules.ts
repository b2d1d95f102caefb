// `tianzhong` commands for the rules service.
import type { Command } from 'commander';
import { fileToCreate, profileDir, requireEnv, serviceOptions } from '../command-kit.ts';
import { untilSignal } from '../signals.ts';

export function registerRulesCommands(program: Command): void {
  serviceOptions(program.command('rules').description('evaluate alarm rules, keep alarms and cases, serve the HTTP API'), 'tz-rules')
    .option('--db <file>', 'SQLite file for alarms and cases', 'var/rules.sqlite')
    .action(async (opts) => {
      const { startRules } = await import('../../rules/index.ts');
      const { loadProfiles } = await import('../../device-profiles/index.ts');
      const { createLogger } = await import('../../service-kit/index.ts');
      const running = await startRules({
        brokerUrl: opts.broker, username: opts.username, password: requireEnv('TZ_MQTT_PASSWORD', 'the MQTT password'),
        profiles: loadProfiles(profileDir(program)), dbPath: fileToCreate(opts.db), http: { port: opts.httpPort }, log: createLogger('rules'),
      });
      console.error(`rules running, API at ${running.httpUrl}/api/v1/`);
      await untilSignal(() => running.stop());
    });
}
