import { cityCalendar } from '../service-kit/index.ts';

// The simulated city's wall clock: lamps switch at local dusk, toilets fill at
// local lunchtime, counters reset at local midnight — in the city's time zone,
// never the machine's. The calendar itself is service-kit's (one for all rooms).

export { DEFAULT_TIME_ZONE, type CityTime } from '../service-kit/index.ts';
import type { CityTime } from '../service-kit/index.ts';

/** Checks a time zone name early, so a typo fails at start-up. */
export function checkTimeZone(timeZone: string): void {
  cityCalendar(timeZone);
}

/** Offset of the zone from UTC at `ms`, in ms (DST-aware through Intl). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  return cityCalendar(timeZone).offsetAt(ms);
}

export function cityTime(ms: number, timeZone: string): CityTime {
  return cityCalendar(timeZone).cityTime(ms);
}

/** A local date-time ("2026-07-20T17:30") in the city's zone, or ISO 8601 with an offset. */
export function parseCityDateTime(text: string, timeZone: string): number {
  return cityCalendar(timeZone).parse(text);
}

/**
 * Approximate local sunrise/sunset hours for a subtropical city (~26°N, the
 * pilot city): day length swings ±1.4 h around 12 h over the year, centred on
 * local solar noon ≈ 12:10. Good to ~15 min, which is what a photocell gives.
 */
export function sunHours(dayOfYear: number): { sunrise: number; sunset: number } {
  const halfDay = 6 + 0.7 * Math.sin((2 * Math.PI * (dayOfYear - 80)) / 365);
  return { sunrise: 12.17 - halfDay, sunset: 12.17 + halfDay };
}
