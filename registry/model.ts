// The registry's records as every other room sees them: devices (with their
// transport address, position and lifecycle), assets (the pole or shaft a
// device is mounted on, nestable) and gateways. Positions are always WGS-84
// here; GCJ-02 input is converted on the way in (position.ts).

/** planned → installed → active ⇄ maintenance → retired; `discovered` is a device a gateway reported that nobody registered. */
export const LIFECYCLE_STATES = ['discovered', 'planned', 'installed', 'active', 'maintenance', 'retired'] as const;
export type LifecycleState = (typeof LIFECYCLE_STATES)[number];

/** Assets and gateways have no installation workflow: they are in service or retired. */
export const RECORD_STATES = ['active', 'retired'] as const;
export type RecordState = (typeof RECORD_STATES)[number];

export const TRANSPORT_KINDS = ['modbus-tcp', 'modbus-rtu', 'lorawan', 'dlt645', 'cjt188'] as const;
export type TransportKind = (typeof TRANSPORT_KINDS)[number];

/** WGS-84 degrees. */
export interface Position {
  lat: number;
  lon: number;
}

export interface ModbusTcpAddress {
  kind: 'modbus-tcp';
  host: string;
  port: number;
  unit: number;
}

export interface ModbusRtuAddress {
  kind: 'modbus-rtu';
  /** The gateway's serial line name (as in its config, e.g. `rs485-1`). */
  line: string;
  unit: number;
}

/** A LoRaWAN device as the API shows it: the session keys never leave the store in clear (`keysStored` says whether it has them). */
export interface LorawanAddress {
  kind: 'lorawan';
  /** 16 hex digits, upper case. */
  devEui: string;
  /** 8 hex digits; set for ABP, may be null for OTAA before the join. */
  devAddr: string | null;
  activation: 'abp' | 'otaa';
  keysStored: boolean;
}

/**
 * A meter read over a China field protocol: DL/T 645-2007 (electricity, 12-digit
 * nameplate address) or CJ/T 188-2004 (water/heat/gas, 14-digit address), on
 * one of the gateway's RS-485 lines or behind a transparent serial server (TCP).
 */
export interface FieldMeterAddress {
  kind: 'dlt645' | 'cjt188';
  /** The meter address as printed (digits). */
  meterAddress: string;
  line: string | null;
  host: string | null;
  port: number | null;
}

export type TransportAddress = ModbusTcpAddress | ModbusRtuAddress | LorawanAddress | FieldMeterAddress;

/** LoRaWAN keys in clear: only for whoever renders a gateway's config (never logged, never in an API answer). */
export type LoraKeys = { activation: 'abp'; nwkSKey: string; appSKey: string } | { activation: 'otaa'; appKey: string };

export interface RegisteredDevice {
  id: string;
  /** The device profile's class id. */
  class: string;
  gatewayId: string;
  /**
   * How the gateway reaches it. null only for a device a gateway reported
   * (discovered, or accepted from discovery) that nobody addressed yet: the
   * gateway's own config reaches it.
   */
  transport: TransportAddress | null;
  /** Overrides of the profile's poll / report interval, seconds. */
  pollIntervalS: number | null;
  /** Per-metric report deadband overrides. */
  deadbands: Record<string, number>;
  position: Position | null;
  address: string | null;
  district: string | null;
  gridCell: string | null;
  assetId: string | null;
  vendor: string | null;
  model: string | null;
  serial: string | null;
  firmware: string | null;
  /** YYYY-MM-DD. */
  installedOn: string | null;
  state: LifecycleState;
  tags: string[];
  /** ISO-8601. */
  createdAt: string;
  updatedAt: string;
}

export interface Asset {
  id: string;
  /** pole, shaft, toilet-block, pipe-section, …: free lower-kebab-case words. */
  kind: string;
  name: string | null;
  parentAssetId: string | null;
  position: Position | null;
  address: string | null;
  district: string | null;
  gridCell: string | null;
  state: RecordState;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface Gateway {
  id: string;
  name: string | null;
  position: Position | null;
  address: string | null;
  district: string | null;
  /** Devices this gateway reports that nobody registered are accepted at once (default off: an operator accepts them). */
  autoAccept: boolean;
  /** The config version the gateway last said it applied (set by the config push), null before any. */
  reportedConfigVersion: number | null;
  state: RecordState;
  tags: string[];
  createdAt: string;
  updatedAt: string;
}

export interface DeviceFilter {
  gatewayId?: string;
  class?: string;
  district?: string;
  gridCell?: string;
  state?: LifecycleState;
  tag?: string;
  assetId?: string;
  limit?: number;
  offset?: number;
}

export interface AssetFilter {
  kind?: string;
  district?: string;
  gridCell?: string;
  parentAssetId?: string;
  state?: RecordState;
  tag?: string;
  limit?: number;
  offset?: number;
}

export interface GatewayFilter {
  district?: string;
  state?: RecordState;
  tag?: string;
  limit?: number;
  offset?: number;
}

/** One lifecycle step of a device: who moved it, when, from where to where. */
export interface LifecycleEvent {
  deviceId: string;
  /** null for the record's creation. */
  from: LifecycleState | null;
  to: LifecycleState;
  by: string;
  /** ISO-8601. */
  at: string;
  note: string | null;
}

/** What other rooms read: device facts (the gateway config push, the map, ingest's binding). */
export interface DeviceDirectory {
  getDevice(id: string): RegisteredDevice | undefined;
  listDevices(filter?: DeviceFilter): RegisteredDevice[];
  devicesOfGateway(gatewayId: string): RegisteredDevice[];
}
