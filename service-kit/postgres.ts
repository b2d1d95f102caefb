import pg from 'pg';

// What every PostgreSQL store of ours shares: how an error is judged
// (retry now, fail as busy, or a real error), BIGINT as a JS number, and
// `$n` placeholders built in order.

/** SQLSTATEs meaning the connection is gone: admin shutdown, crash, starting up (and class 08, connection exception). */
const LOST_CODES = new Set(['57P01', '57P02', '57P03']);
/** SQLSTATEs meaning the server is there but too busy: statement timeout or cancel, lock timeout, too many connections, out of resources. */
const BUSY_CODES = new Set(['57014', '55P03', '53300', '53000', '53100', '53200']);
const NETWORK_ERRNOS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENOTFOUND']);

export function pgCode(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * `lost`: the connection died or the server is restarting — nothing was
 * committed unless COMMIT was in flight, so running again is safe and likely to
 * work soon. `busy`: the server answered but gave up (statement timeout, no
 * free connection): retrying at once would only multiply the wait.
 */
export function pgTroubleOf(err: unknown): 'lost' | 'busy' | null {
  const code = pgCode(err);
  const message = err instanceof Error ? err.message : '';
  if ((code && BUSY_CODES.has(code)) || /timeout exceeded when trying to connect/i.test(message)) return 'busy';
  if (code && (LOST_CODES.has(code) || code.startsWith('08') || NETWORK_ERRNOS.has(code))) return 'lost';
  if (/Connection terminated|Client has encountered a connection error|not queryable/i.test(message)) return 'lost';
  return null;
}

/** BIGINT (timestamps in ms, ids, counts) as a JS number: every value stays far below 2^53. */
export const PG_NUMBER_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => (oid === 20 ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text'))) as typeof pg.types.getTypeParser,
};

/** Builds `$n` placeholders in order. */
export class PgParams {
  readonly values: unknown[] = [];
  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/** Jittered exponential backoff, 10 ms … ~1 s: spreads conflicting writers apart and rides out a server restart. */
export function pgBackoff(attempt: number): Promise<void> {
  const ms = Math.min(1_000, 10 * 2 ** attempt) * (0.5 + Math.random());
  return new Promise((resolve) => setTimeout(resolve, ms));
}
