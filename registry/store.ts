import type Database from 'better-sqlite3';
import { openSqlite, systemClock, TzError, type Clock } from '../service-kit/index.ts';
import { checkAsset, flattenAsset, type AssetDraft } from './asset-record.ts';
import { checkDevice, flattenDevice, type DeviceCheckContext, type DeviceDraft, type DraftTransport } from './device-record.ts';
import type { FieldProblem } from './fields.ts';
import { checkGateway, flattenGateway, type GatewayDraft } from './gateway-record.ts';
import { CREATABLE_STATES, transitionProblem } from './lifecycle.ts';
import { sameLoraKeys, type RegistryKey } from './lora-keys.ts';
import { migrate } from './migrations.ts';
import { deviceContent, toAsset, toDevice, toGateway, transportOf, type AssetRow, type DeviceRow, type GatewayRow } from './rows.ts';
import type {
  Asset, AssetFilter, DeviceDirectory, DeviceFilter, Gateway, GatewayFilter, LifecycleEvent, LifecycleState, LoraKeys, RegisteredDevice,
} from './model.ts';

// The registry in a SQLite file (better-sqlite3, WAL, busy timeout: the rules
// service's API, ingest's discovery notes and the CLI write it concurrently).
// Every device write bumps one revision counter and stamps the row with it,
// so a reader (ingest's binding) fetches only what changed since it last looked.

/** The device classes the registry accepts: a ProfileCatalogue fits. */
export interface ProfileSource {
  get(classId: string): { metrics: ReadonlyArray<{ name: string }> } | undefined;
  all(): ReadonlyArray<{ class: string }>;
}

export interface RegistryStoreOptions {
  profiles: ProfileSource;
  /** Seals LoRa keys; without it the store refuses them. */
  key?: RegistryKey | null;
  clock?: Clock;
}

export type WriteOutcome = 'created' | 'updated' | 'unchanged';

/** A bulk write of devices: check records with `context`, then write the valid drafts with `writeAll` (same transaction). */
export interface DeviceBatch {
  context: DeviceCheckContext;
  writeAll(drafts: readonly DeviceDraft[], by: string, note: string | null, progress?: (done: number) => void): WriteOutcome[];
}

/** What noteReportedDevice did: the device was registered already, is (still) waiting for an operator, or was accepted at once (gateway auto-accept). */
export type ReportOutcome = 'registered' | 'discovered' | 'accepted';

/** A device's binding facts, for ingest's in-memory map. */
export interface DeviceBindingRow {
  id: string;
  gatewayId: string;
  state: LifecycleState;
  /** The registry's district: what rules scope by, whatever a gateway's reading claims. */
  district: string | null;
  revision: number;
}

/** Page cache of a bulk write, KiB (a negative cache_size is KiB). */
const BULK_CACHE_KIB = -65_536;

function invalid(what: string, problems: FieldProblem[]): TzError {
  return new TzError('TZ_REGISTRY_INVALID', `${what}: ${problems.map((p) => `${p.column}: ${p.problem}`).join('; ')}`, { details: { problems } });
}

function notFound(kind: string, id: string): TzError {
  return new TzError('TZ_REGISTRY_NOT_FOUND', `no ${kind} "${id}" in the registry`, { details: { id } });
}

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

