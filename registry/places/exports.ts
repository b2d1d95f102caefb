import type { CityMap } from './locate.ts';
import type { DeviceSite } from './street-sites.ts';
import type { LonLat } from './city-plan.ts';

// The city as the console draws it (districts, grid cells, streets as one
// GeoJSON FeatureCollection) and the simulated devices as registry import
// rows, so the registry can be seeded from the sim.

type Feature = {
  type: 'Feature';
  properties: { kind: 'district' | 'cell' | 'street'; name: string; [key: string]: string | boolean };
  geometry: { type: 'Polygon'; coordinates: LonLat[][] } | { type: 'LineString'; coordinates: LonLat[] };
};

export function cityMapGeoJson(map: CityMap): { type: 'FeatureCollection'; city: CityMap['city']; schematic: boolean; features: Feature[] } {
  return {
    type: 'FeatureCollection', city: map.city, schematic: map.schematic,
    features: [
      ...map.districts.map((d): Feature => ({ type: 'Feature', properties: { kind: 'district', id: d.id, name: d.name, nameEn: d.nameEn, code: d.code, schematic: d.schematic }, geometry: { type: 'Polygon', coordinates: d.rings } })),
      ...map.cells.map((c): Feature => ({ type: 'Feature', properties: { kind: 'cell', id: c.id, name: c.name, district: c.district }, geometry: { type: 'Polygon', coordinates: c.rings } })),
      ...map.streets.map((s): Feature => ({ type: 'Feature', properties: { kind: 'street', name: s.name, nameEn: s.nameEn }, geometry: { type: 'LineString', coordinates: s.path } })),
    ],
  };
}

/** What the sim (or anything else) knows of a placed device; structural, so registry/ need not import firmware-sim/. */
export interface PlacedDevice {
  deviceId: string;
  profile: string;
  gatewayId: string;
  transport: 'tcp' | 'rtu' | 'lora';
  host: string;
  port: number;
  unitId: number;
  site?: DeviceSite;
}

/** Registry device import columns (the registry's CSV header names), in order. */
export const CITY_DEVICE_COLUMNS = ['id', 'class', 'gatewayId', 'transport', 'host', 'port', 'unit', 'lat', 'lon', 'address', 'district', 'gridCell', 'assetId'] as const;
export type CityDeviceRow = Record<(typeof CITY_DEVICE_COLUMNS)[number], string>;

/** The asset a device is mounted on: one per device in the simulated city (`asset-mh-0001`). */
export const assetIdOf = (deviceId: string): string => `asset-${deviceId}`;

const TRANSPORT = { tcp: 'modbus-tcp', rtu: 'modbus-rtu', lora: 'lorawan' } as const;

/** One row per device; empty strings where nothing is known (RTU lines and LoRa keys are the gateway config's business). */
export function cityDeviceRows(devices: readonly PlacedDevice[]): CityDeviceRow[] {
  return devices.map(cityDeviceRow);
}

function cityDeviceRow(d: PlacedDevice): CityDeviceRow {
  return {
    id: d.deviceId, class: d.profile, gatewayId: d.gatewayId, transport: TRANSPORT[d.transport],
    host: d.transport === 'tcp' ? d.host : '', port: d.transport === 'tcp' ? String(d.port) : '', unit: d.transport === 'lora' ? '' : String(d.unitId),
    lat: d.site ? String(d.site.lat) : '', lon: d.site ? String(d.site.lon) : '', address: d.site?.address ?? '',
    district: d.site?.district ?? '', gridCell: d.site?.gridCell ?? '', assetId: assetIdOf(d.deviceId),
  };
}

/** The same devices as a GeoJSON FeatureCollection of points (properties = the row). */
export function cityDevicesGeoJson(devices: readonly PlacedDevice[]): { type: 'FeatureCollection'; features: Array<{ type: 'Feature'; properties: CityDeviceRow; geometry: { type: 'Point'; coordinates: [number, number] } }> } {
  return {
    type: 'FeatureCollection',
    features: devices.flatMap((d) => (d.site ? [{ type: 'Feature' as const, properties: cityDeviceRow(d), geometry: { type: 'Point' as const, coordinates: [d.site.lon, d.site.lat] as [number, number] } }] : [])),
  };
}
