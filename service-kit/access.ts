import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { httpStatusOf, isTzError, TzError } from './errors.ts';
import type { AuditAppend } from './audit.ts';
import { TokenLastUse } from './token-last-use.ts';

// API tokens and roles for every HTTP API. A token is `tz_<tokenId>_<secret>`:
// the id finds the row, the 256-bit secret is checked by comparing SHA-256
// hashes in constant time. Only the hash is stored (a random 256-bit secret
// needs no slow hash: there is nothing to brute-force). The token is shown once.

// `inspector` (监督员, GB/T 30428): the supervision centre's patrol, who reports
// problems and verifies (核查) repairs; optionally bound to a district or grid cell.
export const ROLES = ['admin', 'operator', 'dispatcher', 'crew', 'readonly', 'inspector'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: set on `request.principal` by `requireRole`. */
export interface Principal {
  tokenId: string;
  name: string;
  role: Role;
  /** The crew a `crew` token acts for (a crew sees only its own cases). */
  crewId: string | null;
  /** The supervision area (district or grid cell) an `inspector` token is bound to; null/absent = the whole city. */
  area?: string | null;
  /** When the token stops working (ms since the epoch); absent = until revoked. */
  expiresAt?: number;
}

/** A value, or a Promise of it: SQLite answers at once, PostgreSQL later (as rules/rules-store.ts). */
export type Maybe<T> = T | Promise<T>;

export interface IssueInput {
  name: string;
  role: Role;
  crewId?: string;
  area?: string;
  /** When the token stops working (ms since the epoch, by the store's clock); absent = until revoked. */
  expiresAt?: number;
  by?: string;
}

export interface IssuedToken { token: string; principal: Principal }

/**
 * The token store contract (issue 20): SQLite (`openAccessTokens`, synchronous)
 * and PostgreSQL (postgres-access-tokens.ts, several services on one database)
 * stand behind it. Callers that may hold either await every answer.
 */
export interface AccessTokens {
  /** Creates a token; the returned `token` is the only time the secret exists in clear. */
  issue(input: IssueInput): Maybe<IssuedToken>;
  /** True when an active token was revoked. `by` names who did it, for the audit log. */
  revoke(tokenId: string, by?: string): Maybe<boolean>;
  /** Active tokens (not revoked, not expired); never their secrets. */
  list(): Maybe<Principal[]>;
  /** The principal of an active token, or null (unknown, malformed, revoked or expired). */
  verify(token: string): Maybe<Principal | null>;
}

/** The SQLite store answers synchronously: code holding it may use the answers at once. */
export interface SqliteAccessTokens extends AccessTokens {
  issue(input: IssueInput): IssuedToken;
  revoke(tokenId: string, by?: string): boolean;
  list(): Principal[];
  verify(token: string): Principal | null;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by `requireRole` once the bearer token checked out. */
    principal?: Principal;
  }
}

const TOKEN_PATTERN = /^tz_([0-9a-f]{16})_([A-Za-z0-9_-]{43})$/;
const NAME_PATTERN = /^[\p{L}\p{N} _.@-]{1,64}$/u;
const CREW_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A stored token as both stores read it (secret_hash only where verify needs it). */
export interface TokenRow { id: string; name: string; role: string; crew_id: string | null; area: string | null; expires_at: number | null; secret_hash: Buffer }

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function principalOf(row: Omit<TokenRow, 'secret_hash'>): Principal {
  if (!isRole(row.role)) throw new TzError('TZ_INTERNAL', `access token ${row.id} has an unknown role ${row.role}`);
  return { tokenId: row.id, name: row.name, role: row.role, crewId: row.crew_id, ...(row.area ? { area: row.area } : {}), ...(row.expires_at !== null ? { expiresAt: row.expires_at } : {}) };
}

/** A new token, checked and minted: what a store inserts (the hash only) and what it hands back once. */
export interface MintedToken { row: TokenRow; issued: IssuedToken; audit: { actor: string; details: Record<string, unknown> } }

/** Checks an issue request and mints id and secret; TZ_REQUEST_INVALID names the bad field. The same for every store. */
export function mintToken(input: IssueInput, now: number): MintedToken {
  const { name, role, crewId, area, expiresAt, by } = input;
  if (!NAME_PATTERN.test(name)) throw new TzError('TZ_REQUEST_INVALID', `token name "${name}" must be 1–64 letters, digits, spaces or _ . @ -`);
  if (!isRole(role)) throw new TzError('TZ_REQUEST_INVALID', `role "${String(role)}" is not one of ${ROLES.join(', ')}`);
  if (role === 'crew' && !crewId) throw new TzError('TZ_REQUEST_INVALID', 'a crew token needs the crew it acts for (crewId)');
  if (crewId !== undefined && !CREW_PATTERN.test(crewId)) throw new TzError('TZ_REQUEST_INVALID', `crew id "${crewId}" must be letters, digits, _ . -`);
  if (area !== undefined && !CREW_PATTERN.test(area)) throw new TzError('TZ_REQUEST_INVALID', `area "${area}" must be letters, digits, _ . -`);
  if (expiresAt !== undefined && (!Number.isSafeInteger(expiresAt) || expiresAt <= now)) throw new TzError('TZ_REQUEST_INVALID', `expiresAt ${String(expiresAt)} must be a time (ms) after now`);
  const tokenId = randomBytes(8).toString('hex');
  const secret = randomBytes(32).toString('base64url');
  const row: TokenRow = { id: tokenId, name, role, crew_id: crewId ?? null, area: area ?? null, expires_at: expiresAt ?? null, secret_hash: sha256(secret) };
  // The id, name and role only: the secret exists in clear nowhere but the returned token.
  const details = { name, role, crewId: crewId ?? null, ...(area ? { area } : {}), ...(expiresAt !== undefined ? { expiresAt } : {}) };
  return { row, issued: { token: `tz_${tokenId}_${secret}`, principal: principalOf(row) }, audit: { actor: by ?? 'system', details } };
}

