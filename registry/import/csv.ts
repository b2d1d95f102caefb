import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import type { RowProblem, SourceFile } from './report.ts';

// CSV in and out (csv-parse, csv-stringify). The header names the columns
// (the flat record's keys, any order; unknown ones are a problem). Rows are
// numbered as a spreadsheet shows them: the header is row 1.

export function readCsv(text: string, columns: readonly string[], required: readonly string[]): SourceFile {
  const problems: RowProblem[] = [];
  let rows: string[][];
  try {
    rows = parse(text, { bom: true, relax_column_count: true, skip_empty_lines: false }) as string[][];
  } catch (err) {
    const e = err as Error & { lines?: number };
    return { rows: 0, records: [], problems: [{ row: e.lines ?? 0, column: '', problem: `not valid CSV: ${e.message}` }] };
  }
  const header = (rows[0] ?? []).map((h) => h.trim());
  if (header.length === 0 || header.every((h) => h === '')) return { rows: 0, records: [], problems: [{ row: 1, column: '', problem: `no header row (columns: ${columns.join(', ')})` }] };
  const seen = new Set<string>();
  for (const h of header) {
    if (!columns.includes(h)) problems.push({ row: 1, column: h, problem: `unknown column (known: ${columns.join(', ')})` });
    else if (seen.has(h)) problems.push({ row: 1, column: h, problem: 'column appears twice' });
    seen.add(h);
  }
  for (const c of required) if (!seen.has(c)) problems.push({ row: 1, column: c, problem: 'required column missing' });
  if (problems.length > 0) return { rows: rows.length - 1, records: [], problems };
  const records = [];
  let count = 0;
  for (const [i, cells] of rows.entries()) {
    if (i === 0) continue; // the header
    if (cells.every((c) => c.trim() === '')) continue; // blank line
    const row = i + 1;
    count += 1;
    if (cells.length !== header.length) {
      problems.push({ row, column: '', problem: `${cells.length} cells, the header has ${header.length}` });
      continue;
    }
    const fields: Record<string, unknown> = {};
    header.forEach((h, j) => { fields[h] = cells[j]; });
    records.push({ row, fields });
  }
  return { rows: count, records, problems };
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(';');
  if (typeof value === 'object') return Object.entries(value as Record<string, unknown>).map(([k, v]) => `${k}=${String(v)}`).join(';');
  return String(value);
}

export function writeCsv(records: ReadonlyArray<Record<string, unknown>>, columns: readonly string[]): string {
  return stringify(records.map((r) => columns.map((c) => cell(r[c]))), { header: true, columns: [...columns] });
}
