import { HttpError } from '@influxdata/influxdb-client';

// Whether and when a failed InfluxDB write is tried again, decided from the
// error itself: 400/413/422 mean the server will never take these lines
// (field type conflict, bad line, too large); anything else may pass later,
// and a server that says when (429/503 with Retry-After) is believed, up to
// a cap, instead of our own backoff.

export interface RetryDecision {
  retry: boolean;
  /** The server's Retry-After in ms; null when it sent none (our backoff decides). */
  afterMs: number | null;
}

const NEVER = new Set([400, 413, 422]);
/** A Retry-After beyond this is taken as this: the intake is held meanwhile, and a broken header must not park it for a day. */
export const MAX_RETRY_AFTER_MS = 5 * 60_000;

/** RFC 9110 §10.2.3: delay-seconds or an HTTP-date. Unparseable → null. */
export function parseRetryAfter(header: unknown, nowMs: number): number | null {
  const value = Array.isArray(header) ? header[0] : header;
  if (typeof value !== 'string') return null;
  const s = value.trim();
  if (s === '') return null;
  if (/^\d+$/.test(s)) return Math.min(Number(s) * 1000, MAX_RETRY_AFTER_MS);
  const at = Date.parse(s);
  if (Number.isNaN(at)) return null;
  return Math.min(Math.max(0, at - nowMs), MAX_RETRY_AFTER_MS);
}

export function retryDecision(error: Error, nowMs: number): RetryDecision {
  if (!(error instanceof HttpError)) return { retry: true, afterMs: null };
  if (NEVER.has(error.statusCode)) return { retry: false, afterMs: null };
  return { retry: true, afterMs: parseRetryAfter(error.headers?.['retry-after'], nowMs) };
}
