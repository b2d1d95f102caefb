import pg from 'pg';
import { Counter, type Registry } from 'prom-client';
import { createLogger, runSteps, systemClock, TzError, type Clock, type Logger, type Steps } from '../service-kit/index.ts';
import { openPgPool, type PgStoreOptions, PgParams, inPgTransaction, migratePostgres, pgTroubleOf, pgUnavailable, type PgQuery, type PgTransactionContext } from '../service-kit/postgres.ts';
import { checkAsset, flattenAsset, type AssetDraft } from './asset-record.ts';
import { checkDevice, flattenDevice, type DeviceCheckContext, type DeviceDraft } from './device-record.ts';
import {
  acceptedState, assetWriteState, DEVICE_VALUE_COLUMNS, deviceCheckContextOf, devicePatchBase, deviceValueList, discoveredDeviceValues, gatewayWriteState, invalid, notFound,
  planDeviceWrite, recordIdOf, type DeviceValues,
} from './device-write.ts';
import { checkGateway, flattenGateway, type GatewayDraft } from './gateway-record.ts';
import { transitionProblem } from './lifecycle.ts';
import type { RegistryKey } from './lora-keys.ts';
import type {
  Asset, AssetFilter, DeviceFilter, Gateway, GatewayFilter, LifecycleEvent, LifecycleState, LoraKeys, RegisteredDevice,
} from './model.ts';
import { POSTGRES_REGISTRY_MIGRATIONS } from './registry-schema.ts';
import type {
  DeviceBatch, DeviceBindingRow, ProfileSource, RegistryImportTx, RegistryStore, RegistryStoreOptions, ReportOutcome, WriteOutcome,
} from './registry-store.ts';
import { toAsset, toDevice, toGateway, type AssetRow, type DeviceRow, type GatewayRow } from './rows.ts';

// The registry on PostgreSQL (issue 20): the rules services' API, every
// ingest's discovery notes, the centre and the CLI share one database.
// - The revision counter is one row: a device write takes its row lock when
//   it bumps it and keeps it to COMMIT, so revisions become visible in the
//   order they were given — a reader (ingest's binding, the centre, in any
//   process) that has seen revision n never later meets a commit below n.
// - A write reads the device rows it changes FOR UPDATE; two writers of one
//   new id meet the primary key and the loser runs again (a conflict), then
//   sees the row.
// - An import is one transaction; its rows go in as one INSERT … SELECT FROM
//   unnest(column arrays) … ON CONFLICT DO UPDATE per 5,000 rows.
// - LoRa keys are sealed (AES-256-GCM, device id as associated data) before
//   they leave this process, exactly as in SQLite: BYTEA, never plain.

/**
 * Tables in the schema tz_registry; defaults: pool 5, statements 60 s (an
 * import's statements carry 5,000 rows), connect 5 s; counters
 * `tz_registry_store_retries_total`, `tz_registry_store_unavailable_total`.
 */
export interface PostgresRegistryStoreOptions extends RegistryStoreOptions, PgStoreOptions {
  /** Times a transaction runs again after a conflict or a connection lost before COMMIT (default 8). */
  maxRetries?: number;
}

const SCHEMA = 'tz_registry';
/** Serialization failure, deadlock, a unique key another writer took first: running again can succeed. */
const CONFLICT_CODES = new Set(['40001', '40P01', '23505']);
/** Rows per multi-row statement (65,535 parameters is PostgreSQL's limit; unnest takes one per column). */
const CHUNK = 5_000;
const DEVICE_COLUMN_TYPES: Record<(typeof DEVICE_VALUE_COLUMNS)[number], string> = {
  id: 'text', class: 'text', gateway_id: 'text', transport: 'text', lora_keys: 'bytea', poll_interval_s: 'int4', deadbands: 'text', lat: 'float8', lon: 'float8',
  address: 'text', district: 'text', grid_cell: 'text', asset_id: 'text', vendor: 'text', model: 'text', serial: 'text', firmware: 'text', installed_on: 'text',
  state: 'text', tags: 'text',
};
const ASSET_COLUMNS = ['id', 'kind', 'name', 'parent_asset_id', 'lat', 'lon', 'address', 'district', 'grid_cell', 'state', 'tags'] as const;
const ASSET_TYPES = ['text', 'text', 'text', 'text', 'float8', 'float8', 'text', 'text', 'text', 'text', 'text'];
const GATEWAY_COLUMNS = ['id', 'name', 'lat', 'lon', 'address', 'district', 'auto_accept', 'state', 'tags'] as const;
const GATEWAY_TYPES = ['text', 'text', 'float8', 'float8', 'text', 'text', 'int4', 'text', 'text'];

