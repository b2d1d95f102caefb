// `tianzhong bench`: run the benchmarks (every `<room>/bench/*.bench.ts`).
import type { Command } from 'commander';
import { resolve } from 'node:path';
import { runBench } from '../bench-command.ts';

export function registerBenchCommands(program: Command): void {
  program
    .command('bench [names...]')
    .description('run the benchmarks (all, or those named) and rewrite their sections of BENCHMARKS.md')
    .option('--out <file>', 'report file', 'BENCHMARKS.md')
    .option('--quick', 'fewer iterations (a smoke run)')
    .action(async (names: string[], opts) => {
      await runBench({ out: resolve(opts.out), quick: Boolean(opts.quick), only: names ?? [] });
    });
}