/** The id and the hash of the secret of a well-formed token; null when malformed. */
export function presentedToken(token: string): { tokenId: string; hash: Buffer } | null {
  const match = TOKEN_PATTERN.exec(token);
  const tokenId = match?.[1];
  const secret = match?.[2];
  if (tokenId === undefined || secret === undefined) return null;
  return { tokenId, hash: sha256(secret) };
}

/**
 * The principal when the stored row (active, looked up by id) matches the
 * presented secret and has not expired. The hash is computed before the
 * lookup either way, so timing does not tell known ids apart; the hashes are
 * compared in constant time.
 */
export function admitted(row: TokenRow | undefined, hash: Buffer, now: number): Principal | null {
  if (!row) return null;
  if (row.secret_hash.length !== hash.length || !timingSafeEqual(row.secret_hash, hash)) return null;
  if (row.expires_at !== null && row.expires_at <= now) return null;
  return principalOf(row);
}

/** Token store in the given SQLite database (creates its own table); issues and revocations go to `audit` when given. */
export function openAccessTokens(db: Database.Database, now: () => number = Date.now, audit?: AuditAppend): SqliteAccessTokens {
  db.exec(`
    CREATE TABLE IF NOT EXISTS access_tokens (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      role TEXT NOT NULL,
      crew_id TEXT,
      secret_hash BLOB NOT NULL,
      created_at INTEGER NOT NULL,
      revoked_at INTEGER,
      last_used_at INTEGER
    );
  `);
  // Added with the inspector role, then with expiry: an existing file gains the columns (additive, nullable).
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(access_tokens)').all();
  if (!columns.some((c) => c.name === 'area')) db.exec('ALTER TABLE access_tokens ADD COLUMN area TEXT');
  if (!columns.some((c) => c.name === 'expires_at')) db.exec('ALTER TABLE access_tokens ADD COLUMN expires_at INTEGER');
  const insert = db.prepare('INSERT INTO access_tokens (id, name, role, crew_id, area, expires_at, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
  const byId = db.prepare<[string], TokenRow>('SELECT id, name, role, crew_id, area, expires_at, secret_hash FROM access_tokens WHERE id = ? AND revoked_at IS NULL');
  const revoke = db.prepare('UPDATE access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const active = db.prepare<[number], Omit<TokenRow, 'secret_hash'>>('SELECT id, name, role, crew_id, area, expires_at FROM access_tokens WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?) ORDER BY created_at, id');
  const touch = db.prepare('UPDATE access_tokens SET last_used_at = ? WHERE id = ?');
  const lastUse = new TokenLastUse();

  return {
    issue(input) {
      const at = now();
      const { row, issued, audit: a } = mintToken(input, at);
      insert.run(row.id, row.name, row.role, row.crew_id, row.area, row.expires_at, row.secret_hash, at);
      audit?.({ actor: a.actor, action: 'token.issue', target: row.id, details: a.details });
      return issued;
    },
    revoke(tokenId, by) {
      const done = revoke.run(now(), tokenId).changes > 0;
      audit?.({ actor: by ?? 'system', action: 'token.revoke', target: tokenId, result: done ? 'ok' : 'failed' });
      return done;
    },
    list() {
      return active.all(now()).map(principalOf);
    },
    verify(token) {
      const presented = presentedToken(token);
      if (!presented) return null;
      const at = now();
      const principal = admitted(byId.get(presented.tokenId), presented.hash, at);
      if (principal && lastUse.due(principal.tokenId, at)) touch.run(at, principal.tokenId);
      return principal;
    },
  };
}

/** The bearer token of a request; `?access_token=` only on GET (browser EventSource cannot set headers). */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match?.[1] ?? null;
  }
  if (request.method === 'GET') {
    const query = request.query as Record<string, unknown> | undefined;
    const value = query?.access_token;
    if (typeof value === 'string' && value.length > 0) return value;
  }
  return null;
}

export type RolePreHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | undefined>;

/**
 * Fastify preHandler: 401 without a valid token, 403 when its role is not in
 * `roles`. `admin` may do everything. Sets `request.principal`.
 */
export function requireRole(access: AccessTokens, roles: readonly Role[]): RolePreHandler {
  return async (request, reply) => {
    const token = bearerToken(request);
    let principal: Principal | null = null;
    try {
      // SQLite answers at once; PostgreSQL's answer is awaited (no await, no extra turn, for the former).
      const verdict = token === null ? null : access.verify(token);
      principal = verdict instanceof Promise ? await verdict : verdict;
    } catch (err) {
      // The token store away (TZ_STORE_UNAVAILABLE): 503 with the catalogue's code, whatever error shape the scope has.
      if (!isTzError(err, 'TZ_STORE_UNAVAILABLE')) throw err;
      reply.header('retry-after', '5');
      await reply.code(httpStatusOf(err)).send({ code: err.code, message: err.message });
      return reply;
    }
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="tianzhong"');
      await reply.code(401).send({ code: 'TZ_AUTH_REQUIRED', message: token === null ? 'an API token is required: Authorization: Bearer <token>' : 'the API token is unknown or revoked (or expired)' });
      return reply;
    }
    if (principal.role !== 'admin' && !roles.includes(principal.role)) {
      await reply.code(403).send({ code: 'TZ_FORBIDDEN', message: `role ${principal.role} may not do this (allowed: ${['admin', ...roles.filter((r) => r !== 'admin')].join(', ')})` });
      return reply;
    }
    request.principal = principal;
    return undefined;
  };
}
