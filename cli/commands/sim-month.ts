// `tianzhong sim month`: 驻马店 for a month through the real stack on one
// simulated clock (cli/city-month): prints the month's KPIs from the audit
// trail and can write the monthly report.
import type { Command } from 'commander';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CliError, fileToCreate, int } from '../command-kit.ts';

export function registerSimMonthCommand(program: Command): void {
  const sim = program.commands.find((c) => c.name() === 'sim');
  if (!sim) throw new CliError('the sim command must be registered before sim month');
  sim
    .command('month')
    .description('a month of 驻马店 (September 2027) through the real stack on one simulated clock: weather, vandalism, failures, citizens, inspectors and crews; prints the KPIs (30 days in about 12 min at 3600×)')
    .option('--days <n>', 'simulated days (1–30)', int(1, 30), 30)
    .option('--speed <k>', 'simulated seconds per wall second', int(60, 20_000), 3600)
    .option('--seed <n>', 'seed: the same seed gives the same street, people and delays', int(0, 2 ** 31), 17)
    .option('--devices <n>', 'simulated street devices', int(60, 2000), 80)
    .option('--var <dir>', 'a fresh folder for this run\'s stores (marked with the simulated clock)', join('var', 'city-month'))
    .option('--json <file>', 'write the whole result (KPIs, monthly report, people, pipeline) as JSON')
    .action(async (opts: { days: number; speed: number; seed: number; devices: number; var: string; json?: string }) => {
      const { runCityMonth, monthSummary } = await import('../city-month/month-run.ts');
      const influxUrl = process.env.INFLUX_URL;
      const result = await runCityMonth({
        varDir: opts.var, days: opts.days, speed: opts.speed, seed: opts.seed, devices: opts.devices,
        ...(influxUrl ? { influx: { url: influxUrl, database: process.env.INFLUX_DB ?? 'tianzhong_sim' } } : {}),
        progress: (line) => console.error(line),
      });
      for (const line of monthSummary(result)) console.log(line);
      if (opts.json) writeFileSync(fileToCreate(opts.json), `${JSON.stringify(result, null, 1)}\n`);
    });
}
