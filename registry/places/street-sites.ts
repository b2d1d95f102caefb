import { TzError } from '../../service-kit/index.ts';
import type { CityMap } from './locate.ts';

// Where devices stand: along the main streets of their district, evenly
// spaced over the street length inside it, alternately on either side of the
// carriageway (odd house numbers on one side, even on the other, as Chinese
// street numbering does). Deterministic: the same plan and count give the
// same sites.

export interface DeviceSite {
  lat: number;
  lon: number;
  district: string;
  districtName: string;
  gridCell: string;
  gridName: string;
  street: string;
  /** e.g. 驻马店市驿城区解放路128号 */
  address: string;
}

const M_PER_DEG_LAT = 111_320;
/** Sample step along a street (m): fine enough that sites on a 1 km grid land in the right cell. */
const SAMPLE_M = 5;
/** Devices stand this far from the street's centre line (m). */
const ROADSIDE_M = 9;
/** Metres of frontage per house number. */
const FRONTAGE_M = 12;

const round6 = (v: number): number => Number(v.toFixed(6));

interface Sample { lon: number; lat: number; street: string; alongM: number; dirLon: number; dirLat: number }

function samplesOf(map: CityMap, district: string): Sample[] {
  const out: Sample[] = [];
  for (const s of map.streets) {
    let alongM = 0;
    for (const [i, b] of s.path.entries()) {
      const a = s.path[i - 1];
      if (a === undefined) continue; // the first point only starts the first segment
      const mPerDegLon = M_PER_DEG_LAT * Math.cos(((a[1] + b[1]) / 2) * (Math.PI / 180));
      const dx = (b[0] - a[0]) * mPerDegLon;
      const dy = (b[1] - a[1]) * M_PER_DEG_LAT;
      const len = Math.hypot(dx, dy);
      const steps = Math.max(1, Math.floor(len / SAMPLE_M));
      for (let k = 0; k < steps; k++) {
        const t = (k + 0.5) / steps;
        const lon = a[0] + t * (b[0] - a[0]);
        const lat = a[1] + t * (b[1] - a[1]);
        if (map.locate(lat, lon)?.district === district) out.push({ lon, lat, street: s.name, alongM: alongM + t * len, dirLon: dx / len / mPerDegLon, dirLat: dy / len / M_PER_DEG_LAT });
      }
      alongM += len;
    }
  }
  return out;
}

/** `count` sites along the streets of `district` (empty when the district has no street). */
export function sitesAlongStreets(map: CityMap, district: string, count: number): DeviceSite[] {
  const samples = samplesOf(map, district);
  if (samples.length === 0 || count <= 0) return [];
  const out: DeviceSite[] = [];
  for (let i = 0; i < count; i++) {
    const s = samples[Math.min(samples.length - 1, Math.floor(((i + 0.5) / count) * samples.length))];
    if (s === undefined) throw new TzError('TZ_INTERNAL', `street sample ${i} of ${count} outside ${samples.length} samples`); // the index is clamped above
    const side = i % 2 === 0 ? 1 : -1;
    // Perpendicular to the street: (dirLat, -dirLon) in metres, scaled back to degrees.
    const mPerDegLon = M_PER_DEG_LAT * Math.cos(s.lat * (Math.PI / 180));
    const nLon = (s.dirLat * M_PER_DEG_LAT) / mPerDegLon;
    const nLat = (-s.dirLon * mPerDegLon) / M_PER_DEG_LAT;
    // Rounded first, so the recorded cell is the cell of the recorded coordinates.
    let lon = round6(s.lon + side * ROADSIDE_M * nLon);
    let lat = round6(s.lat + side * ROADSIDE_M * nLat);
    let place = map.locate(lat, lon);
    if (place?.district !== district) {
      // The kerb on this side is over the district line: stand on the centre line instead.
      [lon, lat] = [s.lon, s.lat];
      place = map.locate(lat, lon);
      // samplesOf kept only centre-line points that locate into the district.
      if (place === null) throw new TzError('TZ_INTERNAL', `street sample ${s.lon},${s.lat} on ${s.street} lies in no district`);
    }
    const number = 2 * Math.floor(s.alongM / FRONTAGE_M / 2) + (side > 0 ? 1 : 2);
    out.push({
      lat, lon, district, districtName: place.districtName, gridCell: place.gridCell, gridName: place.gridName,
      street: s.street, address: `${map.city.name}${place.districtName}${s.street}${number}号`,
    });
  }
  return out;
}

/** The city's districts and street sites in the shape the simulator takes (firmware-sim `CitySites`, structural). */
export function streetSites(map: CityMap): { districts: string[]; sitesIn(district: string, count: number): DeviceSite[] } {
  return { districts: map.districts.map((d) => d.id), sitesIn: (district, count) => sitesAlongStreets(map, district, count) };
}
