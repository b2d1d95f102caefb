// What an import says back: one line per problem (row, column, problem) and
// what it did. A file with any problem applies nothing unless asked to apply
// the valid rows.

export type RecordKind = 'devices' | 'assets' | 'gateways';

/** One problem in an import file. `row` is the spreadsheet row (the CSV header is row 1) or the GeoJSON feature number (from 1); 0 for the file as a whole. */
export interface RowProblem {
  row: number;
  column: string;
  problem: string;
}

/** One record read from a file, before it is checked. */
export interface SourceRecord {
  row: number;
  fields: Record<string, unknown>;
}

/** A file read into records, with the problems of the file itself (header, shape). */
export interface SourceFile {
  /** Data records in the file, including those too broken to read (a row with the wrong number of cells). */
  rows: number;
  records: SourceRecord[];
  problems: RowProblem[];
}

export interface ImportReport {
  kind: RecordKind;
  /** Records in the file. */
  rows: number;
  /** Records without problems. */
  valid: number;
  /** Records with at least one problem (never written). */
  invalid: number;
  /** Every problem, in file order (row, then column order). */
  problems: RowProblem[];
  /** False when the file had problems and applying the valid rows was not asked for: nothing was written. */
  applied: boolean;
  created: number;
  updated: number;
  unchanged: number;
}

export function sortProblems(problems: RowProblem[]): RowProblem[] {
  return problems.map((p, i) => ({ p, i })).sort((a, b) => a.p.row - b.p.row || a.i - b.i).map(({ p }) => p);
}

/** The report for people: a summary line, then the problems (the first `limit`). */
export function formatReport(report: ImportReport, limit = 200): string {
  const lines: string[] = [];
  const what = report.applied
    ? `${report.created} created, ${report.updated} updated, ${report.unchanged} unchanged`
    : 'nothing applied';
  lines.push(`${report.kind}: ${report.rows} rows, ${report.valid} valid, ${report.invalid} with problems — ${what}`);
  for (const p of report.problems.slice(0, limit)) lines.push(`  row ${p.row}, ${p.column}: ${p.problem}`);
  if (report.problems.length > limit) lines.push(`  … and ${report.problems.length - limit} more problems (--json lists them all)`);
  if (!report.applied && report.problems.length > 0) lines.push('fix the rows above and import again, or apply only the valid rows with --apply-valid');
  return lines.join('\n');
}
