import type { Clock } from '../service-kit/index.ts';

export interface LoginThrottleOptions {
  /** Failed logins of one key within `windowMs` before it is locked out. */
  maxFailures: number;
  windowMs: number;
  /** First lockout; each further lockout of the same key doubles it, up to `maxLockoutMs`. */
  lockoutMs: number;
  maxLockoutMs: number;
  /** Keys remembered at most (oldest forgotten first) so spoofed client ids cannot grow memory without bound. */
  maxKeys: number;
}

export const DEFAULT_LOGIN_THROTTLE: LoginThrottleOptions = { maxFailures: 5, windowMs: 60_000, lockoutMs: 30_000, maxLockoutMs: 15 * 60_000, maxKeys: 100_000 };

interface Entry {
  failures: number;
  windowStart: number;
  lockedUntil: number;
  lockouts: number;
}

/**
 * Failed-login throttling, kept separately per client id and per remote
 * address: guessing one gateway's password from many addresses trips the
 * client-id key, and one address trying many ids trips the address key. A
 * locked key is refused before scrypt runs, so a flood costs the broker
 * almost nothing. A successful login clears its client-id key only (many
 * gateways may share one NAT address).
 */
export class LoginThrottle {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly options: LoginThrottleOptions, private readonly clock: Clock) {}

  /** Milliseconds until `keys` may try again; 0 = allowed now. */
  retryAfter(keys: readonly string[]): number {
    const now = this.clock.now();
    let wait = 0;
    for (const key of keys) {
      const entry = this.entries.get(key);
      if (entry && entry.lockedUntil > now) wait = Math.max(wait, entry.lockedUntil - now);
    }
    return wait;
  }

  recordFailure(keys: readonly string[]): void {
    const now = this.clock.now();
    for (const key of keys) {
      let entry = this.entries.get(key);
      if (!entry || now - entry.windowStart > this.options.windowMs) {
        entry = { failures: 0, windowStart: now, lockedUntil: entry?.lockedUntil ?? 0, lockouts: entry?.lockouts ?? 0 };
      }
      entry.failures += 1;
      if (entry.failures >= this.options.maxFailures) {
        entry.lockedUntil = now + Math.min(this.options.lockoutMs * 2 ** entry.lockouts, this.options.maxLockoutMs);
        entry.lockouts += 1;
        entry.failures = 0;
        entry.windowStart = now;
      }
      this.entries.delete(key); // re-insert: Map order = least recently failed first
      this.entries.set(key, entry);
    }
    while (this.entries.size > this.options.maxKeys) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }

  recordSuccess(key: string): void {
    this.entries.delete(key);
  }

  /** Keys locked out now (for /metrics). */
  lockedCount(): number {
    const now = this.clock.now();
    let n = 0;
    for (const entry of this.entries.values()) if (entry.lockedUntil > now) n += 1;
    return n;
  }
}
