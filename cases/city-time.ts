// Calendar periods in the city's time zone (Asia/Shanghai for 驻马店): a month
// of the assessment runs from local midnight on the 1st to local midnight on
// the 1st of the next, whatever the server's own zone.

/** Offset of `tz` from UTC at instant `at`, in ms (east positive). */
export function zoneOffsetMs(at: number, tz: string): number {
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: tz, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(new Date(at)).map((p) => [p.type, p.value]));
  const asUtc = Date.UTC(Number(parts.year), Number(parts.month) - 1, Number(parts.day), Number(parts.hour), Number(parts.minute), Number(parts.second));
  return asUtc - Math.floor(at / 1000) * 1000;
}

/** The instant of local midnight starting `y-m-d` in `tz`. */
export function localMidnight(y: number, m: number, d: number, tz: string): number {
  const guess = Date.UTC(y, m - 1, d);
  const first = guess - zoneOffsetMs(guess, tz);
  return guess - zoneOffsetMs(first, tz);
}

/** `2026-11` → [local midnight of 1 Nov, local midnight of 1 Dec) in `tz`. */
export function monthWindow(month: string, tz: string): { from: number; to: number } {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 12) throw new RangeError(`month must be YYYY-MM, got "${month}"`);
  const y = Number(m[1]);
  const mo = Number(m[2]);
  return { from: localMidnight(y, mo, 1, tz), to: mo === 12 ? localMidnight(y + 1, 1, 1, tz) : localMidnight(y, mo + 1, 1, tz) };
}

export function previousMonth(month: string): string {
  const [y, m] = month.split('-').map(Number) as [number, number];
  return m === 1 ? `${y - 1}-12` : `${y}-${String(m - 1).padStart(2, '0')}`;
}

/** A date-only `YYYY-MM-DD` is local midnight in `tz`; a full ISO time is taken as written. */
export function cityInstant(value: string, tz: string): number {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  return d ? localMidnight(Number(d[1]), Number(d[2]), Number(d[3]), tz) : Date.parse(value);
}

/** `2026-11-03 14:05` in `tz`. */
export function cityTimeText(at: number, tz: string): string {
  return new Intl.DateTimeFormat('sv-SE', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' }).format(new Date(at));
}
