import { z } from 'zod';
import { TzError, type Clock } from '../service-kit/index.ts';
import type { SqliteRulesStore } from './sqlite-store.ts';

// Silences and maintenance windows: for a time, alarms matching a scope (rule,
// device, asset, district — every part given must match; a list matches any
// of its values) are still recorded, marked `silencedBy`, but raise no case
// and send no alert (their events are not delivered). A silence ends at
// `endsAt`, when expired early, or when deleted; an alarm still open then is
// released and delivered as raised. Every create / expire / delete is a line
// of the rule audit table (`rule_versions`, rule id `silence:<id>`): who,
// when, why.

export const SILENCE_KINDS = ['silence', 'maintenance'] as const;
export type SilenceKind = (typeof SILENCE_KINDS)[number];
/** Longest silence: a forgotten one must not hide a city's alarms for ever. */
export const MAX_SILENCE_MS = 90 * 24 * 3_600_000;

const values = z.array(z.string().min(1).max(128)).min(1).max(500);
export const silenceMatchers = z.strictObject({ ruleIds: values.optional(), deviceIds: values.optional(), assetIds: values.optional(), districts: values.optional() })
  .refine((m) => Object.values(m).some((v) => v !== undefined), 'give at least one of ruleIds, deviceIds, assetIds, districts');
export type SilenceMatchers = z.infer<typeof silenceMatchers>;

export interface Silence {
  id: number;
  kind: SilenceKind;
  matchers: SilenceMatchers;
  startsAt: number;
  endsAt: number;
  reason: string;
  createdBy: string;
  createdAt: number;
  expiredAt: number | null;
  expiredBy: string | null;
}

/** What the matcher knows of a device besides the alarm: its asset and district (from the device registry). */
export type DeviceFacts = (deviceId: string) => { assetId?: string; district?: string } | undefined;

/** The alarm facts a silence is matched against. */
export interface SilenceSubject {
  ruleId: string;
  deviceId: string;
  /** District of the reading / alarm; the registry's (deviceFacts) wins when it knows one. */
  district: string;
}

export type SilenceState = 'pending' | 'active' | 'expired';

export function silenceState(s: Silence, now: number): SilenceState {
  if (s.expiredAt !== null || now >= s.endsAt) return 'expired';
  return now < s.startsAt ? 'pending' : 'active';
}

export function silenceMatches(m: SilenceMatchers, subject: SilenceSubject, facts: DeviceFacts): boolean {
  const f = facts(subject.deviceId) ?? {};
  const assetId = f.assetId ?? subject.deviceId;
  const district = f.district ?? subject.district;
  const ok = (list: string[] | undefined, value: string) => list === undefined || list.includes(value);
  return ok(m.ruleIds, subject.ruleId) && ok(m.deviceIds, subject.deviceId) && ok(m.assetIds, assetId) && ok(m.districts, district);
}

interface SilenceRow { id: number; kind: string; matchers: string; starts_at: number; ends_at: number; reason: string; created_by: string; created_at: number; expired_at: number | null; expired_by: string | null }
const silenceOf = (r: SilenceRow): Silence => ({
  id: r.id, kind: r.kind as SilenceKind, matchers: JSON.parse(r.matchers) as SilenceMatchers, startsAt: r.starts_at, endsAt: r.ends_at, reason: r.reason,
  createdBy: r.created_by, createdAt: r.created_at, expiredAt: r.expired_at, expiredBy: r.expired_by,
});

export interface NewSilence {
  kind: SilenceKind;
  matchers: SilenceMatchers;
  startsAt?: number;
  endsAt: number;
  reason: string;
}

export const auditId = (id: number): string => `silence:${id}`;

/** The silences of the rules service, in its SQLite store. */
export class SilenceBook {
  /** Silences not yet over, cached: matched on every newly raised alarm. */
  private live: Silence[] = [];

  constructor(private readonly store: SqliteRulesStore, private readonly clock: Clock, private readonly facts: DeviceFacts) {
    this.reload();
  }

  private reload(): void {
    const now = this.clock.now();
    this.live = (this.store.db.prepare('SELECT * FROM silences WHERE expired_at IS NULL AND ends_at > ? ORDER BY id').all(now) as SilenceRow[]).map(silenceOf);
  }

  /** The id of a silence in force now that matches, or null. */
  silenceOf(subject: SilenceSubject): number | null {
    const now = this.clock.now();
    for (const s of this.live) if (silenceState(s, now) === 'active' && silenceMatches(s.matchers, subject, this.facts)) return s.id;
    return null;
  }

