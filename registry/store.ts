import type Database from 'better-sqlite3';
import { openSqlite, runSteps, systemClock, TzError, type Clock, type Steps } from '../service-kit/index.ts';
import { checkAsset, flattenAsset, type AssetDraft } from './asset-record.ts';
import { checkDevice, flattenDevice, type DeviceCheckContext, type DeviceDraft } from './device-record.ts';
import {
  acceptedState, assetWriteState, deviceCheckContextOf, devicePatchBase, discoveredDeviceValues, gatewayWriteState, invalid, notFound, planDeviceWrite, recordIdOf, type DeviceValues,
} from './device-write.ts';
import { checkGateway, flattenGateway, type GatewayDraft } from './gateway-record.ts';
import { transitionProblem } from './lifecycle.ts';
import type { RegistryKey } from './lora-keys.ts';
import { migrate } from './migrations.ts';
import type {
  DeviceBatch, DeviceBindingRow, ProfileSource, RegistryImportTx, RegistryStore, RegistryStoreOptions, ReportOutcome, WriteOutcome,
} from './registry-store.ts';
import { toAsset, toDevice, toGateway, type AssetRow, type DeviceRow, type GatewayRow } from './rows.ts';
import type {
  Asset, AssetFilter, DeviceDirectory, DeviceFilter, Gateway, GatewayFilter, LifecycleEvent, LifecycleState, LoraKeys, RegisteredDevice,
} from './model.ts';

// The registry in a SQLite file (better-sqlite3, WAL, busy timeout: the rules
// service's API, ingest's discovery notes and the CLI write it concurrently).
// Every device write bumps one revision counter and stamps the row with it,
// so a reader (ingest's binding) fetches only what changed since it last looked.

export type { DeviceBatch, DeviceBindingRow, ProfileSource, RegistryStoreOptions, ReportOutcome, WriteOutcome } from './registry-store.ts';

/** Page cache of a bulk write, KiB (a negative cache_size is KiB). */
const BULK_CACHE_KIB = -65_536;

function where(parts: string[]): string {
  return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
}

/**
 * The WHERE clause of a list filter: `column = ?` for each given value, and a
 * tag carried in the table's JSON `tags` array. Columns and the table are
 * this file's literals; only values travel as parameters.
 */
function filterClause(table: 'devices' | 'assets' | 'gateways', equal: Array<[column: string, value: string | undefined]>, tag: string | undefined): { sql: string; args: unknown[] } {
  const parts: string[] = [];
  const args: unknown[] = [];
  for (const [column, value] of equal) {
    if (value === undefined) continue;
    parts.push(`${column} = ?`);
    args.push(value);
  }
  if (tag !== undefined) {
    parts.push(`EXISTS (SELECT 1 FROM json_each(${table}.tags) WHERE value = ?)`);
    args.push(tag);
  }
  return { sql: where(parts), args };
}

