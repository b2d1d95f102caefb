import type { DeviceDraft, DraftTransport } from './device-record.ts';
import type { Asset, Gateway, LifecycleState, RecordState, RegisteredDevice, TransportAddress } from './model.ts';

// Table rows ↔ records, and the comparable content of a device record.

export interface DeviceRow {
  id: string; class: string; gateway_id: string; transport: string | null; lora_keys: Buffer | null; poll_interval_s: number | null; deadbands: string;
  lat: number | null; lon: number | null; address: string | null; district: string | null; grid_cell: string | null; asset_id: string | null;
  vendor: string | null; model: string | null; serial: string | null; firmware: string | null; installed_on: string | null;
  state: LifecycleState; tags: string; created_at: string; updated_at: string;
}
export interface AssetRow {
  id: string; kind: string; name: string | null; parent_asset_id: string | null; lat: number | null; lon: number | null; address: string | null;
  district: string | null; grid_cell: string | null; state: RecordState; tags: string; created_at: string; updated_at: string;
}
export interface GatewayRow {
  id: string; name: string | null; lat: number | null; lon: number | null; address: string | null; district: string | null; auto_accept: number;
  reported_config_version: number | null; state: RecordState; tags: string; created_at: string; updated_at: string;
}

export function toDevice(r: DeviceRow): RegisteredDevice {
  let transport: TransportAddress | null = null;
  if (r.transport !== null) {
    const t = JSON.parse(r.transport) as DraftTransport;
    transport = t.kind === 'lorawan' ? { ...t, keysStored: r.lora_keys !== null } : t;
  }
  return {
    id: r.id, class: r.class, gatewayId: r.gateway_id, transport, pollIntervalS: r.poll_interval_s, deadbands: JSON.parse(r.deadbands) as Record<string, number>,
    position: r.lat === null || r.lon === null ? null : { lat: r.lat, lon: r.lon }, address: r.address, district: r.district, gridCell: r.grid_cell,
    assetId: r.asset_id, vendor: r.vendor, model: r.model, serial: r.serial, firmware: r.firmware, installedOn: r.installed_on, state: r.state,
    tags: JSON.parse(r.tags) as string[], createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export function toAsset(r: AssetRow): Asset {
  return {
    id: r.id, kind: r.kind, name: r.name, parentAssetId: r.parent_asset_id, position: r.lat === null || r.lon === null ? null : { lat: r.lat, lon: r.lon },
    address: r.address, district: r.district, gridCell: r.grid_cell, state: r.state, tags: JSON.parse(r.tags) as string[], createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

export function toGateway(r: GatewayRow): Gateway {
  return {
    id: r.id, name: r.name, position: r.lat === null || r.lon === null ? null : { lat: r.lat, lon: r.lon }, address: r.address, district: r.district,
    autoAccept: r.auto_accept === 1, reportedConfigVersion: r.reported_config_version, state: r.state, tags: JSON.parse(r.tags) as string[],
    createdAt: r.created_at, updatedAt: r.updated_at,
  };
}

/** The content of a device record, keys and state apart, as one comparable text. */
export function deviceContent(d: Pick<DeviceDraft, 'class' | 'gatewayId' | 'transport' | 'pollIntervalS' | 'deadbands' | 'position' | 'address' | 'district' | 'gridCell' | 'assetId' | 'vendor' | 'model' | 'serial' | 'firmware' | 'installedOn' | 'tags'>): string {
  const deadbands = Object.fromEntries(Object.entries(d.deadbands).sort(([a], [b]) => (a < b ? -1 : 1)));
  return JSON.stringify([d.class, d.gatewayId, d.transport, d.pollIntervalS, deadbands, d.position?.lat ?? null, d.position?.lon ?? null, d.address, d.district, d.gridCell, d.assetId, d.vendor, d.model, d.serial, d.firmware, d.installedOn, d.tags]);
}

export function transportOf(device: RegisteredDevice): DraftTransport | null {
  const t = device.transport;
  if (t === null || t.kind !== 'lorawan') return t;
  return { kind: t.kind, devEui: t.devEui, devAddr: t.devAddr, activation: t.activation };
}

