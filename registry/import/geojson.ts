import type { Position } from '../model.ts';
import type { RowProblem, SourceFile, SourceRecord } from './report.ts';

// GeoJSON (RFC 7946) in and out: a FeatureCollection of Points, the flat
// record in `properties`. RFC 7946 §4 says WGS-84; tools that draw on Chinese
// map tiles export GCJ-02, so `properties.crs: "gcj02"` says so and the
// position is converted like a CSV row's. Features are numbered from 1.

export function readGeoJson(text: string): SourceFile {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    return { rows: 0, records: [], problems: [{ row: 0, column: '', problem: `not valid JSON: ${(err as Error).message}` }] };
  }
  const fc = doc as { type?: unknown; features?: unknown };
  if (typeof doc !== 'object' || doc === null || fc.type !== 'FeatureCollection' || !Array.isArray(fc.features)) {
    return { rows: 0, records: [], problems: [{ row: 0, column: '', problem: 'not a GeoJSON FeatureCollection (type: "FeatureCollection", features: [...])' }] };
  }
  const records: SourceRecord[] = [];
  const problems: RowProblem[] = [];
  fc.features.forEach((feature: unknown, i: number) => {
    const row = i + 1;
    const f = feature as { type?: unknown; geometry?: unknown; properties?: unknown };
    if (typeof feature !== 'object' || feature === null || f.type !== 'Feature') {
      problems.push({ row, column: '', problem: 'not a GeoJSON Feature' });
      return;
    }
    const properties = f.properties ?? {};
    if (typeof properties !== 'object' || properties === null || Array.isArray(properties)) {
      problems.push({ row, column: 'properties', problem: 'must be an object' });
      return;
    }
    const fields: Record<string, unknown> = { ...(properties as Record<string, unknown>) };
    const geometry = f.geometry as { type?: unknown; coordinates?: unknown } | null | undefined;
    if (geometry !== null && geometry !== undefined) {
      const c = geometry.coordinates;
      if (geometry.type !== 'Point' || !Array.isArray(c) || c.length < 2 || typeof c[0] !== 'number' || typeof c[1] !== 'number') {
        problems.push({ row, column: 'geometry', problem: 'must be a Point [lon, lat] or null' });
        return;
      }
      if ('lat' in fields || 'lon' in fields) {
        problems.push({ row, column: 'geometry', problem: 'position given twice (geometry and lat/lon properties)' });
        return;
      }
      fields.lon = c[0];
      fields.lat = c[1];
    }
    records.push({ row, fields });
  });
  return { rows: fc.features.length, records, problems };
}

export function writeGeoJson(records: ReadonlyArray<{ position: Position | null; properties: Record<string, unknown> }>): string {
  const features = records.map((r) => ({
    type: 'Feature',
    geometry: r.position ? { type: 'Point', coordinates: [r.position.lon, r.position.lat] } : null,
    properties: Object.fromEntries(Object.entries(r.properties).filter(([k, v]) => k !== 'lat' && k !== 'lon' && k !== 'crs' && v !== null)),
  }));
  return JSON.stringify({ type: 'FeatureCollection', features });
}