export class RegistryStore implements DeviceDirectory {
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
      insertDevice: p(`INSERT INTO devices (id, class, gateway_id, transport, lora_keys, poll_interval_s, deadbands, lat, lon, address, district, grid_cell, asset_id,
        vendor, model, serial, firmware, installed_on, state, tags, created_at, updated_at, revision)
        VALUES (@id, @class, @gatewayId, @transport, @loraKeys, @pollIntervalS, @deadbands, @lat, @lon, @address, @district, @gridCell, @assetId,
        @vendor, @model, @serial, @firmware, @installedOn, @state, @tags, @at, @at, @revision)`),
      updateDevice: p(`UPDATE devices SET class = @class, gateway_id = @gatewayId, transport = @transport, lora_keys = @loraKeys, poll_interval_s = @pollIntervalS,
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

  close(): void {
    if (this.db.open) this.db.close();
  }

  /** The device-change counter: bumped by every device write. */
  revision(): number {
    return this.stmt.revision.get()!.value;
  }

  /** Devices written since `revision` (their binding facts), oldest first. */
  changesSince(revision: number): DeviceBindingRow[] {
    return this.stmt.changes.all(revision).map((r) => ({ id: r.id, gatewayId: r.gateway_id, state: r.state, district: r.district, revision: r.revision }));
  }

  // ---------------------------------------------------------------- devices

  getDevice(id: string): RegisteredDevice | undefined {
    const row = this.stmt.device.get(id);
    return row ? toDevice(row) : undefined;
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

  /** The LoRa keys in clear, for rendering the gateway's config only: never log or serve them. */
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
    return {
      metricsOf: (classId) => this.profiles.get(classId)?.metrics.map((m) => m.name),
      knownClasses: () => this.profiles.all().map((p) => p.class).sort(),
      assetExists: (id) => this.stmt.asset.get(id) !== undefined,
      storedActivation: (id) => {
        const r = row(id);
        if (!r?.lora_keys || r.transport === null) return null;
        const t = JSON.parse(r.transport) as DraftTransport;
        return t.kind === 'lorawan' ? t.activation : null;
      },
      canSealKeys: this.key !== null,
      storedState: (id) => row(id)?.state,
      storedWithoutTransport: (id) => {
        const r = row(id);
        return r !== undefined && r.transport === null;
      },
    };
  }

  /** Why this draft cannot be written over what is stored (a lifecycle move that is not allowed), or null. */
  deviceWriteProblem(draft: DeviceDraft, context: DeviceCheckContext = this.deviceCheckContext()): FieldProblem | null {
    const stored = context.storedState(draft.id);
    if (stored === undefined || draft.state === null) return null;
    const problem = transitionProblem(stored, draft.state);
    return problem ? { column: 'state', problem } : null;
  }

  /**
   * Writes a checked draft: creates it, updates what differs, or leaves an
   * identical record alone (so re-importing a file changes nothing).
   * State changes follow the lifecycle table and are kept in the history.
   */
  writeDevice(draft: DeviceDraft, by: string, note: string | null = null): WriteOutcome {
    return this.writeDeviceOver(this.stmt.device.get(draft.id), draft, by, note, this.now(), () => this.stmt.bump.get()!.value);
  }

  /**
   * Many devices at once (an import), inside the caller's transaction: the
   * stored rows of all of them read in one query, one timestamp, revisions
   * counted here and the counter written once at the end. Same outcomes as
   * calling writeDevice for each.
   */
  deviceBatch(ids: readonly string[]): DeviceBatch {
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
    const row = {
      id: draft.id, class: draft.class, gatewayId: draft.gatewayId, transport: draft.transport === null ? null : JSON.stringify(draft.transport),
      pollIntervalS: draft.pollIntervalS, deadbands: JSON.stringify(draft.deadbands), lat: draft.position?.lat ?? null, lon: draft.position?.lon ?? null,
      address: draft.address, district: draft.district, gridCell: draft.gridCell, assetId: draft.assetId, vendor: draft.vendor, model: draft.model,
      serial: draft.serial, firmware: draft.firmware, installedOn: draft.installedOn, tags: JSON.stringify(draft.tags), at,
    };
    if (draft.loraKeys !== null && !this.key) throw new TzError('TZ_REGISTRY_KEY', 'LoRa keys cannot be stored without a registry key: set TZ_REGISTRY_KEY (openssl rand -hex 32) or TZ_REGISTRY_KEY_FILE');
    if (!existing) {
      const state = draft.state ?? 'planned';
      if (!CREATABLE_STATES.includes(state)) throw new TzError('TZ_REGISTRY_TRANSITION', `a new device cannot start as ${state} (one of ${CREATABLE_STATES.join(', ')})`);
      const loraKeys = draft.loraKeys === null ? null : this.key!.seal(draft.id, draft.loraKeys);
      this.stmt.insertDevice.run({ ...row, loraKeys, state, revision: nextRevision() });
      this.stmt.history.run(draft.id, null, state, by, at, note);
      return 'created';
    }
    const current = toDevice(existing);
    const state = draft.state ?? current.state;
    const stateProblem = transitionProblem(current.state, state);
    if (stateProblem) throw new TzError('TZ_REGISTRY_TRANSITION', `device ${draft.id}: ${stateProblem}`);
    // Keys: new ones replace the stored ones unless equal; none given keeps them while the device stays LoRaWAN with the same activation.
    let loraKeys: Buffer | null = existing.lora_keys;
    let keysChanged = false;
    if (draft.transport?.kind !== 'lorawan') {
      keysChanged = loraKeys !== null;
      loraKeys = null;
    } else if (draft.loraKeys !== null) {
      const stored = existing.lora_keys === null ? null : this.key!.open(draft.id, existing.lora_keys);
      if (stored === null || !sameLoraKeys(stored, draft.loraKeys)) {
        loraKeys = this.key!.seal(draft.id, draft.loraKeys);
        keysChanged = true;
      }
    }
    const contentChanged = deviceContent(draft) !== deviceContent({ ...current, transport: transportOf(current) });
    if (!contentChanged && !keysChanged && state === current.state) return 'unchanged';
    this.stmt.updateDevice.run({ ...row, loraKeys, state, revision: nextRevision() });
    if (state !== current.state) this.stmt.history.run(draft.id, current.state, state, by, at, note);
    return 'updated';
  }

  /** Creates a device from a flat record (API/CLI); refuses an id that exists. */
  createDevice(record: Record<string, unknown>, by: string): RegisteredDevice {
    return this.transaction(() => {
      const id = typeof record.id === 'string' ? record.id.trim() : '';
      if (id && this.stmt.device.get(id)) throw invalid(`device ${id}`, [{ column: 'id', problem: 'a device with this id exists (patch it instead)' }]);
      const { draft, problems } = checkDevice(record, this.deviceCheckContext());
      if (!draft) throw invalid(`device ${id || '(no id)'}`, problems);
      this.writeDevice(draft, by, 'created');
      return this.getDevice(draft.id)!;
    });
  }

  /** Changes some fields of a device (a flat partial record; `state` moves it through the lifecycle). */
  patchDevice(id: string, patch: Record<string, unknown>, by: string, note: string | null = null): { device: RegisteredDevice; outcome: WriteOutcome } {
    return this.transaction(() => {
      const current = this.getDevice(id);
      if (!current) throw notFound('device', id);
      if ('id' in patch && patch.id !== id) throw invalid(`device ${id}`, [{ column: 'id', problem: 'the id of a device cannot change' }]);
      const base = flattenDevice(current);
      // A new transport replaces the old one's fields rather than mixing with them.
      if (typeof patch.transport === 'string' && patch.transport !== base.transport) {
        for (const k of ['host', 'port', 'unit', 'line', 'devEui', 'devAddr', 'activation']) base[k] = null;
      }
      const { draft, problems } = checkDevice({ ...base, ...patch, id }, this.deviceCheckContext());
      if (!draft) throw invalid(`device ${id}`, problems);
      const outcome = this.writeDevice(draft, by, note);
      return { device: this.getDevice(id)!, outcome };
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
      this.stmt.setState.run(to, at, this.stmt.bump.get()!.value, id);
      this.stmt.history.run(id, row.state, to, by, at, note);
      return this.getDevice(id)!;
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
      const by = `gateway:${gatewayId}`;
      this.stmt.insertDevice.run({
        id: deviceId, class: profile, gatewayId, transport: null, loraKeys: null, pollIntervalS: null, deadbands: '{}', lat: null, lon: null, address: null,
        district: null, gridCell: null, assetId: null, vendor: null, model: null, serial: null, firmware: null, installedOn: null, state: 'discovered',
        tags: '[]', at, revision: this.stmt.bump.get()!.value,
      });
      this.stmt.reported.run(at, deviceId);
      this.stmt.history.run(deviceId, null, 'discovered', by, at, `reported by gateway ${gatewayId}`);
      const gateway = this.stmt.gateway.get(gatewayId);
      if (gateway?.auto_accept === 1 && gateway.state === 'active') {
        this.stmt.setState.run('active', at, this.stmt.bump.get()!.value, deviceId);
        this.stmt.history.run(deviceId, 'discovered', 'active', `auto-accept:${gatewayId}`, at, 'gateway auto-accept is on');
        return 'accepted';
      }
      return 'discovered';
    });
  }

  /** Discovered devices waiting for an operator, optionally of one gateway. */
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
      const current = this.getDevice(id);
      if (!current) throw notFound('device', id);
      if (current.state !== 'discovered') throw new TzError('TZ_REGISTRY_TRANSITION', `device ${id} is ${current.state}, not discovered: nothing to accept`);
      const state = fields.state ?? 'active';
      if (state === 'discovered' || state === 'retired') throw invalid(`device ${id}`, [{ column: 'state', problem: 'accept into planned, installed or active (retire rejects a discovered device)' }]);
      const { draft, problems } = checkDevice({ ...flattenDevice(current), ...fields, id, state }, this.deviceCheckContext());
      if (!draft) throw invalid(`device ${id}`, problems);
      this.writeDevice(draft, by, 'accepted from discovery');
      return this.getDevice(id)!;
    });
  }

  // ---------------------------------------------------------------- assets

  getAsset(id: string): Asset | undefined {
    const row = this.stmt.asset.get(id);
    return row ? toAsset(row) : undefined;
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
    const state = draft.state ?? existing?.state ?? 'active';
    if (existing) {
      const same = JSON.stringify(flattenAsset(existing)) === JSON.stringify(flattenAsset({ ...existing, ...draft, state }));
      if (same) return 'unchanged';
    }
    this.stmt.upsertAsset.run({
      id: draft.id, kind: draft.kind, name: draft.name, parentAssetId: draft.parentAssetId, lat: draft.position?.lat ?? null, lon: draft.position?.lon ?? null,
      address: draft.address, district: draft.district, gridCell: draft.gridCell, state, tags: JSON.stringify(draft.tags), at: this.now(),
    });
    return existing ? 'updated' : 'created';
  }

  createAsset(record: Record<string, unknown>): Asset {
    return this.transaction(() => {
      const id = typeof record.id === 'string' ? record.id.trim() : '';
      if (id && this.getAsset(id)) throw invalid(`asset ${id}`, [{ column: 'id', problem: 'an asset with this id exists (patch it instead)' }]);
      const { draft, problems } = checkAsset(record, { parentOf: (a) => this.assetParent(a) });
      if (!draft) throw invalid(`asset ${id || '(no id)'}`, problems);
      this.writeAsset(draft);
      return this.getAsset(draft.id)!;
    });
  }

  patchAsset(id: string, patch: Record<string, unknown>): Asset {
    return this.transaction(() => {
      const current = this.getAsset(id);
      if (!current) throw notFound('asset', id);
      if ('id' in patch && patch.id !== id) throw invalid(`asset ${id}`, [{ column: 'id', problem: 'the id of an asset cannot change' }]);
      const { draft, problems } = checkAsset({ ...flattenAsset(current), ...patch, id }, { parentOf: (a) => this.assetParent(a) });
      if (!draft) throw invalid(`asset ${id}`, problems);
      this.writeAsset(draft);
      return this.getAsset(id)!;
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

  listGateways(filter: GatewayFilter = {}): Gateway[] {
    const { sql, args } = filterClause('gateways', [['district', filter.district], ['state', filter.state]], filter.tag);
    return (this.db.prepare(`SELECT * FROM gateways ${sql} ORDER BY id${page(filter)}`).all(...args) as GatewayRow[]).map(toGateway);
  }

  writeGateway(draft: GatewayDraft): WriteOutcome {
    const existing = this.getGateway(draft.id);
    const state = draft.state ?? existing?.state ?? 'active';
    if (existing && JSON.stringify(flattenGateway(existing)) === JSON.stringify(flattenGateway({ ...existing, ...draft, state }))) return 'unchanged';
    this.stmt.upsertGateway.run({
      id: draft.id, name: draft.name, lat: draft.position?.lat ?? null, lon: draft.position?.lon ?? null, address: draft.address, district: draft.district,
      autoAccept: draft.autoAccept ? 1 : 0, state, tags: JSON.stringify(draft.tags), at: this.now(),
    });
    return existing ? 'updated' : 'created';
  }

  createGateway(record: Record<string, unknown>): Gateway {
    return this.transaction(() => {
      const id = typeof record.id === 'string' ? record.id.trim() : '';
      if (id && this.getGateway(id)) throw invalid(`gateway ${id}`, [{ column: 'id', problem: 'a gateway with this id exists (patch it instead)' }]);
      const { draft, problems } = checkGateway(record);
      if (!draft) throw invalid(`gateway ${id || '(no id)'}`, problems);
      this.writeGateway(draft);
      return this.getGateway(draft.id)!;
    });
  }

  patchGateway(id: string, patch: Record<string, unknown>): Gateway {
    return this.transaction(() => {
      const current = this.getGateway(id);
      if (!current) throw notFound('gateway', id);
      if ('id' in patch && patch.id !== id) throw invalid(`gateway ${id}`, [{ column: 'id', problem: 'the id of a gateway cannot change' }]);
      const { draft, problems } = checkGateway({ ...flattenGateway(current), ...patch, id });
      if (!draft) throw invalid(`gateway ${id}`, problems);
      this.writeGateway(draft);
      return this.getGateway(id)!;
    });
  }

  retireGateway(id: string): Gateway {
    return this.patchGateway(id, { state: 'retired' });
  }

  /** The config version a gateway says it applied (called by the config push when the gateway reports it). */
  setReportedConfigVersion(gatewayId: string, version: number): void {
    if (this.stmt.configVersion.run(version, this.now(), gatewayId).changes === 0) throw notFound('gateway', gatewayId);
  }
}

export function openRegistryStore(path: string, options: RegistryStoreOptions): RegistryStore {
  return new RegistryStore(path, options);
}