interface StoreMetrics { retries: Counter<'reason'>; unavailable: Counter }

function storeMetrics(registry: Registry | undefined): StoreMetrics {
  const registers = registry ? [registry] : [];
  return {
    retries: new Counter({ name: 'tz_registry_store_retries_total', help: 'Registry store transactions run again, by reason (conflict: serialization, deadlock or unique key; connection: lost before COMMIT)', labelNames: ['reason'], registers }),
    unavailable: new Counter({ name: 'tz_registry_store_unavailable_total', help: 'Registry store operations given up as TZ_STORE_UNAVAILABLE (server away or busy, connection lost during COMMIT)', registers }),
  };
}

function filterSql(p: PgParams, equal: Array<[column: string, value: string | undefined]>, tag: string | undefined): string {
  const parts: string[] = [];
  for (const [column, value] of equal) if (value !== undefined) parts.push(`${column} = ${p.add(value)}`);
  if (tag !== undefined) parts.push(`(tags::jsonb) ? ${p.add(tag)}`);
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

function pageSql(filter: { limit?: number; offset?: number }): string {
  return filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))} OFFSET ${Math.max(0, Math.floor(filter.offset ?? 0))}` : '';
}

/** `INSERT INTO table (columns…) SELECT … FROM unnest($1::type[], …)`: one parameter per column, whatever the number of rows. */
function unnestInsert(table: string, columns: readonly string[], types: readonly string[], extra: string, conflict: string): string {
  const arrays = columns.map((_, i) => `$${i + 1}::${types[i] ?? 'text'}[]`).join(', ');
  return `INSERT INTO ${table} (${columns.join(', ')}${extra ? `, ${extra}` : ''}) SELECT *${extra ? `, ${extra.split(', ').map((_, i) => `$${columns.length + i + 1}`).join(', ')}` : ''} FROM unnest(${arrays}) ${conflict}`;
}

/** Column arrays of rows (row-major in, column-major out). */
function columnsOf(rows: readonly unknown[][], width: number): unknown[][] {
  const out: unknown[][] = Array.from({ length: width }, () => []);
  for (const row of rows) for (let i = 0; i < width; i++) out[i]?.push(row[i] ?? null);
  return out;
}

const DEVICE_UPSERT_SQL = (() => {
  const cols = DEVICE_VALUE_COLUMNS;
  const arrays = cols.map((c, i) => `$${i + 1}::${DEVICE_COLUMN_TYPES[c]}[]`).join(', ');
  const n = cols.length;
  return `INSERT INTO devices (${cols.join(', ')}, revision, created_at, updated_at)
    SELECT u.*, $${n + 2}::text, $${n + 2}::text FROM unnest(${arrays}, $${n + 1}::int8[]) AS u
    ON CONFLICT (id) DO UPDATE SET ${cols.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`).join(', ')}, revision = excluded.revision, updated_at = excluded.updated_at`;
})();
const ASSET_UPSERT_SQL = unnestInsert('assets', ASSET_COLUMNS, ASSET_TYPES, 'created_at, updated_at',
  `ON CONFLICT (id) DO UPDATE SET ${ASSET_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`).join(', ')}, updated_at = excluded.updated_at`);
const GATEWAY_UPSERT_SQL = unnestInsert('gateways', GATEWAY_COLUMNS, GATEWAY_TYPES, 'created_at, updated_at',
  `ON CONFLICT (id) DO UPDATE SET ${GATEWAY_COLUMNS.filter((c) => c !== 'id').map((c) => `${c} = excluded.${c}`).join(', ')}, updated_at = excluded.updated_at`);

interface Deps { profiles: ProfileSource; key: RegistryKey | null; now: () => string }

/** The registry's statements over one connection (a transaction) or the pool. */
class PgRegistryParts {
  constructor(protected readonly q: PgQuery, protected readonly deps: Deps) {}

  protected async one<R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R | undefined> {
    return (await this.q<R>(sql, values)).rows[0];
  }

  protected async many<R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<R[]> {
    return (await this.q<R>(sql, values)).rows;
  }

  async revision(): Promise<number> {
    const row = await this.one<{ value: number }>(`SELECT value FROM registry_meta WHERE key = 'revision'`);
    if (!row) throw new TzError('TZ_INTERNAL', 'registry: the revision counter is missing');
    return row.value;
  }

  async changesSince(revision: number): Promise<DeviceBindingRow[]> {
    const rows = await this.many<{ id: string; gateway_id: string; state: LifecycleState; district: string | null; revision: number }>(
      'SELECT id, gateway_id, state, district, revision FROM devices WHERE revision > $1 ORDER BY revision', [revision]);
    return rows.map((r) => ({ id: r.id, gatewayId: r.gateway_id, state: r.state, district: r.district, revision: r.revision }));
  }

  async getDevice(id: string): Promise<RegisteredDevice | undefined> {
    const row = await this.one<DeviceRow & pg.QueryResultRow>('SELECT * FROM devices WHERE id = $1', [id]);
    return row && toDevice(row);
  }

  protected async mustDevice(id: string): Promise<RegisteredDevice> {
    const device = await this.getDevice(id);
    if (!device) throw notFound('device', id);
    return device;
  }

  private deviceWhere(p: PgParams, filter: DeviceFilter): string {
    return filterSql(p, [
      ['gateway_id', filter.gatewayId], ['class', filter.class], ['district', filter.district], ['grid_cell', filter.gridCell], ['state', filter.state], ['asset_id', filter.assetId],
    ], filter.tag);
  }

  async listDevices(filter: DeviceFilter = {}): Promise<RegisteredDevice[]> {
    const p = new PgParams();
    const rows = await this.many<DeviceRow & pg.QueryResultRow>(`SELECT * FROM devices ${this.deviceWhere(p, filter)} ORDER BY id${pageSql(filter)}`, p.values);
    return rows.map(toDevice);
  }

  async countDevices(filter: DeviceFilter = {}): Promise<number> {
    const p = new PgParams();
    return (await this.one<{ n: number }>(`SELECT COUNT(*) AS n FROM devices ${this.deviceWhere(p, filter)}`, p.values))?.n ?? 0;
  }

  devicesOfGateway(gatewayId: string): Promise<RegisteredDevice[]> {
    return this.listDevices({ gatewayId });
  }

  listDiscovered(gatewayId?: string): Promise<RegisteredDevice[]> {
    return this.listDevices({ state: 'discovered', ...(gatewayId ? { gatewayId } : {}) });
  }

  async history(deviceId: string): Promise<LifecycleEvent[]> {
    const rows = await this.many<{ device_id: string; from_state: LifecycleState | null; to_state: LifecycleState; by: string; at: string; note: string | null }>(
      'SELECT device_id, from_state, to_state, by, at, note FROM device_history WHERE device_id = $1 ORDER BY id', [deviceId]);
    return rows.map((r) => ({ deviceId: r.device_id, from: r.from_state, to: r.to_state, by: r.by, at: r.at, note: r.note }));
  }

  async revealLoraKeys(deviceId: string): Promise<LoraKeys | null> {
    const row = await this.one<{ lora_keys: Buffer | null }>('SELECT lora_keys FROM devices WHERE id = $1', [deviceId]);
    if (!row?.lora_keys) return null;
    if (!this.deps.key) throw new TzError('TZ_REGISTRY_KEY', `device ${deviceId} has LoRa keys but no registry key is configured: set TZ_REGISTRY_KEY or TZ_REGISTRY_KEY_FILE`);
    return this.deps.key.open(deviceId, row.lora_keys);
  }

  async getAsset(id: string): Promise<Asset | undefined> {
    const row = await this.one<AssetRow & pg.QueryResultRow>('SELECT * FROM assets WHERE id = $1', [id]);
    return row && toAsset(row);
  }

  protected async mustAsset(id: string): Promise<Asset> {
    const asset = await this.getAsset(id);
    if (!asset) throw notFound('asset', id);
    return asset;
  }

  async listAssets(filter: AssetFilter = {}): Promise<Asset[]> {
    const p = new PgParams();
    const where = filterSql(p, [
      ['kind', filter.kind], ['district', filter.district], ['grid_cell', filter.gridCell], ['parent_asset_id', filter.parentAssetId], ['state', filter.state],
    ], filter.tag);
    return (await this.many<AssetRow & pg.QueryResultRow>(`SELECT * FROM assets ${where} ORDER BY id${pageSql(filter)}`, p.values)).map(toAsset);
  }

  async getGateway(id: string): Promise<Gateway | undefined> {
    const row = await this.one<GatewayRow & pg.QueryResultRow>('SELECT * FROM gateways WHERE id = $1', [id]);
    return row && toGateway(row);
  }

  protected async mustGateway(id: string): Promise<Gateway> {
    const gateway = await this.getGateway(id);
    if (!gateway) throw notFound('gateway', id);
    return gateway;
  }

  async listGateways(filter: GatewayFilter = {}): Promise<Gateway[]> {
    const p = new PgParams();
    const where = filterSql(p, [['district', filter.district], ['state', filter.state]], filter.tag);
    return (await this.many<GatewayRow & pg.QueryResultRow>(`SELECT * FROM gateways ${where} ORDER BY id${pageSql(filter)}`, p.values)).map(toGateway);
  }

  async setReportedConfigVersion(gatewayId: string, version: number): Promise<void> {
    const r = await this.q('UPDATE gateways SET reported_config_version = $1, updated_at = $2 WHERE id = $3', [version, this.deps.now(), gatewayId]);
    if (r.rowCount === 0) throw notFound('gateway', gatewayId);
  }
}

/** What runs inside one transaction: the write paths. */
class PgRegistryTx extends PgRegistryParts implements RegistryImportTx {
  /** Takes `n` revisions at once; the counter's row stays locked to COMMIT (see the head of this file). */
  private async takeRevisions(n: number): Promise<number> {
    const row = await this.one<{ value: number }>(`UPDATE registry_meta SET value = value + $1 WHERE key = 'revision' RETURNING value`, [n]);
    if (!row) throw new TzError('TZ_INTERNAL', 'registry: the revision counter is missing');
    return row.value - n + 1;
  }

  /** The stored rows of these devices, locked against other writers to the end of the transaction. */
  async lockedRows(ids: readonly string[]): Promise<Map<string, DeviceRow>> {
    const rows = ids.length === 0 ? [] : await this.many<DeviceRow & pg.QueryResultRow>('SELECT * FROM devices WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [[...ids]]);
    return new Map(rows.map((r) => [r.id, r]));
  }

  private async existingAssets(ids: readonly string[]): Promise<Set<string>> {
    if (ids.length === 0) return new Set();
    return new Set((await this.many<{ id: string }>('SELECT id FROM assets WHERE id = ANY($1::text[])', [[...ids]])).map((r) => r.id));
  }

  /** A check context over rows and assets read up front (checkDevice asks synchronously). */
  async checkContext(ids: readonly string[], assetIds: readonly string[]): Promise<{ context: DeviceCheckContext; rows: Map<string, DeviceRow> }> {
    const rows = await this.lockedRows(ids);
    const assets = await this.existingAssets(assetIds);
    return { rows, context: deviceCheckContextOf({ profiles: this.deps.profiles, canSealKeys: this.deps.key !== null, row: (id) => rows.get(id), assetExists: (id) => assets.has(id) }) };
  }

  /** Writes checked drafts over the rows read for them: one revision per changed device, one statement per 5,000 rows. */
  async writeDevices(items: ReadonlyArray<{ existing: DeviceRow | undefined; draft: DeviceDraft }>, by: string, note: string | null, progress?: (done: number) => void): Promise<WriteOutcome[]> {
    const at = this.deps.now();
    const outcomes: WriteOutcome[] = [];
    const changed: Array<{ values: DeviceValues; step: { from: LifecycleState | null; to: LifecycleState } | null }> = [];
    for (const { existing, draft } of items) {
      const plan = planDeviceWrite(existing, draft, this.deps.key, at);
      outcomes.push(plan.outcome);
      if (plan.outcome !== 'unchanged') changed.push(plan);
    }
    if (changed.length > 0) {
      const first = await this.takeRevisions(changed.length);
      for (let i = 0; i < changed.length; i += CHUNK) {
        const part = changed.slice(i, i + CHUNK);
        const cols = columnsOf(part.map((c) => deviceValueList(c.values)), DEVICE_VALUE_COLUMNS.length);
        await this.q(DEVICE_UPSERT_SQL, [...cols, part.map((_, j) => first + i + j), at]);
        const steps = part.filter((c) => c.step !== null);
        if (steps.length > 0) {
          await this.q(`INSERT INTO device_history (device_id, from_state, to_state, by, at, note)
            SELECT d, f, t, $4, $5, $6 FROM unnest($1::text[], $2::text[], $3::text[]) WITH ORDINALITY AS u(d, f, t, n) ORDER BY n`,
          [steps.map((c) => c.values.id), steps.map((c) => c.step?.from ?? null), steps.map((c) => c.step?.to ?? null), by, at, note]);
        }
      }
    }
    progress?.(items.length);
    return outcomes;
  }

  private async setState(id: string, from: LifecycleState, to: LifecycleState, by: string, at: string, note: string | null): Promise<void> {
    const revision = await this.takeRevisions(1);
    await this.q('UPDATE devices SET state = $1, updated_at = $2, revision = $3 WHERE id = $4', [to, at, revision, id]);
    await this.q('INSERT INTO device_history (device_id, from_state, to_state, by, at, note) VALUES ($1, $2, $3, $4, $5, $6)', [id, from, to, by, at, note]);
  }

  async createDevice(record: Record<string, unknown>, by: string): Promise<RegisteredDevice> {
    const id = recordIdOf(record);
    const { context, rows } = await this.checkContext(id ? [id] : [], assetIdsOf(record));
    if (id && rows.has(id)) throw invalid(`device ${id}`, [{ column: 'id', problem: 'a device with this id exists (patch it instead)' }]);
    const { draft, problems } = checkDevice(record, context);
    if (!draft) throw invalid(`device ${id || '(no id)'}`, problems);
    await this.writeDevices([{ existing: undefined, draft }], by, 'created');
    return this.mustDevice(draft.id);
  }

  async patchDevice(id: string, patch: Record<string, unknown>, by: string, note: string | null): Promise<{ device: RegisteredDevice; outcome: WriteOutcome }> {
    const row = (await this.lockedRows([id])).get(id);
    if (!row) throw notFound('device', id);
    if ('id' in patch && patch.id !== id) throw invalid(`device ${id}`, [{ column: 'id', problem: 'the id of a device cannot change' }]);
    const record = { ...devicePatchBase(flattenDevice(toDevice(row)), patch), ...patch, id };
    const { context } = await this.checkContext([id], assetIdsOf(record));
    const { draft, problems } = checkDevice(record, context);
    if (!draft) throw invalid(`device ${id}`, problems);
    const [outcome = 'unchanged'] = await this.writeDevices([{ existing: row, draft }], by, note);
    return { device: await this.mustDevice(id), outcome };
  }

  async transition(id: string, to: LifecycleState, by: string, note: string | null): Promise<RegisteredDevice> {
    const row = (await this.lockedRows([id])).get(id);
    if (!row) throw notFound('device', id);
    if (row.state === to) return toDevice(row);
    const problem = transitionProblem(row.state, to);
    if (problem) throw new TzError('TZ_REGISTRY_TRANSITION', `device ${id}: ${problem}`, { details: { from: row.state, to } });
    await this.setState(id, row.state, to, by, this.deps.now(), note);
    return this.mustDevice(id);
  }

  async noteReportedDevice(gatewayId: string, deviceId: string, profile: string): Promise<ReportOutcome> {
    const at = this.deps.now();
    const row = (await this.lockedRows([deviceId])).get(deviceId);
    if (row) {
      if (row.state !== 'discovered') return 'registered';
      await this.q('UPDATE devices SET last_reported_at = $1 WHERE id = $2', [at, deviceId]);
      return 'discovered';
    }
    const values = discoveredDeviceValues(gatewayId, deviceId, profile, at);
    const revision = await this.takeRevisions(1);
    await this.q(`INSERT INTO devices (${DEVICE_VALUE_COLUMNS.join(', ')}, revision, created_at, updated_at, last_reported_at)
      VALUES (${DEVICE_VALUE_COLUMNS.map((_, i) => `$${i + 1}`).join(', ')}, $${DEVICE_VALUE_COLUMNS.length + 1}, $${DEVICE_VALUE_COLUMNS.length + 2}, $${DEVICE_VALUE_COLUMNS.length + 2}, $${DEVICE_VALUE_COLUMNS.length + 2})`,
    [...deviceValueList(values), revision, at]);
    await this.q('INSERT INTO device_history (device_id, from_state, to_state, by, at, note) VALUES ($1, NULL, $2, $3, $4, $5)',
      [deviceId, 'discovered', `gateway:${gatewayId}`, at, `reported by gateway ${gatewayId}`]);
    const gateway = await this.one<{ auto_accept: number; state: string }>('SELECT auto_accept, state FROM gateways WHERE id = $1', [gatewayId]);
    if (gateway?.auto_accept === 1 && gateway.state === 'active') {
      await this.setState(deviceId, 'discovered', 'active', `auto-accept:${gatewayId}`, at, 'gateway auto-accept is on');
      return 'accepted';
    }
    return 'discovered';
  }

  async acceptDevice(id: string, by: string, fields: Record<string, unknown>): Promise<RegisteredDevice> {
    const row = (await this.lockedRows([id])).get(id);
    if (!row) throw notFound('device', id);
    const current = toDevice(row);
    const state = acceptedState(current, fields);
    const record = { ...flattenDevice(current), ...fields, id, state };
    const { context } = await this.checkContext([id], assetIdsOf(record));
    const { draft, problems } = checkDevice(record, context);
    if (!draft) throw invalid(`device ${id}`, problems);
    await this.writeDevices([{ existing: row, draft }], by, 'accepted from discovery');
    return this.mustDevice(id);
  }

  // --- import ---

  async deviceBatch(ids: readonly string[], assetIds: readonly string[]): Promise<DeviceBatch> {
    const { context, rows } = await this.checkContext([...new Set(ids.filter((id) => id !== ''))], assetIds);
    return {
      context,
      writeAll: (drafts, by, note, progress) => this.writeDevices(drafts.map((draft) => ({ existing: rows.get(draft.id), draft })), by, note, progress),
    };
  }

  async assetParents(): Promise<Map<string, string | null>> {
    return new Map((await this.many<{ id: string; parent_asset_id: string | null }>('SELECT id, parent_asset_id FROM assets')).map((r) => [r.id, r.parent_asset_id]));
  }

  async writeAssets(drafts: readonly AssetDraft[], progress?: (done: number) => void): Promise<WriteOutcome[]> {
    const stored = new Map((await this.many<AssetRow & pg.QueryResultRow>('SELECT * FROM assets WHERE id = ANY($1::text[]) FOR UPDATE', [drafts.map((d) => d.id)])).map((r) => [r.id, toAsset(r)]));
    const outcomes: WriteOutcome[] = [];
    const rows: unknown[][] = [];
    for (const d of drafts) {
      const existing = stored.get(d.id);
      const state = assetWriteState(existing, d);
      outcomes.push(state === null ? 'unchanged' : existing ? 'updated' : 'created');
      if (state !== null) rows.push([d.id, d.kind, d.name, d.parentAssetId, d.position?.lat ?? null, d.position?.lon ?? null, d.address, d.district, d.gridCell, state, JSON.stringify(d.tags)]);
    }
    await this.upsert(ASSET_UPSERT_SQL, rows, ASSET_COLUMNS.length);
    progress?.(drafts.length);
    return outcomes;
  }

  async writeGateways(drafts: readonly GatewayDraft[], progress?: (done: number) => void): Promise<WriteOutcome[]> {
    const stored = new Map((await this.many<GatewayRow & pg.QueryResultRow>('SELECT * FROM gateways WHERE id = ANY($1::text[]) FOR UPDATE', [drafts.map((d) => d.id)])).map((r) => [r.id, toGateway(r)]));
    const outcomes: WriteOutcome[] = [];
    const rows: unknown[][] = [];
    for (const d of drafts) {
      const existing = stored.get(d.id);
      const state = gatewayWriteState(existing, d);
      outcomes.push(state === null ? 'unchanged' : existing ? 'updated' : 'created');
      if (state !== null) rows.push([d.id, d.name, d.position?.lat ?? null, d.position?.lon ?? null, d.address, d.district, d.autoAccept ? 1 : 0, state, JSON.stringify(d.tags)]);
    }
    await this.upsert(GATEWAY_UPSERT_SQL, rows, GATEWAY_COLUMNS.length);
    progress?.(drafts.length);
    return outcomes;
  }

  private async upsert(sql: string, rows: readonly unknown[][], width: number): Promise<void> {
    const at = this.deps.now();
    for (let i = 0; i < rows.length; i += CHUNK) await this.q(sql, [...columnsOf(rows.slice(i, i + CHUNK), width), at, at]);
  }

  // --- assets and gateways, one at a time ---

  async createAsset(record: Record<string, unknown>): Promise<Asset> {
    const id = recordIdOf(record);
    const parents = await this.assetParents();
    if (id && parents.has(id)) throw invalid(`asset ${id}`, [{ column: 'id', problem: 'an asset with this id exists (patch it instead)' }]);
    const { draft, problems } = checkAsset(record, { parentOf: (a) => (parents.has(a) ? parents.get(a) : undefined) });
    if (!draft) throw invalid(`asset ${id || '(no id)'}`, problems);
    await this.writeAssets([draft]);
    return this.mustAsset(draft.id);
  }

  async patchAsset(id: string, patch: Record<string, unknown>): Promise<Asset> {
    const current = await this.mustAsset(id);
    if ('id' in patch && patch.id !== id) throw invalid(`asset ${id}`, [{ column: 'id', problem: 'the id of an asset cannot change' }]);
    const parents = await this.assetParents();
    const { draft, problems } = checkAsset({ ...flattenAsset(current), ...patch, id }, { parentOf: (a) => (parents.has(a) ? parents.get(a) : undefined) });
    if (!draft) throw invalid(`asset ${id}`, problems);
    await this.writeAssets([draft]);
    return this.mustAsset(id);
  }

  async createGateway(record: Record<string, unknown>): Promise<Gateway> {
    const id = recordIdOf(record);
    if (id && (await this.getGateway(id))) throw invalid(`gateway ${id}`, [{ column: 'id', problem: 'a gateway with this id exists (patch it instead)' }]);
    const { draft, problems } = checkGateway(record);
    if (!draft) throw invalid(`gateway ${id || '(no id)'}`, problems);
    await this.writeGateways([draft]);
    return this.mustGateway(draft.id);
  }

  async patchGateway(id: string, patch: Record<string, unknown>): Promise<Gateway> {
    const current = await this.mustGateway(id);
    if ('id' in patch && patch.id !== id) throw invalid(`gateway ${id}`, [{ column: 'id', problem: 'the id of a gateway cannot change' }]);
    const { draft, problems } = checkGateway({ ...flattenGateway(current), ...patch, id });
    if (!draft) throw invalid(`gateway ${id}`, problems);
    await this.writeGateways([draft]);
    return this.mustGateway(id);
  }
}

/** The asset ids a flat record names (what its check will ask about). */
function assetIdsOf(record: Record<string, unknown>): string[] {
  return typeof record.assetId === 'string' && record.assetId.trim() !== '' ? [record.assetId.trim()] : [];
}

/** The PostgreSQL registry store: reads go to the pool; every write is one transaction on one connection. */
export class PostgresRegistryStore extends PgRegistryParts implements RegistryStore {
  readonly kind = 'postgres' as const;
  private closed = false;
  private readonly transactions: PgTransactionContext;

  private constructor(private readonly pool: pg.Pool, deps: Deps, metrics: StoreMetrics, log: Logger, maxRetries: number) {
    // A single statement on the pool: a lost connection or a server away is TZ_STORE_UNAVAILABLE (503).
    super(async (sql, values) => {
      if (this.closed) throw new TzError('TZ_STORE_UNAVAILABLE', 'registry: the PostgreSQL registry store is closed');
      try {
        return await pool.query(sql, values);
      } catch (err) {
        if (pgTroubleOf(err)) {
          metrics.unavailable.inc();
          throw pgUnavailable('registry', err);
        }
        throw err;
      }
    }, deps);
    this.transactions = { store: 'registry', pool, log, maxRetries, conflictCodes: CONFLICT_CODES, metrics, closed: () => this.closed };
  }

  /** Connects, applies pending migrations (one process at a time, under an advisory lock) and returns the store. */
  static async open(options: PostgresRegistryStoreOptions): Promise<PostgresRegistryStore> {
    const log = options.log ?? createLogger('registry');
    const statementTimeoutMs = options.statementTimeoutMs ?? 60_000;
    const pool = openPgPool({
      url: options.url, store: 'registry', poolSize: options.poolSize ?? 5, connectTimeoutMs: options.connectTimeoutMs ?? 5_000, statementTimeoutMs, schema: SCHEMA, log,
    });
    const clock: Clock = options.clock ?? systemClock;
    const deps: Deps = { profiles: options.profiles, key: options.key ?? null, now: () => new Date(clock.now()).toISOString() };
    const store = new PostgresRegistryStore(pool, deps, storeMetrics(options.registry), log, options.maxRetries ?? 8);
    try {
      await migratePostgres(pool, { lockName: 'tianzhong.registry_migrations', table: 'migrations', migrations: POSTGRES_REGISTRY_MIGRATIONS, setup: `CREATE SCHEMA IF NOT EXISTS ${SCHEMA}` });
    } catch (err) {
      await pool.end().catch(() => undefined);
      throw pgTroubleOf(err) ? pgUnavailable('registry', err) : err;
    }
    return store;
  }

  private write<T>(work: (tx: PgRegistryTx) => Promise<T>): Promise<T> {
    return inPgTransaction(this.transactions, (query) => work(new PgRegistryTx(query, this.deps)));
  }

  createDevice(record: Record<string, unknown>, by: string): Promise<RegisteredDevice> {
    return this.write((tx) => tx.createDevice(record, by));
  }

  patchDevice(id: string, patch: Record<string, unknown>, by: string, note: string | null = null): Promise<{ device: RegisteredDevice; outcome: WriteOutcome }> {
    return this.write((tx) => tx.patchDevice(id, patch, by, note));
  }

  transition(id: string, to: LifecycleState, by: string, note: string | null = null): Promise<RegisteredDevice> {
    return this.write((tx) => tx.transition(id, to, by, note));
  }

  retireDevice(id: string, by: string, note: string | null = null): Promise<RegisteredDevice> {
    return this.transition(id, 'retired', by, note);
  }

  noteReportedDevice(gatewayId: string, deviceId: string, profile: string): Promise<ReportOutcome> {
    return this.write((tx) => tx.noteReportedDevice(gatewayId, deviceId, profile));
  }

  acceptDevice(id: string, by: string, fields: Record<string, unknown> = {}): Promise<RegisteredDevice> {
    return this.write((tx) => tx.acceptDevice(id, by, fields));
  }

  createAsset(record: Record<string, unknown>): Promise<Asset> {
    return this.write((tx) => tx.createAsset(record));
  }

  patchAsset(id: string, patch: Record<string, unknown>): Promise<Asset> {
    return this.write((tx) => tx.patchAsset(id, patch));
  }

  retireAsset(id: string): Promise<Asset> {
    return this.patchAsset(id, { state: 'retired' });
  }

  createGateway(record: Record<string, unknown>): Promise<Gateway> {
    return this.write((tx) => tx.createGateway(record));
  }

  patchGateway(id: string, patch: Record<string, unknown>): Promise<Gateway> {
    return this.write((tx) => tx.patchGateway(id, patch));
  }

  retireGateway(id: string): Promise<Gateway> {
    return this.patchGateway(id, { state: 'retired' });
  }

  importTransaction<T>(work: (tx: RegistryImportTx) => Steps<T>): Promise<T> {
    return this.write(async (tx) => runSteps(work(tx)));
  }

  /** Runs a query as the store does (tests look at the bytes at rest). */
  query<R extends pg.QueryResultRow>(sql: string, values?: unknown[]): Promise<pg.QueryResult<R>> {
    return this.q<R>(sql, values);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }
}
