import { readFileSync } from 'node:fs';

// District outlines (GeoJSON shipped with the console) and where a device is
// drawn when the device registry carries no coordinates: a point inside its
// district chosen by a hash of its id, so it stays put between page loads.

type Ring = Array<[number, number]>;
export interface DistrictFeature { type: 'Feature'; properties: { id: string; name: string }; geometry: { type: 'Polygon'; coordinates: Ring[] } }
export interface DistrictCollection { type: 'FeatureCollection'; features: DistrictFeature[] }

export function loadDistricts(file: string): DistrictCollection {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as DistrictCollection;
  if (parsed.type !== 'FeatureCollection' || !Array.isArray(parsed.features)) throw new Error(`${file}: not a GeoJSON FeatureCollection`);
  return parsed;
}

function inside([x, y]: [number, number], ring: Ring): boolean {
  let hit = false;
  for (let i = 0, j = ring.length - 1; i < ring.length; j = i++) {
    const [xi, yi] = ring[i]!;
    const [xj, yj] = ring[j]!;
    if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) hit = !hit;
  }
  return hit;
}

function hash32(text: string, salt: number): number {
  let h = 2166136261 ^ salt;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0) / 0x1_0000_0000;
}

export class DevicePlacement {
  private readonly byId = new Map<string, DistrictFeature>();
  private readonly all: DistrictFeature[];

  constructor(districts: DistrictCollection) {
    this.all = districts.features;
    for (const f of districts.features) this.byId.set(f.properties.id, f);
  }

  /** [lat, lon] for a device; devices of unknown districts land in the first district's box. */
  position(deviceId: string, district: string): [number, number] {
    const feature = this.byId.get(district) ?? this.all[0];
    if (!feature) return [0, 0];
    const ring = feature.geometry.coordinates[0]!;
    const xs = ring.map((p) => p[0]);
    const ys = ring.map((p) => p[1]);
    const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    for (let attempt = 0; attempt < 64; attempt++) {
      const point: [number, number] = [minX + hash32(deviceId, attempt * 2) * (maxX - minX), minY + hash32(deviceId, attempt * 2 + 1) * (maxY - minY)];
      if (inside(point, ring)) return [Number(point[1].toFixed(6)), Number(point[0].toFixed(6))];
    }
    return [(minY + maxY) / 2, (minX + maxX) / 2];
  }
}
