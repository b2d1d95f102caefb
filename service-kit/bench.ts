// The benchmark contract. Each room keeps its benchmarks in
// `<room>/bench/<name>.bench.ts`, exporting `bench: Bench`; `npm run bench`
// finds them, runs them one after another and rewrites each one's section of
// BENCHMARKS.md (between `<!-- bench:name -->` markers), so benchmarks can be
// re-run one at a time: `npm run bench -- <name>`.
import { readFileSync } from 'node:fs';

export interface BenchContext {
  /** A smoke run: fewer iterations, smaller loads (checks the bench still works). */
  quick: boolean;
  /** Progress for long runs, shown on stderr. */
  progress(message: string): void;
}

export interface Bench {
  /** Short id used on the command line and in the markers, e.g. `broker-throughput`. */
  name: string;
  /** Section heading. */
  title: string;
  /**
   * Runs the benchmark and returns the section body in Markdown: what was
   * measured, the peer measured in the same run, a table and the ratios.
   */
  run(ctx: BenchContext): Promise<string>;
}

/** A Markdown table; cells are written as given. */
export function markdownTable(header: string[], rows: string[][]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

/** Clock ticks per second of /proc/<pid>/stat's times (USER_HZ, 100 on Linux). */
const USER_HZ = 100;

/** CPU seconds (user + system) a process (or one of its threads) has used so far, from /proc (Linux); throws when it is gone. */
export function processCpuSeconds(pid: number | 'self', thread?: number | string): number {
  const stat = readFileSync(thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`, 'utf8');
  // The fields after the command name (which may hold spaces and parentheses) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / USER_HZ; // utime (14) + stime (15)
}

/** Resident memory of another process in MiB, from /proc (Linux). */
export function processRssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : 0;
}
