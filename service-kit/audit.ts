import type Database from 'better-sqlite3';
import { systemClock, type Clock } from './clock.ts';
import { TzError } from './errors.ts';

// The one cross-cutting audit record: who did what to which thing, when, and
// how it ended. Rooms keep their own history tables (rule versions, case
// events) because their workflows read them; this log is what an auditor
// reads across all of them. Append-only: SQLite triggers refuse UPDATE and
// DELETE, so not even a bug in our code can rewrite it. Never holds a secret:
// details are scrubbed before they are written.

export const AUDIT_RESULTS = ['ok', 'denied', 'failed'] as const;
export type AuditResult = (typeof AUDIT_RESULTS)[number];

/** What a caller appends. `action` is dotted, room first: `token.issue`, `broker.login`, `rule.update`, `case.dispatch`. */
export interface AuditEntry {
  /** Who: a token name/id, a broker username, `cli:<os user>`, `system`. */
  actor: string;
  action: string;
  /** What it was done to: a rule id, case id, token id, username, device id. */
  target: string;
  result?: AuditResult;
  /** Small facts without secrets (scrubbed anyway: see `scrubSecrets`). */
  details?: Record<string, unknown>;
}

export interface AuditRecord extends Required<Omit<AuditEntry, 'details'>> {
  id: number;
  /** Epoch milliseconds. */
  at: number;
  details: Record<string, unknown>;
}

export interface AuditQuery {
  actor?: string;
  action?: string;
  /** Epoch ms, inclusive. */
  from?: number;
  /** Epoch ms, exclusive. */
  to?: number;
  /** Newest first; default 100, at most 10 000. */
  limit?: number;
}

export interface AuditLog {
  append(entry: AuditEntry): AuditRecord;
  list(query?: AuditQuery): AuditRecord[];
}

/** A hook for code that may run with or without an audit log (`audit?.append(...)`). */
export type AuditAppend = (entry: AuditEntry) => void;

const SECRET_KEY = /pass(word)?|secret|token$|^token|hash|credential|private|api[-_]?key|authorization|cookie/i;
// Tianzhong API tokens and anything shaped like a bearer header, wherever they hide in a value.
const SECRET_VALUE = /tz_[0-9a-f]{16}_[A-Za-z0-9_-]{20,}|Bearer\s+\S+/g;
const REDACTED = '[redacted]';

/** Details with secret-looking keys replaced and token-shaped strings cut out (ids such as `tokenId` stay). */
export function scrubSecrets(value: unknown, depth = 0): unknown {
  if (depth > 6) return REDACTED;
  if (typeof value === 'string') return value.replace(SECRET_VALUE, REDACTED);
  if (Array.isArray(value)) return value.map((v) => scrubSecrets(v, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEY.test(k) && !/id$/i.test(k) ? REDACTED : scrubSecrets(v, depth + 1);
    return out;
  }
  return value;
}

interface AuditRow { id: number; at: number; actor: string; action: string; target: string; result: string; details: string }

function recordOf(row: AuditRow): AuditRecord {
  return { id: row.id, at: row.at, actor: row.actor, action: row.action, target: row.target, result: row.result as AuditResult, details: JSON.parse(row.details) as Record<string, unknown> };
}

/** The audit log in the given SQLite database (creates its table and the append-only triggers). */
export function openAuditLog(db: Database.Database, clock: Clock = systemClock): AuditLog {
  db.exec(`
    CREATE TABLE IF NOT EXISTS audit_log (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at INTEGER NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      target TEXT NOT NULL,
      result TEXT NOT NULL CHECK (result IN ('ok', 'denied', 'failed')),
      details TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS audit_log_at ON audit_log (at);
    CREATE INDEX IF NOT EXISTS audit_log_actor ON audit_log (actor, at);
    CREATE INDEX IF NOT EXISTS audit_log_action ON audit_log (action, at);
    CREATE TRIGGER IF NOT EXISTS audit_log_no_update BEFORE UPDATE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'TZ_AUDIT_APPEND_ONLY: the audit log is append-only'); END;
    CREATE TRIGGER IF NOT EXISTS audit_log_no_delete BEFORE DELETE ON audit_log
      BEGIN SELECT RAISE(ABORT, 'TZ_AUDIT_APPEND_ONLY: the audit log is append-only'); END;
  `);
  const insert = db.prepare<[number, string, string, string, string, string]>('INSERT INTO audit_log (at, actor, action, target, result, details) VALUES (?, ?, ?, ?, ?, ?)');
  const select = db.prepare<[{ actor: string | null; action: string | null; from: number; to: number; limit: number }], AuditRow>(`
    SELECT id, at, actor, action, target, result, details FROM audit_log
    WHERE (@actor IS NULL OR actor = @actor) AND (@action IS NULL OR action = @action OR action LIKE @action || '.%') AND at >= @from AND at < @to
    ORDER BY at DESC, id DESC LIMIT @limit`);
  return {
    append(entry) {
      if (!entry.actor || !entry.action) throw new TzError('TZ_REQUEST_INVALID', 'an audit record needs an actor and an action');
      const result = entry.result ?? 'ok';
      const details = scrubSecrets(entry.details ?? {}) as Record<string, unknown>;
      const at = clock.now();
      const actor = String(scrubSecrets(entry.actor));
      const target = String(scrubSecrets(entry.target ?? ''));
      const info = insert.run(at, actor, entry.action, target, result, JSON.stringify(details));
      return { id: Number(info.lastInsertRowid), at, actor, action: entry.action, target, result, details };
    },
    list(query = {}) {
      const limit = Math.min(Math.max(1, Math.floor(query.limit ?? 100)), 10_000);
      return select.all({ actor: query.actor ?? null, action: query.action ?? null, from: query.from ?? 0, to: query.to ?? Number.MAX_SAFE_INTEGER, limit }).map(recordOf);
    },
  };
}

/**
 * For the device registry (being built): a command sent to a device. Call
 * after publishing; `result` says whether the broker took it.
 */
export function recordCommandSent(audit: AuditLog, input: { actor: string; deviceId: string; gatewayId: string; command: string; commandId?: string; result?: AuditResult }): AuditRecord {
  return audit.append({ actor: input.actor, action: 'device.command', target: input.deviceId, result: input.result ?? 'ok', details: { gatewayId: input.gatewayId, command: input.command, ...(input.commandId ? { commandId: input.commandId } : {}) } });
}

/** For the device registry (being built): a gateway configuration pushed (`down/config`), by version, never its contents. */
export function recordConfigPushed(audit: AuditLog, input: { actor: string; gatewayId: string; version: number | string; result?: AuditResult }): AuditRecord {
  return audit.append({ actor: input.actor, action: 'gateway.config.push', target: input.gatewayId, result: input.result ?? 'ok', details: { version: input.version } });
}
