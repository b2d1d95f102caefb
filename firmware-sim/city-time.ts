import { TzError } from '../service-kit/index.ts';

// The city's wall clock: lamps switch at local dusk, toilets fill at local
// lunchtime, counters reset at local midnight — in the city's time zone, never
// the machine's (a sim on a UTC server must still light Fuzhou at 18:30).

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export interface CityTime {
  /** Local hour of day, 0–23.99. */
  hour: number;
  /** Local day of year, 1–366 (seasons: summer heat, dusk time). */
  dayOfYear: number;
  /** Local calendar day as yyyy-mm-dd (a new day resets daily counters). */
  date: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    try {
      f = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' });
    } catch {
      throw new TzError('TZ_CONFIG_INVALID', `unknown time zone "${timeZone}" (use an IANA name such as Asia/Shanghai)`);
    }
    formatters.set(timeZone, f);
  }
  return f;
}

/** Checks a time zone name early, so a typo fails at start-up. */
export function checkTimeZone(timeZone: string): void {
  formatter(timeZone);
}

/** Offset of the zone from UTC at `ms`, in ms (DST-aware through Intl). */
export function zoneOffsetMs(ms: number, timeZone: string): number {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(ms / 1000) * 1000;
}

export function cityTime(ms: number, timeZone: string): CityTime {
  const local = new Date(ms + zoneOffsetMs(ms, timeZone));
  const startOfYear = Date.UTC(local.getUTCFullYear(), 0, 1);
  return {
    hour: local.getUTCHours() + local.getUTCMinutes() / 60 + local.getUTCSeconds() / 3600,
    dayOfYear: Math.floor((local.getTime() - startOfYear) / 86_400_000) + 1,
    date: local.toISOString().slice(0, 10),
  };
}

/**
 * A local date-time without offset ("2026-07-20T17:30") read in the city's
 * zone, or an ISO string with an offset/Z taken as it is.
 */
export function parseCityDateTime(text: string, timeZone: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
  if (!m) {
    const ms = Date.parse(text);
    if (Number.isNaN(ms)) throw new TzError('TZ_CONFIG_INVALID', `"${text}" is not a date-time (use 2026-07-20T17:30 in the city's time zone, or ISO 8601 with an offset)`);
    return ms;
  }
  const guess = Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +(m[6] ?? 0));
  // Two passes settle the offset across a DST change.
  let ms = guess - zoneOffsetMs(guess, timeZone);
  ms = guess - zoneOffsetMs(ms, timeZone);
  return ms;
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
