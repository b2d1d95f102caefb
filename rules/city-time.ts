import { TzError } from '../service-kit/index.ts';

// Local time of day and day of week in the city's time zone (IANA name, e.g.
// Asia/Shanghai), from Intl (Node ships full ICU). Offsets are cached per
// quarter hour: every zone's transitions fall on a quarter-hour boundary.

export interface LocalTime {
  /** Minutes after local midnight, 0–1439. */
  minutes: number;
  /** 0 = Sunday … 6 = Saturday. */
  weekday: number;
}

const QUARTER_HOUR = 900_000;
const WEEKDAY_INDEX: Record<string, number> = { Sun: 0, Mon: 1, Tue: 2, Wed: 3, Thu: 4, Fri: 5, Sat: 6 };

export class CityCalendar {
  private readonly format: Intl.DateTimeFormat;
  private readonly offsets = new Map<number, number>();

  constructor(readonly timeZone: string) {
    try {
      this.format = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric' });
    } catch (err) {
      throw new TzError('TZ_CONFIG_INVALID', `unknown time zone "${timeZone}" (use an IANA name such as Asia/Shanghai)`, { cause: err });
    }
  }

  /** Offset of local time from UTC at `ms`, in ms. */
  private offsetAt(ms: number): number {
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

  at(ms: number): LocalTime {
    const local = ms + this.offsetAt(ms);
    const day = Math.floor(local / 86_400_000);
    return { minutes: Math.floor((local - day * 86_400_000) / 60_000), weekday: (((day + 4) % 7) + 7) % 7 };
  }
}

export { WEEKDAY_INDEX };