function page(filter: { limit?: number; offset?: number }): string {
  return filter.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(filter.limit))} OFFSET ${Math.max(0, Math.floor(filter.offset ?? 0))}` : '';
}

export class SqliteRegistryStore implements RegistryStore, DeviceDirectory {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  private readonly clock: Clock;
  private readonly key: RegistryKey | null;
  private readonly profiles: ProfileSource;
  private readonly stmt;

  constructor(path: string, options: RegistryStoreOptions) {
    this.clock = options.clock ?? systemClock;
    this.key = options.key ?? null;
    this.profiles = options.profiles;
    this.db = openSqlite(path, { durability: 'full' });
    migrate(this.db, () => this.clock.now());
    const p = <P extends unknown[], R>(sql: string) => this.db.prepare<P, R>(sql);
    this.stmt = {
      device: p<[string], DeviceRow>('SELECT * FROM devices WHERE id = ?'),
      bump: p<[], { value: number }>(`UPDATE registry_meta SET value = value + 1 WHERE key = 'revision' RETURNING value`),
      setRevision: p<[number], unknown>(`UPDATE registry_meta SET value = ? WHERE key = 'revision'`),
      devicesIn: p<[string], DeviceRow>('SELECT * FROM devices WHERE id IN (SELECT value FROM json_each(?))'),
      revision: p<[], { value: number }>(`SELECT value FROM registry_meta WHERE key = 'revision'`),
      insertDevice: p<[DeviceValues & { revision: number }], unknown>(`INSERT INTO devices (id, class, gateway_id, transport, lora_keys, poll_interval_s, deadbands, lat, lon, address, district, grid_cell, asset_id,
        vendor, model, serial, firmware, installed_on, state, tags, created_at, updated_at, revision)
        VALUES (@id, @class, @gatewayId, @transport, @loraKeys, @pollIntervalS, @deadbands, @lat, @lon, @address, @district, @gridCell, @assetId,
        @vendor, @model, @serial, @firmware, @installedOn, @state, @tags, @at, @at, @revision)`),
      updateDevice: p<[DeviceValues & { revision: number }], unknown>(`UPDATE devices SET class = @class, gateway_id = @gatewayId, transport = @transport, lora_keys = @loraKeys, poll_interval_s = @pollIntervalS,
        deadbands = @deadbands, lat = @lat, lon = @lon, address = @address, district = @district, grid_cell = @gridCell, asset_id = @assetId, vendor = @vendor,
        model = @model, serial = @serial, firmware = @firmware, installed_on = @installedOn, state = @state, tags = @tags, updated_at = @at, revision = @revision
        WHERE id = @id`),
      setState: p<[string, string, number, string], unknown>('UPDATE devices SET state = ?, updated_at = ?, revision = ? WHERE id = ?'),
      reported: p<[string, string], unknown>('UPDATE devices SET last_reported_at = ? WHERE id = ?'),
      history: p<[string, string | null, string, string, string, string | null], unknown>('INSERT INTO device_history (device_id, from_state, to_state, by, at, note) VALUES (?, ?, ?, ?, ?, ?)'),
      historyOf: p<[string], { device_id: string; from_state: LifecycleState | null; to_state: LifecycleState; by: string; at: string; note: string | null }>('SELECT * FROM device_history WHERE device_id = ? ORDER BY id'),
      changes: p<[number], { id: string; gateway_id: string; state: LifecycleState; district: string | null; revision: number }>('SELECT id, gateway_id, state, district, revision FROM devices WHERE revision > ? ORDER BY revision'),
      asset: p<[string], AssetRow>('SELECT * FROM assets WHERE id = ?'),
      assetParent: p<[string], { parent_asset_id: string | null }>('SELECT parent_asset_id FROM assets WHERE id = ?'),
      assetParents: p<[], { id: string; parent_asset_id: string | null }>('SELECT id, parent_asset_id FROM assets'),
      upsertAsset: p(`INSERT INTO assets (id, kind, name, parent_asset_id, lat, lon, address, district, grid_cell, state, tags, created_at, updated_at)
        VALUES (@id, @kind, @name, @parentAssetId, @lat, @lon, @address, @district, @gridCell, @state, @tags, @at, @at)
        ON CONFLICT (id) DO UPDATE SET kind = excluded.kind, name = excluded.name, parent_asset_id = excluded.parent_asset_id, lat = excluded.lat, lon = excluded.lon,
        address = excluded.address, district = excluded.district, grid_cell = excluded.grid_cell, state = excluded.state, tags = excluded.tags, updated_at = excluded.updated_at`),
      gateway: p<[string], GatewayRow>('SELECT * FROM gateways WHERE id = ?'),
      upsertGateway: p(`INSERT INTO gateways (id, name, lat, lon, address, district, auto_accept, state, tags, created_at, updated_at)
        VALUES (@id, @name, @lat, @lon, @address, @district, @autoAccept, @state, @tags, @at, @at)
        ON CONFLICT (id) DO UPDATE SET name = excluded.name, lat = excluded.lat, lon = excluded.lon, address = excluded.address, district = excluded.district,
        auto_accept = excluded.auto_accept, state = excluded.state, tags = excluded.tags, updated_at = excluded.updated_at`),
      configVersion: p<[number, string, string], unknown>('UPDATE gateways SET reported_config_version = ?, updated_at = ? WHERE id = ?'),
    };
  }

  private now(): string {
    return new Date(this.clock.now()).toISOString();
  }

  /** Runs `work` in one transaction (BEGIN IMMEDIATE: the write lock is taken at once, no upgrade deadlock). */
  transaction<T>(work: () => T): T {
    return this.db.transaction(work).immediate();
  }

  /**
   * One transaction for a bulk write: the page cache is raised for its length
   * (64 MiB instead of SQLite's 2 MiB), so 100,000 rows and their seven
   * indexes are not spilled to the WAL and read back while the transaction runs.
   */
  bulkTransaction<T>(work: () => T): T {
    const before = this.db.pragma('cache_size', { simple: true }) as number;
    this.db.pragma(`cache_size = ${BULK_CACHE_KIB}`);
    try {
      return this.transaction(work);
    } finally {
      this.db.pragma(`cache_size = ${before}`);
    }
  }

  /** An import in one bulk transaction; every step here answers at once, so it stays synchronous. */
  importTransaction<T>(work: (tx: RegistryImportTx) => Steps<T>): T {
    return this.bulkTransaction(() => {
      const result = runSteps(work({
        deviceBatch: (ids) => this.deviceBatch(ids),
        assetParents: () => new Map(this.stmt.assetParents.all().map((r) => [r.id, r.parent_asset_id])),
        writeAssets: (drafts, progress) => drafts.map((d, i) => {
          const outcome = this.writeAsset(d);
          progress?.(i + 1);
          return outcome;
        }),
        writeGateways: (drafts, progress) => drafts.map((d, i) => {
          const outcome = this.writeGateway(d);
          progress?.(i + 1);
          return outcome;
        }),
      }));
      if (result instanceof Promise) throw new TzError('TZ_INTERNAL', 'registry: a SQLite import step answered a Promise');
      return result;
    });
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  revision(): number {
    const row = this.stmt.revision.get();
    if (!row) throw new TzError('TZ_INTERNAL', 'registry: the revision counter is missing');
    return row.value;
  }

  private bump(): number {
    const row = this.stmt.bump.get();
    if (!row) throw new TzError('TZ_INTERNAL', 'registry: the revision counter is missing');
    return row.value;
  }

  changesSince(revision: number): DeviceBindingRow[] {
    return this.stmt.changes.all(revision).map((r) => ({ id: r.id, gatewayId: r.gateway_id, state: r.state, district: r.district, revision: r.revision }));
  }

  // ---------------------------------------------------------------- devices

  getDevice(id: string): RegisteredDevice | undefined {
    const row = this.stmt.device.get(id);
    return row ? toDevice(row) : undefined;
  }

  private mustDevice(id: string): RegisteredDevice {
    const device = this.getDevice(id);
    if (!device) throw notFound('device', id);
    return device;
  }

  private deviceQuery(filter: DeviceFilter): { sql: string; args: unknown[] } {
    return filterClause('devices', [
      ['gateway_id', filter.gatewayId], ['class', filter.class], ['district', filter.district], ['grid_cell', filter.gridCell], ['state', filter.state], ['asset_id', filter.assetId],
    ], filter.tag);
  }

  listDevices(filter: DeviceFilter = {}): RegisteredDevice[] {
    const q = this.deviceQuery(filter);
    return (this.db.prepare(`SELECT * FROM devices ${q.sql} ORDER BY id${page(filter)}`).all(...q.args) as DeviceRow[]).map(toDevice);
  }

  countDevices(filter: DeviceFilter = {}): number {
    const q = this.deviceQuery(filter);
    return (this.db.prepare(`SELECT COUNT(*) AS n FROM devices ${q.sql}`).get(...q.args) as { n: number }).n;
  }

  devicesOfGateway(gatewayId: string): RegisteredDevice[] {
    return this.listDevices({ gatewayId });
  }

  history(deviceId: string): LifecycleEvent[] {
    return this.stmt.historyOf.all(deviceId).map((r) => ({ deviceId: r.device_id, from: r.from_state, to: r.to_state, by: r.by, at: r.at, note: r.note }));
  }

  revealLoraKeys(deviceId: string): LoraKeys | null {
    const row = this.stmt.device.get(deviceId);
    if (!row?.lora_keys) return null;
    if (!this.key) throw new TzError('TZ_REGISTRY_KEY', `device ${deviceId} has LoRa keys but no registry key is configured: set TZ_REGISTRY_KEY or TZ_REGISTRY_KEY_FILE`);
    return this.key.open(deviceId, row.lora_keys);
  }

  /** What checkDevice needs to know about the registry. */
  deviceCheckContext(storedRow?: (id: string) => DeviceRow | undefined): DeviceCheckContext {
    // The check asks about the same device several times in a row: one row remembered.
    let lastId: string | undefined;
    let lastRow: DeviceRow | undefined;
    const row = storedRow ?? ((id: string) => {
      if (id !== lastId) {
        lastId = id;
        lastRow = this.stmt.device.get(id);
      }
      return lastRow;
    });
    return deviceCheckContextOf({ profiles: this.profiles, canSealKeys: this.key !== null, row, assetExists: (id) => this.stmt.asset.get(id) !== undefined });
  }

  /** Writes a checked draft (see planDeviceWrite): creates it, updates what differs, or leaves an identical record alone. */
  writeDevice(draft: DeviceDraft, by: string, note: string | null = null): WriteOutcome {
    return this.writeDeviceOver(this.stmt.device.get(draft.id), draft, by, note, this.now(), () => this.bump());
  }

  /**
   * Many devices at once (an import), inside the caller's transaction: the
   * stored rows of all of them read in one query, one timestamp, revisions
   * counted here and the counter written once at the end. Same outcomes as
   * calling writeDevice for each.
   */
  deviceBatch(ids: readonly string[]): DeviceBatch & { writeAll(drafts: readonly DeviceDraft[], by: string, note: string | null, progress?: (done: number) => void): WriteOutcome[] } {
    const stored = new Map<string, DeviceRow>();
    for (const row of this.stmt.devicesIn.all(JSON.stringify(ids))) stored.set(row.id, row);
    const metrics = new Map<string, readonly string[] | undefined>();
    const assets = new Map<string, boolean>();
    const context: DeviceCheckContext = {
      ...this.deviceCheckContext((id) => stored.get(id)),
      metricsOf: (classId) => {
        if (!metrics.has(classId)) metrics.set(classId, this.profiles.get(classId)?.metrics.map((m) => m.name));
        return metrics.get(classId);
      },
      assetExists: (id) => {
        let known = assets.get(id);
        if (known === undefined) assets.set(id, known = this.stmt.asset.get(id) !== undefined);
        return known;
      },
    };
    const at = this.now();
    return {
      context,
      writeAll: (drafts, by, note, progress) => {
        let revision = this.revision();
        const start = revision;
        const outcomes = drafts.map((draft, i) => {
          const outcome = this.writeDeviceOver(stored.get(draft.id), draft, by, note, at, () => ++revision);
          progress?.(i + 1);
          return outcome;
        });
        if (revision !== start) this.stmt.setRevision.run(revision);
        return outcomes;
      },
    };
  }

  private writeDeviceOver(existing: DeviceRow | undefined, draft: DeviceDraft, by: string, note: string | null, at: string, nextRevision: () => number): WriteOutcome {
    const plan = planDeviceWrite(existing, draft, this.key, at);
    if (plan.outcome === 'unchanged') return 'unchanged';
    const row = { ...plan.values, revision: nextRevision() };
    if (plan.outcome === 'created') this.stmt.insertDevice.run(row);
    else this.stmt.updateDevice.run(row);
    if (plan.step) this.stmt.history.run(draft.id, plan.step.from, plan.step.to, by, at, note);
    return plan.outcome;
  }

  createDevice(record: Record<string, unknown>, by: string): RegisteredDevice {
    return this.transaction(() => {
      const id = recordIdOf(record);
      if (id && this.stmt.device.get(id)) throw invalid(`device ${id}`, [{ column: 'id', problem: 'a device with this id exists (patch it instead)' }]);
      const { draft, problems } = checkDevice(record, this.deviceCheckContext());
      if (!draft) throw invalid(`device ${id || '(no id)'}`, problems);
      this.writeDevice(draft, by, 'created');
      return this.mustDevice(draft.id);
    });
  }

  patchDevice(id: string, patch: Record<string, unknown>, by: string, note: string | null = null): { device: RegisteredDevice; outcome: WriteOutcome } {
    return this.transaction(() => {
      const current = this.mustDevice(id);
      if ('id' in patch && patch.id !== id) throw invalid(`device ${id}`, [{ column: 'id', problem: 'the id of a device cannot change' }]);
      const base = devicePatchBase(flattenDevice(current), patch);
      const { draft, problems } = checkDevice({ ...base, ...patch, id }, this.deviceCheckContext());
      if (!draft) throw invalid(`device ${id}`, problems);
      const outcome = this.writeDevice(draft, by, note);
      return { device: this.mustDevice(id), outcome };
    });
  }

  /** Moves a device through the lifecycle (planned → installed → active ⇄ maintenance → retired). */
  transition(id: string, to: LifecycleState, by: string, note: string | null = null): RegisteredDevice {
    return this.transaction(() => {
      const row = this.stmt.device.get(id);
      if (!row) throw notFound('device', id);
      if (row.state === to) return toDevice(row);
      const problem = transitionProblem(row.state, to);
      if (problem) throw new TzError('TZ_REGISTRY_TRANSITION', `device ${id}: ${problem}`, { details: { from: row.state, to } });
      const at = this.now();
      this.stmt.setState.run(to, at, this.bump(), id);
      this.stmt.history.run(id, row.state, to, by, at, note);
      return this.mustDevice(id);
    });
  }

  retireDevice(id: string, by: string, note: string | null = null): RegisteredDevice {
    return this.transition(id, 'retired', by, note);
  }

  /**
   * A gateway reported a device: nothing to do when it is registered; else it
   * is kept as `discovered` (class as reported, no transport) for an operator
   * to accept — or accepted at once into `active` when its gateway has
   * auto-accept on (off by default).
   */
  noteReportedDevice(gatewayId: string, deviceId: string, profile: string): ReportOutcome {
    return this.transaction(() => {
      const at = this.now();
      const row = this.stmt.device.get(deviceId);
      if (row) {
        if (row.state !== 'discovered') return 'registered';
        this.stmt.reported.run(at, deviceId);
        return 'discovered';
      }
      this.stmt.insertDevice.run({ ...discoveredDeviceValues(gatewayId, deviceId, profile, at), revision: this.bump() });
      this.stmt.reported.run(at, deviceId);
      this.stmt.history.run(deviceId, null, 'discovered', `gateway:${gatewayId}`, at, `reported by gateway ${gatewayId}`);
      const gateway = this.stmt.gateway.get(gatewayId);
      if (gateway?.auto_accept === 1 && gateway.state === 'active') {
        this.stmt.setState.run('active', at, this.bump(), deviceId);
        this.stmt.history.run(deviceId, 'discovered', 'active', `auto-accept:${gatewayId}`, at, 'gateway auto-accept is on');
        return 'accepted';
      }
      return 'discovered';
    });
  }

  listDiscovered(gatewayId?: string): RegisteredDevice[] {
    return this.listDevices({ state: 'discovered', ...(gatewayId ? { gatewayId } : {}) });
  }

  /**
   * An operator accepts a discovered device, optionally completing its record
   * (transport, position, …; a flat partial record) and choosing its state
   * (default active: it is already reporting).
   */
  acceptDevice(id: string, by: string, fields: Record<string, unknown> = {}): RegisteredDevice {
    return this.transaction(() => {
      const current = this.mustDevice(id);
      const state = acceptedState(current, fields);
      const { draft, problems } = checkDevice({ ...flattenDevice(current), ...fields, id, state }, this.deviceCheckContext());
      if (!draft) throw invalid(`device ${id}`, problems);
      this.writeDevice(draft, by, 'accepted from discovery');
      return this.mustDevice(id);
    });
  }

  // ---------------------------------------------------------------- assets

  getAsset(id: string): Asset | undefined {
    const row = this.stmt.asset.get(id);
    return row ? toAsset(row) : undefined;
  }

  private mustAsset(id: string): Asset {
    const asset = this.getAsset(id);
    if (!asset) throw notFound('asset', id);
    return asset;
  }

  listAssets(filter: AssetFilter = {}): Asset[] {
    const { sql, args } = filterClause('assets', [
      ['kind', filter.kind], ['district', filter.district], ['grid_cell', filter.gridCell], ['parent_asset_id', filter.parentAssetId], ['state', filter.state],
    ], filter.tag);
    return (this.db.prepare(`SELECT * FROM assets ${sql} ORDER BY id${page(filter)}`).all(...args) as AssetRow[]).map(toAsset);
  }

  /** The stored parent of an asset: null for a root, undefined when there is no such asset. */
  assetParent(id: string): string | null | undefined {
    const row = this.stmt.assetParent.get(id);
    return row === undefined ? undefined : row.parent_asset_id;
  }

  writeAsset(draft: AssetDraft): WriteOutcome {
    const existing = this.getAsset(draft.id);
    const state = assetWriteState(existing, draft);
    if (state === null) return 'unchanged';
    this.stmt.upsertAsset.run({
      id: draft.id, kind: draft.kind, name: draft.name, parentAssetId: draft.parentAssetId, lat: draft.position?.lat ?? null, lon: draft.position?.lon ?? null,
      address: draft.address, district: draft.district, gridCell: draft.gridCell, state, tags: JSON.stringify(draft.tags), at: this.now(),
    });
    return existing ? 'updated' : 'created';
  }

  createAsset(record: Record<string, unknown>): Asset {
    return this.transaction(() => {
      const id = recordIdOf(record);
      if (id && this.getAsset(id)) throw invalid(`asset ${id}`, [{ column: 'id', problem: 'an asset with this id exists (patch it instead)' }]);
      const { draft, problems } = checkAsset(record, { parentOf: (a) => this.assetParent(a) });
      if (!draft) throw invalid(`asset ${id || '(no id)'}`, problems);
      this.writeAsset(draft);
      return this.mustAsset(draft.id);
    });
  }

  patchAsset(id: string, patch: Record<string, unknown>): Asset {
    return this.transaction(() => {
      const current = this.mustAsset(id);
      if ('id' in patch && patch.id !== id) throw invalid(`asset ${id}`, [{ column: 'id', problem: 'the id of an asset cannot change' }]);
      const { draft, problems } = checkAsset({ ...flattenAsset(current), ...patch, id }, { parentOf: (a) => this.assetParent(a) });
      if (!draft) throw invalid(`asset ${id}`, problems);
      this.writeAsset(draft);
      return this.mustAsset(id);
    });
  }

  retireAsset(id: string): Asset {
    return this.patchAsset(id, { state: 'retired' });
  }

  // ---------------------------------------------------------------- gateways

  getGateway(id: string): Gateway | undefined {
    const row = this.stmt.gateway.get(id);
    return row ? toGateway(row) : undefined;
  }

  private mustGateway(id: string): Gateway {
    const gateway = this.getGateway(id);
    if (!gateway) throw notFound('gateway', id);
    return gateway;
  }

  listGateways(filter: GatewayFilter = {}): Gateway[] {
    const { sql, args } = filterClause('gateways', [['district', filter.district], ['state', filter.state]], filter.tag);
    return (this.db.prepare(`SELECT * FROM gateways ${sql} ORDER BY id${page(filter)}`).all(...args) as GatewayRow[]).map(toGateway);
  }

  writeGateway(draft: GatewayDraft): WriteOutcome {
    const existing = this.getGateway(draft.id);
    const state = gatewayWriteState(existing, draft);
    if (state === null) return 'unchanged';
    this.stmt.upsertGateway.run({
      id: draft.id, name: draft.name, lat: draft.position?.lat ?? null, lon: draft.position?.lon ?? null, address: draft.address, district: draft.district,
      autoAccept: draft.autoAccept ? 1 : 0, state, tags: JSON.stringify(draft.tags), at: this.now(),
    });
    return existing ? 'updated' : 'created';
  }

  createGateway(record: Record<string, unknown>): Gateway {
    return this.transaction(() => {
      const id = recordIdOf(record);
      if (id && this.getGateway(id)) throw invalid(`gateway ${id}`, [{ column: 'id', problem: 'a gateway with this id exists (patch it instead)' }]);
      const { draft, problems } = checkGateway(record);
      if (!draft) throw invalid(`gateway ${id || '(no id)'}`, problems);
      this.writeGateway(draft);
      return this.mustGateway(draft.id);
    });
  }

  patchGateway(id: string, patch: Record<string, unknown>): Gateway {
    return this.transaction(() => {
      const current = this.mustGateway(id);
      if ('id' in patch && patch.id !== id) throw invalid(`gateway ${id}`, [{ column: 'id', problem: 'the id of a gateway cannot change' }]);
      const { draft, problems } = checkGateway({ ...flattenGateway(current), ...patch, id });
      if (!draft) throw invalid(`gateway ${id}`, problems);
      this.writeGateway(draft);
      return this.mustGateway(id);
    });
  }

  retireGateway(id: string): Gateway {
    return this.patchGateway(id, { state: 'retired' });
  }

  setReportedConfigVersion(gatewayId: string, version: number): void {
    if (this.stmt.configVersion.run(version, this.now(), gatewayId).changes === 0) throw notFound('gateway', gatewayId);
  }
}

export function openRegistryStore(path: string, options: RegistryStoreOptions): SqliteRegistryStore {
  return new SqliteRegistryStore(path, options);
}
