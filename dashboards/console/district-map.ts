import { readFileSync } from 'node:fs';
import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';

// The city map the console draws: districts, grid cells (网格) and streets as
// one GeoJSON FeatureCollection (features carry `kind`: district | cell |
// street; a plain file of district polygons works too). The rules service
// hands it the city plan (registry/places); the file shipped in static/ is
// the same schematic 驻马店, for a console mounted without one. Devices are
// drawn where the registry (or the simulator) puts them; one with no known
// position is drawn at a point inside its district chosen by a hash of its
// id, so it stays put between page loads, and is flagged `estimated`.

type Ring = Array<[number, number]>;
export interface CityMapFeature {
  type: 'Feature';
  properties: { kind?: 'district' | 'cell' | 'street'; id?: string; name: string; [key: string]: unknown };
  geometry: { type: 'Polygon'; coordinates: Ring[] } | { type: 'LineString'; coordinates: Ring };
}
export interface CityMapCollection { type: 'FeatureCollection'; schematic?: boolean; city?: { name: string }; features: CityMapFeature[] }
type DistrictFeature = CityMapFeature & { geometry: { type: 'Polygon'; coordinates: Ring[] } };

export function loadCityMapFile(file: string): CityMapCollection {
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as CityMapCollection;
  return checkCityMap(parsed, file);
}

export function checkCityMap(parsed: CityMapCollection, source: string): CityMapCollection {
  if (parsed?.type !== 'FeatureCollection' || !Array.isArray(parsed.features)) throw new Error(`${source}: not a GeoJSON FeatureCollection`);
  return parsed;
}

function hash32(text: string, salt: number): number {
  let h = 2166136261 ^ salt;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return (h >>> 0) / 0x1_0000_0000;
}

export class DevicePlacement {
  private readonly byId = new Map<string, DistrictFeature>();
  private readonly all: DistrictFeature[];

  constructor(city: CityMapCollection) {
    this.all = city.features.filter((f): f is DistrictFeature => (f.properties.kind ?? 'district') === 'district' && f.geometry.type === 'Polygon');
    for (const f of this.all) if (f.properties.id) this.byId.set(f.properties.id, f);
  }

  /** An estimated [lat, lon] for a device with no known position; unknown districts land in the first district. */
  position(deviceId: string, district: string): [number, number] {
    const feature = this.byId.get(district) ?? this.all[0];
    if (!feature) return [0, 0];
    const [ring] = feature.geometry.coordinates;
    if (!ring) return [0, 0];
    const xs = ring.map((p) => p[0]);
    const ys = ring.map((p) => p[1]);
    const [minX, maxX, minY, maxY] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
    for (let attempt = 0; attempt < 64; attempt++) {
      const point: [number, number] = [minX + hash32(deviceId, attempt * 2) * (maxX - minX), minY + hash32(deviceId, attempt * 2 + 1) * (maxY - minY)];
      if (booleanPointInPolygon(point, feature.geometry, { ignoreBoundary: true })) return [Number(point[1].toFixed(6)), Number(point[0].toFixed(6))];
    }
    return [(minY + maxY) / 2, (minX + maxX) / 2];
  }
}