  /** Whether silence `id` is still in force (released alarms are delivered once it is not). */
  inForce(id: number): boolean {
    const s = this.live.find((l) => l.id === id);
    return s !== undefined && silenceState(s, this.clock.now()) === 'active';
  }

  get(id: number): Silence {
    const row = this.store.db.prepare('SELECT * FROM silences WHERE id = ?').get(id) as SilenceRow | undefined;
    if (!row) throw new TzError('TZ_SILENCE_NOT_FOUND', `no silence ${id}`);
    return silenceOf(row);
  }

  list(state: SilenceState | 'all' | 'current'): Silence[] {
    const now = this.clock.now();
    const all = (this.store.db.prepare('SELECT * FROM silences ORDER BY id DESC LIMIT 1000').all() as SilenceRow[]).map(silenceOf);
    if (state === 'all') return all;
    if (state === 'current') return all.filter((s) => silenceState(s, now) !== 'expired');
    return all.filter((s) => silenceState(s, now) === state);
  }

  history(id: number) {
    return this.store.ruleVersions(auditId(id));
  }

  create(input: NewSilence, who: string): Silence {
    const now = this.clock.now();
    const startsAt = input.startsAt ?? now;
    if (!(input.endsAt > startsAt)) throw new TzError('TZ_REQUEST_INVALID', 'endsAt must be after startsAt');
    if (input.endsAt <= now) throw new TzError('TZ_REQUEST_INVALID', 'endsAt is in the past');
    if (input.endsAt - startsAt > MAX_SILENCE_MS) throw new TzError('TZ_REQUEST_INVALID', 'a silence lasts at most 90 days');
    const silence = this.store.transaction(() => {
      const info = this.store.db.prepare('INSERT INTO silences (kind, matchers, starts_at, ends_at, reason, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)')
        .run(input.kind, JSON.stringify(input.matchers), startsAt, input.endsAt, input.reason, who, now);
      const s = this.get(Number(info.lastInsertRowid));
      this.audit(s, 'create', who, input.reason, [{ path: '', from: null, to: { kind: s.kind, matchers: s.matchers, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt) } }]);
      return s;
    });
    this.reload();
    return silence;
  }

  /** Ends a silence now; its open alarms are released on the next tick. */
  expire(id: number, who: string, reason: string | undefined): Silence {
    const now = this.clock.now();
    const after = this.store.transaction(() => {
      const before = this.get(id);
      if (silenceState(before, now) === 'expired') throw new TzError('TZ_REQUEST_INVALID', `silence ${id} is already over`);
      this.store.db.prepare('UPDATE silences SET expired_at = ?, expired_by = ? WHERE id = ?').run(now, who, id);
      this.audit(before, 'expire', who, reason ?? null, [{ path: 'expiredAt', from: null, to: iso(now) }]);
      return this.get(id);
    });
    this.reload();
    return after;
  }

  delete(id: number, who: string, reason: string | undefined): void {
    this.store.transaction(() => {
      const before = this.get(id);
      this.store.db.prepare('DELETE FROM silences WHERE id = ?').run(id);
      this.audit(before, 'delete', who, reason ?? null, [{ path: '', from: { kind: before.kind, matchers: before.matchers, startsAt: iso(before.startsAt), endsAt: iso(before.endsAt) }, to: null }]);
    });
    this.reload();
  }

  /** Drops ended silences from the cache (each tick). */
  prune(): void {
    const now = this.clock.now();
    if (this.live.some((s) => silenceState(s, now) === 'expired')) this.live = this.live.filter((s) => silenceState(s, now) !== 'expired');
  }

  private audit(s: Silence, action: string, who: string, note: string | null, diff: unknown): void {
    const ruleId = auditId(s.id);
    this.store.addRuleVersion({ ruleId, version: this.store.latestRuleVersion(ruleId) + 1, action, doc: null, diff, who, at: this.clock.now(), note });
  }
}

const iso = (ms: number) => new Date(ms).toISOString();

export function silenceView(s: Silence, now: number) {
  return {
    id: String(s.id), kind: s.kind, matchers: s.matchers, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt), reason: s.reason, createdBy: s.createdBy,
    createdAt: iso(s.createdAt), expiredAt: s.expiredAt === null ? null : iso(s.expiredAt), expiredBy: s.expiredBy, state: silenceState(s, now),
  };
}
