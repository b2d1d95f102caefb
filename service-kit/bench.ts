// The benchmark contract. Each room keeps its benchmarks in
// `<room>/bench/<name>.bench.ts`, exporting `bench: Bench`; `npm run bench`
// finds them, runs them one after another and rewrites each one's section of
// BENCHMARKS.md (between `<!-- bench:name -->` markers), so benchmarks can be
// re-run one at a time: `npm run bench -- <name>`.

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
