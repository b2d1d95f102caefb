import { TzError } from './errors.ts';

// The city's calendar: local time of day, weekday, date and day of year in
// the city's time zone (an IANA name), never the machine's. One default zone
// for every room; TZ_CITY_TIME_ZONE overrides it where a command reads the
// environment. From Intl (Node ships full ICU).

export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

/** The zone a command uses when none is given: TZ_CITY_TIME_ZONE, else Asia/Shanghai. */
export function defaultTimeZone(env: Record<string, string | undefined> = process.env): string {
  return env.TZ_CITY_TIME_ZONE || DEFAULT_TIME_ZONE;
}

export interface LocalTime {
  /** Minutes after local midnight, 0–1439. */
  minutes: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

export interface CityTime {
  /** Local hour of day, 0–23.99. */
  hour: number;
  /** Local day of year, 1–366 (seasons: summer heat, dusk time). */
  dayOfYear: number;
  /** Local calendar day as yyyy-mm-dd (a new day resets daily counters). */
  date: string;
}

// Offsets are cached per quarter hour: every zone's transitions fall on a quarter-hour boundary.
const QUARTER_HOUR = 900_000;
export const WEEKDAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export class CityCalendar {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();

  constructor(readonly timeZone: string = DEFAULT_TIME_ZONE) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    } catch (err) {
      throw new TzError('TZ_CONFIG_INVALID', `unknown time zone "${timeZone}" (use an IANA name such as Asia/Shanghai)`, { cause: err });
    }
  }

  /** Offset of local time from UTC at `ms`, in ms (DST-aware). */
  offsetAt(ms: number): number {
    const bucket = Math.floor(ms / QUARTER_HOUR);
    let offset = this.offsets.get(bucket);
    if (offset === undefined) {
      const parts = Object.fromEntries(this.format.formatToParts(new Date(bucket * QUARTER_HOUR)).map((p) => [p.type, p.value]));
      const local = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute));
      offset = local - bucket * QUARTER_HOUR;
      if (this.offsets.size > 50_000) this.offsets.clear();
      this.offsets.set(bucket, offset);
    }
    return offset;
  }

  /** Minutes after local midnight and weekday (time-of-day rule conditions). */
  at(ms: number): LocalTime {
    const local = ms + this.offsetAt(ms);
    const day = Math.floor(local / 86_400_000);
    return { minutes: Math.floor((local - day * 86_400_000) / 60_000), weekday: (((day + 4) % 7) + 7) % 7 };
  }

  /** Hour, day of year and date (the simulated city's lamps, seasons and daily counters). */
  cityTime(ms: number): CityTime {
    const local = new Date(ms + this.offsetAt(ms));
    const startOfYear = Date.UTC(local.getUTCFullYear(), 0, 1);
    return {
      hour: local.getUTCHours() + local.getUTCMinutes() / 60 + local.getUTCSeconds() / 3600 + local.getUTCMilliseconds() / 3_600_000,
      dayOfYear: Math.floor((local.getTime() - startOfYear) / 86_400_000) + 1,
      date: local.toISOString().slice(0, 10),
    };
  }

  /**
   * A local date-time without offset ("2026-07-20T17:30") read in the city's
   * zone, or an ISO string with an offset/Z taken as it is.
   */
  parse(text: string): number {
    const m = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2})(?::(\d{2}))?$/.exec(text.trim());
    if (!m) {
      const ms = Date.parse(text);
      if (Number.isNaN(ms)) throw new TzError('TZ_CONFIG_INVALID', `"${text}" is not a date-time (use 2026-07-20T17:30 in the city's time zone, or ISO 8601 with an offset)`);
      return ms;
    }
    // The pattern's five unconditional groups always match; only seconds are optional.
    const [, year = '', month = '', day = '', hour = '', minute = '', second = '0'] = m;
    const guess = Date.UTC(+year, +month - 1, +day, +hour, +minute, +second);
    // Two passes settle the offset across a DST change.
    let ms = guess - this.offsetAt(guess);
    ms = guess - this.offsetAt(ms);
    return ms;
  }
}

const calendars = new Map<string, CityCalendar>();

/** The shared calendar of a zone (its offset cache is worth keeping). */
export function cityCalendar(timeZone: string = DEFAULT_TIME_ZONE): CityCalendar {
  let calendar = calendars.get(timeZone);
  if (!calendar) {
    calendar = new CityCalendar(timeZone);
    calendars.set(timeZone, calendar);
  }
  return calendar;
}
