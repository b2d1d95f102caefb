import type { Clock, Maybe, Steps } from '../service-kit/index.ts';
import type { AssetDraft } from './asset-record.ts';
import type { DeviceCheckContext, DeviceDraft } from './device-record.ts';
import type { GatewayDraft } from './gateway-record.ts';
import type { RegistryKey } from './lora-keys.ts';
import type {
  Asset, AssetFilter, DeviceFilter, Gateway, GatewayFilter, LifecycleEvent, LifecycleState, LoraKeys, RegisteredDevice,
} from './model.ts';

// The registry's store as a contract (issue 20): what the HTTP routes, the
// import, ingest's binding, the centre and the CLI use. SQLite (store.ts, the
// default: one file, synchronous) and PostgreSQL (postgres-store.ts: a city's
// shared database, several processes) stand behind it, and both pass one
// shared suite (test/registry-store.suite.ts).
//
// A method answers a value or a Promise of it (`Maybe<T>`, service-kit/steps.ts):
// SQLite answers synchronously, so ingest's per-reading path and the CLI stay
// synchronous with it; callers that serve both `await` (awaiting a value is free).

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

/** A bulk write of devices: check records with `context` (synchronous: what it needs was read up front), then write the valid drafts with `writeAll` (same transaction). */
export interface DeviceBatch {
  context: DeviceCheckContext;
  writeAll(drafts: readonly DeviceDraft[], by: string, note: string | null, progress?: (done: number) => void): Maybe<WriteOutcome[]>;
}

/** What an import may do inside its one transaction. */
export interface RegistryImportTx {
  /** The stored rows of the file's device ids and the existence of the assets it names, read once; checks run on them, then one batch write. */
  deviceBatch(ids: readonly string[], assetIds: readonly string[]): Maybe<DeviceBatch>;
  /** Every stored asset and its parent (null for a root): the parent and loop checks of an asset import. */
  assetParents(): Maybe<ReadonlyMap<string, string | null>>;
  writeAssets(drafts: readonly AssetDraft[], progress?: (done: number) => void): Maybe<WriteOutcome[]>;
  writeGateways(drafts: readonly GatewayDraft[], progress?: (done: number) => void): Maybe<WriteOutcome[]>;
}

export interface RegistryStore {
  /** 'sqlite' answers synchronously; 'postgres' is shared by several processes. */
  readonly kind: 'sqlite' | 'postgres';

  /** The device-change counter: bumped by every device write, in commit order (a reader never skips a revision another writer commits later). */
  revision(): Maybe<number>;
  /** Devices written since `revision` (their binding facts), oldest first. */
  changesSince(revision: number): Maybe<DeviceBindingRow[]>;

  getDevice(id: string): Maybe<RegisteredDevice | undefined>;
  listDevices(filter?: DeviceFilter): Maybe<RegisteredDevice[]>;
  countDevices(filter?: DeviceFilter): Maybe<number>;
  devicesOfGateway(gatewayId: string): Maybe<RegisteredDevice[]>;
  history(deviceId: string): Maybe<LifecycleEvent[]>;
  /** The LoRa keys in clear, for rendering the gateway's config only: never log or serve them. */
  revealLoraKeys(deviceId: string): Maybe<LoraKeys | null>;
  /** Creates a device from a flat record (API/CLI); refuses an id that exists. */
  createDevice(record: Record<string, unknown>, by: string): Maybe<RegisteredDevice>;
  /** Changes some fields of a device (a flat partial record; `state` moves it through the lifecycle). */
  patchDevice(id: string, patch: Record<string, unknown>, by: string, note?: string | null): Maybe<{ device: RegisteredDevice; outcome: WriteOutcome }>;
  transition(id: string, to: LifecycleState, by: string, note?: string | null): Maybe<RegisteredDevice>;
  retireDevice(id: string, by: string, note?: string | null): Maybe<RegisteredDevice>;
  /** A gateway reported a device: kept as discovered (or accepted at once by gateway auto-accept) unless registered. */
  noteReportedDevice(gatewayId: string, deviceId: string, profile: string): Maybe<ReportOutcome>;
  listDiscovered(gatewayId?: string): Maybe<RegisteredDevice[]>;
  acceptDevice(id: string, by: string, fields?: Record<string, unknown>): Maybe<RegisteredDevice>;

  getAsset(id: string): Maybe<Asset | undefined>;
  listAssets(filter?: AssetFilter): Maybe<Asset[]>;
  createAsset(record: Record<string, unknown>): Maybe<Asset>;
  patchAsset(id: string, patch: Record<string, unknown>): Maybe<Asset>;
  retireAsset(id: string): Maybe<Asset>;

  getGateway(id: string): Maybe<Gateway | undefined>;
  listGateways(filter?: GatewayFilter): Maybe<Gateway[]>;
  createGateway(record: Record<string, unknown>): Maybe<Gateway>;
  patchGateway(id: string, patch: Record<string, unknown>): Maybe<Gateway>;
  retireGateway(id: string): Maybe<Gateway>;
  /** The config version a gateway says it applied (the config push, from the gateway's status). */
  setReportedConfigVersion(gatewayId: string, version: number): Maybe<void>;

  /**
   * Runs an import in one transaction (all or nothing). With PostgreSQL a
   * transaction whose connection was lost before COMMIT, or that met a
   * conflicting writer, runs again from the start: `work` keeps its side
   * effects (progress aside) outside.
   */
  importTransaction<T>(work: (tx: RegistryImportTx) => Steps<T>): Maybe<T>;
  close(): Maybe<void>;
}
