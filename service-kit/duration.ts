// The one duration parser and time-of-day parser of the platform: rules,
// scenarios, SLA and config all read `30s`, `5m`, `1h30m`, `2d` the same way.

const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/gy;
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const MAX_MS = 366 * 86_400_000;

/**
 * A duration in ms: `30s`, `5m`, `1h30m`, `2d`, `500ms`, or a plain number of
 * seconds. Null when it is not one (or longer than 366 days).
 */
export function parseDuration(value: string | number): number | null {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 && value * 1000 <= MAX_MS ? Math.round(value * 1000) : null;
  const text = value.trim();
  if (text === '') return null;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let at = 0;
  let match: RegExpExecArray | null;
  while ((match = DURATION_PART.exec(text)) !== null) {
    const [, amount = '', unit = ''] = match;
    const unitMs = UNIT_MS[unit];
    if (unitMs === undefined) return null; // the pattern admits only UNIT_MS's units
    total += Number(amount) * unitMs;
    at = DURATION_PART.lastIndex;
  }
  if (at !== text.length || total > MAX_MS) return null;
  return Math.round(total);
}

/** `HH:MM` (24 h) → minutes after midnight; null when malformed. */
export function parseTimeOfDay(text: string): number | null {
  const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
  return m ? Number(m[1]) * 60 + Number(m[2]) : null;
}
