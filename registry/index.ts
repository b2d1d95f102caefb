// The registry room: devices (transport address, position, lifecycle with
// history), assets (nestable), gateways; bulk import/export (CSV, GeoJSON);
// discovered devices; the in-memory binding ingest checks readings against;
// the HTTP API. SQLite (WAL); LoRa keys sealed with AES-256-GCM.
export type {
  RegisteredDevice, Asset, Gateway, Position, TransportAddress, ModbusTcpAddress, ModbusRtuAddress, LorawanAddress, LoraKeys,
  LifecycleState, RecordState, TransportKind, DeviceFilter, AssetFilter, GatewayFilter, LifecycleEvent, DeviceDirectory,
} from './model.ts';
export { LIFECYCLE_STATES, RECORD_STATES, TRANSPORT_KINDS } from './model.ts';
export { TRANSITIONS, CREATABLE_STATES, canTransition, transitionProblem } from './lifecycle.ts';
export { SqliteRegistryStore, openRegistryStore } from './store.ts';
export type { RegistryStore, RegistryStoreOptions, ProfileSource, WriteOutcome, ReportOutcome, DeviceBindingRow, DeviceBatch, RegistryImportTx } from './registry-store.ts';
export { RegistryKey, type RegistryKeySource } from './lora-keys.ts';
export { toWgs84, toGcj02, distanceM, COORDINATE_SYSTEMS, type CoordinateSystem } from './position.ts';
export { DEVICE_COLUMNS, DEVICE_EXPORT_COLUMNS } from './device-record.ts';
export { ASSET_COLUMNS } from './asset-record.ts';
export { GATEWAY_COLUMNS } from './gateway-record.ts';
export type { FieldProblem } from './fields.ts';
export { importFile, exportFile, readSource, type ImportOptions, type ExportOptions, type ImportFormat } from './import/apply.ts';
export { formatReport, type ImportReport, type RowProblem, type RecordKind } from './import/report.ts';
export { RegistryBinding, openRegistryBinding, openRegistryBindingAt, type RegistryBindingOptions, type BindingProblem } from './binding.ts';
export { registerRegistryRoutes, type RegistryRoutesOptions } from './http-routes.ts';
export * from './places/index.ts';
export * from './config-push/index.ts';
export * from './commands/index.ts';
export { startRegistryCentre, gatewayConfigDevices, type RegistryCentre, type RegistryCentreOptions } from './centre.ts';
export { registerDeviceInfoGauges, type DeviceInfoSource } from './device-info-metrics.ts';
export { openRegistry, type OpenRegistryOptions } from './open-store.ts';
export type { PostgresRegistryStore, PostgresRegistryStoreOptions } from './postgres-store.ts';
export { RegistryDeviceSnapshot } from './device-snapshot.ts';
