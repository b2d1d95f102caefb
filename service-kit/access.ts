import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TzError } from './errors.ts';
import type { AuditAppend } from './audit.ts';

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
}

export interface AccessTokens {
  /** Creates a token; the returned `token` is the only time the secret exists in clear. */
  issue(input: { name: string; role: Role; crewId?: string; area?: string; by?: string }): { token: string; principal: Principal };
  /** True when an active token was revoked. `by` names who did it, for the audit log. */
  revoke(tokenId: string, by?: string): boolean;
  /** Active (not revoked) tokens. */
  list(): Principal[];
  /** The principal of an active token, or null (unknown, malformed or revoked). */
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

interface TokenRow { id: string; name: string; role: string; crew_id: string | null; area: string | null; secret_hash: Buffer }

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

function principalOf(row: Omit<TokenRow, 'secret_hash'>): Principal {
  if (!isRole(row.role)) throw new TzError('TZ_INTERNAL', `access token ${row.id} has an unknown role ${row.role}`);
  return { tokenId: row.id, name: row.name, role: row.role, crewId: row.crew_id, ...(row.area ? { area: row.area } : {}) };
}

/** Token store in the given SQLite database (creates its own table); issues and revocations go to `audit` when given. */
export function openAccessTokens(db: Database.Database, now: () => number = Date.now, audit?: AuditAppend): AccessTokens {
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
  // Added with the inspector role: an existing file gains the column (additive, nullable).
  const columns = db.prepare<[], { name: string }>('PRAGMA table_info(access_tokens)').all();
  if (!columns.some((c) => c.name === 'area')) db.exec('ALTER TABLE access_tokens ADD COLUMN area TEXT');
  const insert = db.prepare('INSERT INTO access_tokens (id, name, role, crew_id, area, secret_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const byId = db.prepare<[string], TokenRow>('SELECT id, name, role, crew_id, area, secret_hash FROM access_tokens WHERE id = ? AND revoked_at IS NULL');
  const revoke = db.prepare('UPDATE access_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
  const active = db.prepare<[], Omit<TokenRow, 'secret_hash'>>('SELECT id, name, role, crew_id, area FROM access_tokens WHERE revoked_at IS NULL ORDER BY created_at, id');
  const touch = db.prepare('UPDATE access_tokens SET last_used_at = ? WHERE id = ?');

  return {
    issue({ name, role, crewId, area, by }) {
      if (!NAME_PATTERN.test(name)) throw new TzError('TZ_REQUEST_INVALID', `token name "${name}" must be 1–64 letters, digits, spaces or _ . @ -`);
      if (!isRole(role)) throw new TzError('TZ_REQUEST_INVALID', `role "${String(role)}" is not one of ${ROLES.join(', ')}`);
      if (role === 'crew' && !crewId) throw new TzError('TZ_REQUEST_INVALID', 'a crew token needs the crew it acts for (crewId)');
      if (crewId !== undefined && !CREW_PATTERN.test(crewId)) throw new TzError('TZ_REQUEST_INVALID', `crew id "${crewId}" must be letters, digits, _ . -`);
      if (area !== undefined && !CREW_PATTERN.test(area)) throw new TzError('TZ_REQUEST_INVALID', `area "${area}" must be letters, digits, _ . -`);
      const tokenId = randomBytes(8).toString('hex');
      const secret = randomBytes(32).toString('base64url');
      insert.run(tokenId, name, role, crewId ?? null, area ?? null, sha256(secret), now());
      // The id, name and role only: the secret exists in clear nowhere but the returned token.
      audit?.({ actor: by ?? 'system', action: 'token.issue', target: tokenId, details: { name, role, crewId: crewId ?? null, ...(area ? { area } : {}) } });
      return { token: `tz_${tokenId}_${secret}`, principal: { tokenId, name, role, crewId: crewId ?? null, ...(area ? { area } : {}) } };
    },
    revoke(tokenId, by) {
      const done = revoke.run(now(), tokenId).changes > 0;
      audit?.({ actor: by ?? 'system', action: 'token.revoke', target: tokenId, result: done ? 'ok' : 'failed' });
      return done;
    },
    list() {
      return active.all().map(principalOf);
    },
    verify(token) {
      const match = TOKEN_PATTERN.exec(token);
      if (!match) return null;
      const row = byId.get(match[1]!);
      // Hash anyway when the id is unknown, so timing does not tell ids apart.
      const presented = sha256(match[2]!);
      if (!row) return null;
      if (row.secret_hash.length !== presented.length || !timingSafeEqual(row.secret_hash, presented)) return null;
      touch.run(now(), row.id);
      return principalOf(row);
    },
  };
}

/** The bearer token of a request; `?access_token=` only on GET (browser EventSource cannot set headers). */
export function bearerToken(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  if (typeof header === 'string') {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return match ? match[1]! : null;
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
    const principal = token === null ? null : access.verify(token);
    if (!principal) {
      reply.header('www-authenticate', 'Bearer realm="tianzhong"');
      await reply.code(401).send({ code: 'TZ_AUTH_REQUIRED', message: token === null ? 'an API token is required: Authorization: Bearer <token>' : 'the API token is unknown or revoked' });
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
