import { runSteps, step, TzError, type Maybe, type Steps } from '../../service-kit/index.ts';
import { ASSET_COLUMNS, checkAsset, flattenAsset, type AssetDraft } from '../asset-record.ts';
import { checkDevice, DEVICE_COLUMNS, DEVICE_EXPORT_COLUMNS, flattenDevice, type DeviceDraft } from '../device-record.ts';
import type { FieldProblem } from '../fields.ts';
import { checkGateway, flattenGateway, GATEWAY_COLUMNS, type GatewayDraft } from '../gateway-record.ts';
import type { Position } from '../model.ts';
import { deviceWriteProblem } from '../device-write.ts';
import type { DeviceBatch, RegistryImportTx, RegistryStore, WriteOutcome } from '../registry-store.ts';
import type { SqliteRegistryStore } from '../store.ts';
import { readCsv, writeCsv } from './csv.ts';
import { readGeoJson, writeGeoJson } from './geojson.ts';
import { sortProblems, type ImportReport, type RecordKind, type RowProblem, type SourceFile, type SourceRecord } from './report.ts';

// Bulk import: read the file, check every record against the registry as it
// is inside one transaction, then — only when nothing is wrong, or when the
// caller asked to apply the valid rows — write them in the same transaction.
// A record identical to what is stored is left alone, so importing the same
// file twice changes nothing the second time.

export type ImportFormat = 'csv' | 'geojson';

export interface ImportOptions {
  kind: RecordKind;
  format: ImportFormat;
  text: string;
  /** Write the valid records even when others have problems (default: a file with any problem writes nothing). */
  applyValid?: boolean;
  /** Who imports (kept in the device lifecycle history). */
  by: string;
  /** Called every few hundred records and at the end of each phase. */
  progress?: (phase: 'checking' | 'writing', done: number, total: number) => void;
}

const REQUIRED: Record<RecordKind, readonly string[]> = { devices: ['id', 'class', 'gatewayId', 'transport'], assets: ['id', 'kind'], gateways: ['id'] };
const COLUMNS: Record<RecordKind, readonly string[]> = { devices: DEVICE_COLUMNS, assets: ASSET_COLUMNS, gateways: GATEWAY_COLUMNS };
const PROGRESS_EVERY = 500;

export function readSource(kind: RecordKind, format: ImportFormat, text: string): SourceFile {
  // GeoJSON properties are checked per record (an unknown property is a problem there).
  return format === 'csv' ? readCsv(text, COLUMNS[kind], REQUIRED[kind]) : readGeoJson(text);
}

interface Checked<D> {
  row: number;
  draft?: D;
  problems: FieldProblem[];
}

/** Imports one file; see ImportOptions. Throws only for a broken store, never for bad rows. SQLite answers at once; PostgreSQL with a Promise. */
export function importFile(store: SqliteRegistryStore, options: ImportOptions): ImportReport;
export function importFile(store: RegistryStore, options: ImportOptions): Maybe<ImportReport>;
export function importFile(store: RegistryStore, options: ImportOptions): Maybe<ImportReport> {
  const source = readSource(options.kind, options.format, options.text);
  return store.importTransaction((tx) => importSteps(tx, source, options));
}

function* importSteps(tx: RegistryImportTx, source: SourceFile, options: ImportOptions): Steps<ImportReport> {
  const progress = options.progress ?? (() => undefined);
  // Devices: the stored rows of the file's ids (and the assets it names) read once, written as one batch.
  const batch = options.kind === 'devices'
    ? yield* step(tx.deviceBatch(source.records.map((r) => recordId(r)), [...new Set(source.records.map((r) => assetIdOf(r)).filter((a) => a !== ''))]))
    : undefined;
  const parents = options.kind === 'assets' ? yield* step(tx.assetParents()) : undefined;
  const checked = checkAll(options.kind, source.records, progress, batch, parents);
  const problems: RowProblem[] = [...source.problems];
  for (const c of checked) for (const p of c.problems) problems.push({ row: c.row, column: p.column, problem: p.problem });
  const valid = checked.filter((c) => c.draft !== undefined && c.problems.length === 0);
  const report: ImportReport = {
    kind: options.kind, rows: source.rows, valid: valid.length, invalid: source.rows - valid.length,
    problems: sortProblems(problems), applied: false, created: 0, updated: 0, unchanged: 0,
  };
  if (problems.length > 0 && !options.applyValid) return report;
  // File-level problems (header, not CSV) leave no records to apply.
  report.applied = true;
  const tick = (done: number) => {
    if (done % PROGRESS_EVERY === 0) progress('writing', done, valid.length);
  };
  let outcomes: WriteOutcome[];
  if (batch) outcomes = yield* step(batch.writeAll(valid.map((c) => c.draft as DeviceDraft), options.by, 'import', tick));
  else if (options.kind === 'assets') outcomes = yield* step(tx.writeAssets(valid.map((c) => c.draft as AssetDraft), tick));
  else outcomes = yield* step(tx.writeGateways(valid.map((c) => c.draft as GatewayDraft), tick));
  for (const o of outcomes) report[o] += 1;
  progress('writing', valid.length, valid.length);
  return report;
}

/** The asset a device record names ('' when none). */
function assetIdOf(r: SourceRecord): string {
  return typeof r.fields.assetId === 'string' ? r.fields.assetId.trim() : '';
}

/** A record's id as the duplicate check and the batch read see it ('' when it has none). */
function recordId(r: SourceRecord): string {
  return typeof r.fields.id === 'string' ? r.fields.id.trim() : typeof r.fields.id === 'number' ? String(r.fields.id) : '';
}

