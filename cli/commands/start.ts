// `tianzhong` commands for the whole pipeline with a simulated city.
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { int, profileDir } from '../command-kit.ts';

export function registerStartCommands(program: Command): void {
  program
    .command('start')
    .description('run the whole pipeline with a simulated district (managed influxd unless INFLUX_URL is set)')
    .option('--devices <n>', 'simulated devices', int(4, 20_000), 200)
    .option('--seed <n>', 'simulation seed', int(0, 2 ** 31), 1)
    .option('--poll <ms>', 'edge agent poll interval, ms', int(200, 3_600_000), 5000)
    .option('--fault-after <s>', 'seconds until the scripted fault (a manhole cover opened); 0 = none', int(0, 86_400), 20)
    .option('--mqtt-port <port>', 'MQTT port (0 = a free port)', int(0, 65535), 0)
    .option('--status-port <port>', 'port of the pipeline status API (0 = a free port)', int(0, 65535), 0)
    .option('--var <dir>', 'folder for InfluxDB data, SQLite files', 'var')
    .option('--json', 'print pipeline counters as one JSON line every 10 s')
    .option('--sim-clock <spec>', 'run the whole stack on one simulated clock, <start>@<speed>[@<wallAnchorMs>], e.g. 2026-11-01T00:00@60 (else TZ_SIM_CLOCK); needs a --var folder of its own')
    .action(async (opts) => {
      // Imported when run: the stack loads every room, which no other command (the edge agent above all) should carry.
      const { runStart } = await import('../start-command.ts');
      await runStart({
        devices: opts.devices, seed: opts.seed, pollIntervalMs: opts.poll, faultAfterSeconds: opts.faultAfter,
        mqttPort: opts.mqttPort, statusPort: opts.statusPort, varDir: resolve(opts.var), json: Boolean(opts.json), profileDir: profileDir(program),
        ...(typeof opts.simClock === 'string' ? { simClock: opts.simClock } : {}),
      });
    });
}
