import type { Clock } from '../service-kit/index.ts';

export interface LoginThrottleOptions {
  /** Password checks of one key within `windowMs` (failed, or still running) before further attempts are refused unchecked. */
  maxFailures: number;
  windowMs: number;
  /** First lockout; each further lockout of the same account or client doubles it, up to `maxLockoutMs`. */
  lockoutMs: number;
  maxLockoutMs: number;
  /**
   * Longest lockout of a whole remote address (default 4 × lockoutMs). Kept
   * short on purpose: many gateways share one NAT address, and the failing
   * client itself is held by its own, escalating key.
   */
  maxAddressLockoutMs?: number;
  /** Keys remembered at most (oldest forgotten first) so spoofed client ids cannot grow memory without bound. */
  maxKeys: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = { maxFailures: 5, windowMs: 60_000, lockoutMs: 30_000, maxLockoutMs: 15 * 60_000, maxKeys: 100_000 };

/** Who is trying to log in. */
export interface LoginAttempt {
  address: string;
  clientId: string;
  /** The username sent, or the certificate's CN; undefined for an anonymous attempt. */
  username: string | undefined;
}

/** One admitted password check: exactly one of its methods is called when the check ends. */
export interface LoginTicket {
  failed(): void;
  succeeded(): void;
  /** The check could not run (internal error): it counts neither way. */
  abandoned(): void;
}

export type LoginAdmission = { ticket: LoginTicket } | { retryAfterMs: number; cause: 'locked' | 'in-flight' };

interface Entry {
  failures: number;
  /** Checks admitted and not finished: they count against `maxFailures` until they end. */
  inFlight: number;
  windowStart: number;
  lockedUntil: number;
  lockouts: number;
}

type KeyKind = 'addr' | 'client' | 'user';

/**
 * Failed-login throttling on three keys per attempt:
 * - `user:{username}` — one account guessed from many addresses; escalates
 *   (lockout doubles up to maxLockoutMs);
 * - `client:{address}/{clientId}/{username}` — the one failing client (a
 *   misconfigured gateway); escalates the same way;
 * - `addr:{address}` — one address trying many accounts; its lockout doubles
 *   only up to maxAddressLockoutMs, and any successful login from the address
 *   resets that escalation, so a misconfigured gateway behind a NAT cannot
 *   lock its healthy neighbours out for longer and longer.
 * A check still running counts like a failure until it ends, so parallel
 * CONNECTs cannot go around `maxFailures`: per key at most maxFailures checks
 * are running or have failed in the window, the rest are refused unchecked —
 * no scrypt hash is spent on them. A locked attempt does not count as a
 * failure (it never reached a password check).
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();
  private readonly maxAddressLockoutMs: number;

  constructor(private readonly options: LoginThrottleOptions, private readonly clock: Clock) {
    this.maxAddressLockoutMs = options.maxAddressLockoutMs ?? Math.min(options.lockoutMs * 4, options.maxLockoutMs);
  }

  /** Admits one password check, or says why not and for how long. */
  admit(attempt: LoginAttempt): LoginAdmission {
    const now = this.clock.now();
    const keys = keysOf(attempt);
    let locked = 0;
    let full = false;
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (!entry) continue;
      this.rollWindow(entry, now);
      if (entry.lockedUntil > now) locked = Math.max(locked, entry.lockedUntil - now);
      else if (entry.failures + entry.inFlight >= this.options.maxFailures) full = true;
    }
    if (locked > 0) return { retryAfterMs: locked, cause: 'locked' };
    if (full) return { retryAfterMs: 0, cause: 'in-flight' };
    for (const key of keys) this.touch(key, now).inFlight += 1;
    let done = false;
    const finish = (outcome: 'failed' | 'succeeded' | 'abandoned') => {
      if (done) return;
      done = true;
      const at = this.clock.now();
      for (const key of keys) {
        const entry = this.entries.get(key);
        if (entry && entry.inFlight > 0) entry.inFlight -= 1;
      }
      if (outcome === 'failed') for (const key of keys) this.fail(key, at);
      if (outcome === 'succeeded') {
        // The account and the client proved themselves; the address gets a fresh escalation (its failures stay counted).
        this.entries.delete(keys[1]);
        this.entries.delete(keys[2]);
        const addr = this.entries.get(keys[0]);
        if (addr) addr.lockouts = 0;
      }
    };
    return { ticket: { failed: () => finish('failed'), succeeded: () => finish('succeeded'), abandoned: () => finish('abandoned') } };
  }

  /** Milliseconds until this attempt may try again; 0 = not locked now. */
  retryAfter(attempt: LoginAttempt): number {
    const now = this.clock.now();
    let wait = 0;
    for (const key of keysOf(attempt)) {
      const entry = this.entries.get(key);
      if (entry && entry.lockedUntil > now) wait = Math.max(wait, entry.lockedUntil - now);
    }
    return wait;
  }

  /** Keys locked out now (for /metrics). */
  lockedCount(): number {
    const now = this.clock.now();
    let n = 0;
    for (const entry of this.entries.values()) if (entry.lockedUntil > now) n += 1;
    return n;
  }

  private rollWindow(entry: Entry, now: number): void {
    if (now - entry.windowStart > this.options.windowMs) {
      entry.failures = 0;
      entry.windowStart = now;
    }
  }

  private touch(key: string, now: number): Entry {
    let entry = this.entries.get(key);
    if (!entry) entry = { failures: 0, inFlight: 0, windowStart: now, lockedUntil: 0, lockouts: 0 };
    this.rollWindow(entry, now);
    this.entries.delete(key); // re-insert: Map order = least recently used first
    this.entries.set(key, entry);
    while (this.entries.size > this.options.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined || oldest === key) break;
      this.entries.delete(oldest);
    }
    return entry;
  }

  private fail(key: string, now: number): void {
    const entry = this.touch(key, now);
    entry.failures += 1;
    if (entry.failures < this.options.maxFailures) return;
    const cap = kindOf(key) === 'addr' ? this.maxAddressLockoutMs : this.options.maxLockoutMs;
    entry.lockedUntil = now + Math.min(this.options.lockoutMs * 2 ** Math.min(entry.lockouts, 30), cap);
    entry.lockouts += 1;
    entry.failures = 0;
    entry.windowStart = now;
  }
}

function keysOf({ address, clientId, username }: LoginAttempt): [string, string, string] {
  const user = username ?? `(anonymous:${clientId})`;
  return [`addr:${address}`, `client:${JSON.stringify([address, clientId, user])}`, `user:${user}`];
}

function kindOf(key: string): KeyKind {
  return key.slice(0, key.indexOf(':')) as KeyKind;
}
