// `tianzhong` commands for the ingest service.
import type { Command } from 'commander';
import { CliError, fileToCreate, profileDir, requireEnv, serviceOptions } from '../command-kit.ts';
import { untilSignal } from '../signals.ts';

export function registerIngestCommands(program: Command): void {
  serviceOptions(program.command('ingest').description('consume UplinkBatch messages and write them to InfluxDB'), 'tz-ingest')
    .option('--influx-url <url>', 'InfluxDB URL (env INFLUX_URL)', process.env.INFLUX_URL)
    .option('--database <db>', 'InfluxDB database (env INFLUX_DB)', process.env.INFLUX_DB ?? 'tianzhong')
    .option('--dead-letter <file>', 'dead-letter SQLite file', 'var/dead-letter.sqlite')
    .action(async (opts) => {
      if (!opts.influxUrl) throw new CliError('no InfluxDB given: pass --influx-url or set INFLUX_URL (npm start runs a managed influxd for you)');
      const { startIngest } = await import('../../ingest/index.ts');
      const { loadProfiles } = await import('../../device-profiles/index.ts');
      const { createLogger } = await import('../../service-kit/index.ts');
      const running = await startIngest({
        brokerUrl: opts.broker, username: opts.username, password: requireEnv('TZ_MQTT_PASSWORD', 'the MQTT password'),
        influx: { url: opts.influxUrl, database: opts.database, username: process.env.INFLUX_USERNAME, password: process.env.INFLUX_PASSWORD, token: process.env.INFLUX_TOKEN },
        profiles: loadProfiles(profileDir(program)), deadLetterPath: fileToCreate(opts.deadLetter), http: { port: opts.httpPort }, log: createLogger('ingest'),
      });
      console.error(`ingest running (metrics ${running.httpUrl}/metrics)`);
      await untilSignal(() => running.stop());
    });
}
