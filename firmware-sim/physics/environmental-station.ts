import type { SeededRandom } from '../prng.ts';
import { clamp, lag } from './types.ts';

// A construction-site monitoring station (环境监测站): dust follows the
// site's work hours and the wind (dry wind lifts it, so does digging), noise
// follows the machines on top of road traffic, wind wanders around a
// prevailing direction. Values stay inside the profile's bands; dust crosses
// the 150 ug/m3 PM10 limit only when `digging` is set (an event).

export interface StationWeather {
  pm25: number;
  pm10: number;
  noiseDb: number;
  windMs: number;
  windDeg: number;
  /** Earthworks without dust suppression (event): dust rises well above the limit. */
  digging: boolean;
}

export function initialStationWeather(rng: SeededRandom): StationWeather {
  return { pm25: rng.between(25, 45), pm10: rng.between(50, 80), noiseDb: rng.between(50, 58), windMs: rng.between(1, 3), windDeg: rng.between(0, 360), digging: false };
}

/** One step of `dtS` seconds at city-local `hour` (0..23). */
export function stepStationWeather(w: StationWeather, rng: SeededRandom, dtS: number, hour: number): StationWeather {
  const working = hour >= 7 && hour < 19;
  const windMs = clamp(lag(w.windMs, 2.5, dtS, 1800) + rng.normal() * 0.3, 0, 20);
  const windDeg = (w.windDeg + rng.normal() * 8 + 360) % 360;
  // Site dust: base load, machines in work hours, lifted by wind above ~5 m/s.
  const pm10Target = 60 + (working ? 30 : 0) + Math.max(0, windMs - 5) * 12 + (w.digging ? 180 : 0);
  const pm10 = clamp(lag(w.pm10, pm10Target, dtS, 600) + rng.normal() * 3, 5, 1500);
  const pm25 = clamp(lag(w.pm25, pm10 * 0.45, dtS, 600) + rng.normal() * 1.5, 2, 900);
  const noiseTarget = (working ? 66 : 48) + (w.digging ? 8 : 0);
  const noiseDb = clamp(lag(w.noiseDb, noiseTarget, dtS, 300) + rng.normal() * 1.2, 30, 120);
  return { pm25, pm10, noiseDb, windMs, windDeg, digging: w.digging };
}
