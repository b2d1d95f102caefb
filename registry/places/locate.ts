import { booleanPointInPolygon } from '@turf/boolean-point-in-polygon';
import { cityPlanFile, parseCityPlan, readCityPlanFile, type BBox, type CityPlan, type LonLat } from './city-plan.ts';

// Where a point is: district and grid cell, by point-in-polygon
// (@turf/boolean-point-in-polygon) behind a bounding-box prefilter, so a
// point costs a few comparisons per district and a turf test only where the
// box says it may be inside. A point on a shared edge belongs to the first
// district / cell in file order.

export interface Place {
  district: string;
  districtName: string;
  gridCell: string;
  gridName: string;
}

/** A district hit without a cell (between cells of an irregular outline) carries gridCell ''. */
export type Locate = (lat: number, lon: number) => Place | null;

/** Inside or on the boundary (GeoJSON order: [lon, lat]). */
export function insideRings(point: LonLat, rings: LonLat[][]): boolean {
  return booleanPointInPolygon(point, { type: 'Polygon', coordinates: rings });
}

const inBox = (lon: number, lat: number, b: BBox): boolean => lon >= b[0] && lon <= b[2] && lat >= b[1] && lat <= b[3];

export interface CityMap extends CityPlan {
  locate: Locate;
}

/** Adds `locate` to a plan. */
export function withLocate(plan: CityPlan): CityMap {
  const districts = plan.districts.map((d) => ({ d, cells: plan.cells.filter((c) => c.district === d.id) }));
  const locate: Locate = (lat, lon) => {
    if (!Number.isFinite(lat) || !Number.isFinite(lon)) return null;
    for (const { d, cells } of districts) {
      if (!inBox(lon, lat, d.bbox) || !insideRings([lon, lat], d.rings)) continue;
      const cell = cells.find((c) => inBox(lon, lat, c.bbox) && insideRings([lon, lat], c.rings));
      return { district: d.id, districtName: d.name, gridCell: cell?.id ?? '', gridName: cell?.name ?? '' };
    }
    return null;
  };
  return { ...plan, locate };
}

/** Loads the city plan: `file`, else env TZ_CITY_BOUNDARIES, else the shipped schematic 驻马店. */
export function loadCityMap(file?: string, env: NodeJS.ProcessEnv = process.env): CityMap {
  const path = cityPlanFile(file, env);
  return withLocate(parseCityPlan(readCityPlanFile(path), path, insideRings));
}
