import gcoordModule from 'gcoord';
import type { Position } from './model.ts';

// Maps sold in China (AMap/Gaode, Tencent) give GCJ-02 ("Mars") coordinates,
// offset by up to ~700 m from WGS-84; survey GPS gives WGS-84. The registry
// stores WGS-84 only; input marked gcj02 is converted with gcoord.

// gcoord's CommonJS build is its API as module.exports; its types describe an ES module with a default export.
type GcoordApi = (typeof gcoordModule)['default'];
const gcoord: GcoordApi = ('transform' in gcoordModule ? gcoordModule : (gcoordModule as { default: GcoordApi }).default) as GcoordApi;

export const COORDINATE_SYSTEMS = ['wgs84', 'gcj02'] as const;
export type CoordinateSystem = (typeof COORDINATE_SYSTEMS)[number];

/** 7 decimals ≈ 1 cm: stable, so re-importing a converted position compares equal. */
function round7(value: number): number {
  return Math.round(value * 1e7) / 1e7;
}

export function toWgs84(lat: number, lon: number, crs: CoordinateSystem): Position {
  if (crs === 'wgs84') return { lat: round7(lat), lon: round7(lon) };
  const [wLon, wLat] = gcoord.transform([lon, lat], gcoord.GCJ02, gcoord.WGS84) as [number, number];
  return { lat: round7(wLat), lon: round7(wLon) };
}

/** For maps drawn on GCJ-02 tiles. */
export function toGcj02(position: Position): Position {
  const [lon, lat] = gcoord.transform([position.lon, position.lat], gcoord.WGS84, gcoord.GCJ02) as [number, number];
  return { lat: round7(lat), lon: round7(lon) };
}

/** Great-circle distance in metres (haversine, mean Earth radius). */
export function distanceM(a: Position, b: Position): number {
  const rad = Math.PI / 180;
  const dLat = (b.lat - a.lat) * rad;
  const dLon = (b.lon - a.lon) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.lat * rad) * Math.cos(b.lat * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6_371_008.8 * Math.asin(Math.sqrt(h));
}
