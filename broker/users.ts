import { chmodSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { ID_PATTERN } from '../proto/index.ts';
import { TzError, formatProblems, zodProblems } from '../service-kit/index.ts';
import { foreignGrantProblems, grantsSchema, type Grant } from './grants.ts';
import { hashPassword, verifyPassword, verifyPasswordAsync } from './passwords.ts';

/**
 * What an account may do (see acl.ts for the topics of each role):
 * - gateway: its own branch only; the username is the gateway id
 * - ingest, rules, console, crew: one cloud service each, least privilege
 * - service: ingest + rules + console together (the role of version-1 files, kept for compatibility)
 * - device: a device that connects by itself; its own tz/v1/dev/{username}/ branch only
 * - device-gateway: the service that turns devices' JSON into UplinkBatches on its own gateway branch (username = that gateway id)
 */
export const BROKER_ROLES = ['gateway', 'ingest', 'rules', 'console', 'crew', 'service', 'device', 'device-gateway'] as const;
export type BrokerRole = (typeof BROKER_ROLES)[number];

export function isBrokerRole(value: unknown): value is BrokerRole {
  return typeof value === 'string' && (BROKER_ROLES as readonly string[]).includes(value);
}

export interface BrokerUserRecord {
  username: string;
  role: BrokerRole;
  passwordHash: string;
  createdAt: string;
  /** Extra topics on top of the role (grants.ts); written by hand or by an integrator's tooling. */
  grants?: Grant[];
}

export const MIN_PASSWORD_LENGTH = 12;

const usersFileSchema = z.strictObject({
  version: z.literal(1),
  users: z.array(
    z.strictObject({
      username: z.string().regex(ID_PATTERN),
      role: z.enum(BROKER_ROLES),
      passwordHash: z.string().startsWith('scrypt$'),
      createdAt: z.string(),
      grants: grantsSchema.optional(),
    }).superRefine((user, ctx) => {
      for (const p of foreignGrantProblems(user.grants ?? [], user)) ctx.addIssue({ code: 'custom', path: ['grants', p.index, p.key], message: p.message });
    }),
  ),
});

// Compared against when the user does not exist, so an unknown name costs
// the same scrypt time as a wrong password (no user enumeration by timing).
let decoyHash: string | undefined;

/** The broker's credential store: one record per gateway or service, hashes only at rest. */
export class BrokerUsers {
  private readonly byName = new Map<string, BrokerUserRecord>();

  private constructor(private readonly file: string | null) {}

  /** Loads a users file; a missing file is an empty store that `save()` will create. */
  static load(file: string): BrokerUsers {
    const store = new BrokerUsers(file);
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return store;
      throw new TzError('TZ_USERS_FILE', `${file}: cannot read (${(err as Error).message})`, { cause: err });
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new TzError('TZ_USERS_FILE', `${file}: not JSON (${(err as Error).message})`, { cause: err });
    }
    const parsed = usersFileSchema.safeParse(json);
    if (!parsed.success) {
      const problems = zodProblems(parsed.error);
      throw new TzError('TZ_USERS_FILE', formatProblems(problems, file), { details: { file, problems } });
    }
    for (const user of parsed.data.users) {
      if (store.byName.has(user.username)) throw new TzError('TZ_USERS_FILE', `${file}: user "${user.username}" appears twice`, { details: { file } });
      store.byName.set(user.username, user);
    }
    return store;
  }

  /** The file this store was loaded from (null for in-memory stores). */
  get path(): string | null {
    return this.file;
  }

  /**
   * Re-reads the file (after `tianzhong broker users add|remove` changed it):
   * the new contents replace the old only when the whole file is valid, so a
   * half-edited file never locks everyone out. Throws TZ_USERS_FILE otherwise.
   */
  reload(): void {
    if (this.file === null) return;
    const fresh = BrokerUsers.load(this.file);
    this.byName.clear();
    for (const [name, user] of fresh.byName) this.byName.set(name, user);
  }

  static inMemory(): BrokerUsers {
    return new BrokerUsers(null);
  }

  /** Adds or replaces a user. For gateways the username is the gateway id. */
  add(username: string, password: string, role: BrokerRole): void {
    if (!ID_PATTERN.test(username)) throw new TzError('TZ_CONFIG_INVALID', `username "${username}" must match ${ID_PATTERN}`);
    if (!isBrokerRole(role)) throw new TzError('TZ_CONFIG_INVALID', `role must be one of ${BROKER_ROLES.join(', ')}, got "${String(role)}"`);
    if (password.length < MIN_PASSWORD_LENGTH) throw new TzError('TZ_CONFIG_INVALID', `password for "${username}" must have at least ${MIN_PASSWORD_LENGTH} characters`);
    const grants = this.byName.get(username)?.grants; // replacing a password keeps the account's grants
    this.byName.set(username, { username, role, passwordHash: hashPassword(password), createdAt: new Date().toISOString(), ...(grants ? { grants } : {}) });
  }

  remove(username: string): boolean {
    return this.byName.delete(username);
  }

  list(): Array<Omit<BrokerUserRecord, 'passwordHash'>> {
    return [...this.byName.values()].map(({ username, role, createdAt }) => ({ username, role, createdAt }));
  }

  /** The user when the password matches, else null (same cost for unknown users). */
  authenticate(username: string, password: string): BrokerUserRecord | null {
    const user = this.byName.get(username);
    if (!user) {
      decoyHash ??= hashPassword('tianzhong-decoy-password');
      verifyPassword(password, decoyHash);
      return null;
    }
    return verifyPassword(password, user.passwordHash) ? user : null;
  }

  /**
   * Same as `authenticate` but runs scrypt on libuv's thread pool, so a burst
   * of CONNECTs (a district reconnecting after an outage) never blocks the
   * broker's event loop for tens of milliseconds per login.
   */
  async authenticateAsync(username: string, password: string): Promise<BrokerUserRecord | null> {
    const user = this.byName.get(username);
    if (!user) {
      decoyHash ??= hashPassword('tianzhong-decoy-password');
      await verifyPasswordAsync(password, decoyHash);
      return null;
    }
    return (await verifyPasswordAsync(password, user.passwordHash)) ? user : null;
  }

  /** The record without checking a password: for client-certificate logins (the TLS handshake proved who it is). */
  find(username: string): BrokerUserRecord | undefined {
    return this.byName.get(username);
  }

  has(username: string): boolean {
    return this.byName.has(username);
  }

  /** Writes atomically (tmp + rename), mode 0600: a crash never leaves half a file. */
  save(): void {
    if (this.file === null) throw new TzError('TZ_USERS_FILE', 'in-memory user store has no file to save to');
    const tmp = `${this.file}.${process.pid}.tmp`;
    const body = JSON.stringify({ version: 1, users: [...this.byName.values()] }, null, 2) + '\n';
    writeFileSync(tmp, body, { mode: 0o600 });
    chmodSync(tmp, 0o600);
    renameSync(tmp, this.file);
  }
}

/** A password for a new account when the operator gives none: 144 random bits, URL-safe. */
export function generatePassword(): string {
  return randomBytes(18).toString('base64url');
}