function checkAll(kind: RecordKind, records: SourceRecord[], progress: NonNullable<ImportOptions['progress']>, batch: DeviceBatch | undefined, stored: ReadonlyMap<string, string | null> | undefined): Array<Checked<unknown>> {
  const firstRow = new Map<string, number>();
  const out: Array<Checked<unknown>> = [];
  const duplicate = (r: SourceRecord): FieldProblem | null => {
    const id = recordId(r);
    if (id === '') return null;
    const first = firstRow.get(id);
    if (first !== undefined) return { column: 'id', problem: `duplicate id (first on row ${first})` };
    firstRow.set(id, r.row);
    return null;
  };
  const tick = (i: number) => {
    if ((i + 1) % PROGRESS_EVERY === 0) progress('checking', i + 1, records.length);
  };

  if (kind === 'assets') {
    // A parent may be in the file (anywhere) or stored; the file's value wins.
    const fileParents = new Map<string, string | null>();
    for (const r of records) {
      const id = typeof r.fields.id === 'string' ? r.fields.id.trim() : '';
      const parent = typeof r.fields.parentAssetId === 'string' && r.fields.parentAssetId.trim() !== '' ? r.fields.parentAssetId.trim() : null;
      if (id && !fileParents.has(id)) fileParents.set(id, parent);
    }
    const parentOf = (id: string): string | null | undefined => (fileParents.has(id) ? fileParents.get(id) : stored?.get(id));
    records.forEach((r, i) => {
      const dup = duplicate(r);
      const { draft, problems } = checkAsset(r.fields, { parentOf });
      if (dup) problems.unshift(dup);
      out.push({ row: r.row, draft, problems });
      tick(i);
    });
    // A child of a refused record cannot be written either (its parent would not exist); parents first.
    const refused = new Set(out.filter((c) => c.problems.length > 0).map((c) => c.row));
    for (let changed = true; changed;) {
      changed = false;
      for (const c of out) {
        if (refused.has(c.row) || !c.draft) continue;
        const parent = (c.draft as AssetDraft).parentAssetId;
        const parentRow = parent === null ? undefined : firstRow.get(parent);
        if (parentRow !== undefined && refused.has(parentRow)) {
          c.problems.push({ column: 'parentAssetId', problem: `parent ${parent} is on row ${parentRow}, which has problems` });
          refused.add(c.row);
          changed = true;
        }
      }
    }
    progress('checking', records.length, records.length);
    return orderParentsFirst(out);
  }

  const deviceContext = kind === 'devices' ? batch?.context : undefined;
  records.forEach((r, i) => {
    const dup = duplicate(r);
    let result: { draft?: unknown; problems: FieldProblem[] };
    if (deviceContext) {
      const device = checkDevice(r.fields, deviceContext);
      const stateProblem = device.draft ? deviceWriteProblem(device.draft, deviceContext) : null;
      if (stateProblem) device.problems.push(stateProblem);
      result = device;
    } else result = checkGateway(r.fields);
    if (dup) result.problems.unshift(dup);
    out.push({ row: r.row, draft: result.draft, problems: result.problems });
    tick(i);
  });
  progress('checking', records.length, records.length);
  return out;
}

/** Assets ordered so that every parent in the file comes before its children. */
function orderParentsFirst(list: Array<Checked<unknown>>): Array<Checked<unknown>> {
  const byId = new Map(list.filter((c) => c.draft).map((c) => [(c.draft as AssetDraft).id, c]));
  const placed = new Set<Checked<unknown>>();
  const ordered: Array<Checked<unknown>> = [];
  const place = (c: Checked<unknown>, depth: number) => {
    if (placed.has(c) || depth > byId.size) return;
    const parent = (c.draft as AssetDraft | undefined)?.parentAssetId;
    const parentRecord = parent ? byId.get(parent) : undefined;
    if (parentRecord) place(parentRecord, depth + 1);
    placed.add(c);
    ordered.push(c);
  };
  for (const c of list) place(c, 0);
  return ordered;
}

// ---------------------------------------------------------------- export

export interface ExportOptions {
  kind: RecordKind;
  format: ImportFormat;
}

/** The registry's records of one kind as CSV or GeoJSON, in the import columns (never LoRa keys): re-importing the export changes nothing. */
export function exportFile(store: SqliteRegistryStore, options: ExportOptions): string;
export function exportFile(store: RegistryStore, options: ExportOptions): Maybe<string>;
export function exportFile(store: RegistryStore, options: ExportOptions): Maybe<string> {
  return runSteps(exportSteps(store, options));
}

function* exportSteps(store: RegistryStore, options: ExportOptions): Steps<string> {
  let rows: Array<{ position: Position | null; properties: Record<string, unknown> }>;
  let columns: readonly string[];
  if (options.kind === 'devices') {
    // Discovered devices are not registered records (no transport): they are listed by `devices list --state discovered`.
    rows = (yield* step(store.listDevices())).filter((d) => d.state !== 'discovered').map((d) => ({ position: d.position, properties: flattenDevice(d) }));
    columns = DEVICE_EXPORT_COLUMNS;
  } else if (options.kind === 'assets') {
    rows = (yield* step(store.listAssets())).map((a) => ({ position: a.position, properties: flattenAsset(a) }));
    columns = ASSET_COLUMNS;
  } else {
    rows = (yield* step(store.listGateways())).map((g) => ({ position: g.position, properties: flattenGateway(g) }));
    columns = GATEWAY_COLUMNS;
  }
  if (options.format === 'csv') return writeCsv(rows.map((r) => r.properties), columns);
  if (options.format === 'geojson') return writeGeoJson(rows);
  throw new TzError('TZ_REQUEST_INVALID', `unknown export format ${String(options.format)} (csv or geojson)`);
}
