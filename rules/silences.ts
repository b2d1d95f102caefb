import { z } from 'zod';
import { TzError, type Clock } from '../service-kit/index.ts';
import { runSteps, step, type Maybe, type RuleDocuments, type RulesStore, type RulesTx, type RuleVersionRow, type SilenceRecord, type Steps } from './rules-store.ts';

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

const silenceOf = (r: SilenceRecord): Silence => ({ ...r, kind: r.kind as SilenceKind, matchers: JSON.parse(r.matchers) as SilenceMatchers });

export interface NewSilence {
  kind: SilenceKind;
  matchers: SilenceMatchers;
  startsAt?: number;
  endsAt: number;
  reason: string;
}

export const auditId = (id: number): string => `silence:${id}`;

/** The silences of the rules service, in its store (beside the rule documents). */
export class SilenceBook {
  /** Silences not yet over, cached: matched on every newly raised alarm. */
  private live: Silence[] = [];

  constructor(private readonly store: RuleDocuments & Pick<RulesStore, 'transaction' | 'kind'>, private readonly clock: Clock, private readonly facts: DeviceFacts) {
    if (store.kind === 'sqlite') void this.reload();
  }

  /** Reads the silences not yet over (at start, after each change; another rules service's changes at its refresh). */
  reload(): Maybe<void> {
    const rows = this.store.liveSilences(this.clock.now());
    const fill = (r: SilenceRecord[]) => { this.live = r.map(silenceOf); };
    return rows instanceof Promise ? rows.then(fill) : fill(rows);
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

  get(id: number): Maybe<Silence> {
    return then(this.store.getSilence(id), (row) => found(row, id));
  }

  list(state: SilenceState | 'all' | 'current'): Maybe<Silence[]> {
    const now = this.clock.now();
    return then(this.store.listSilences(1000), (rows) => {
      const all = rows.map(silenceOf);
      if (state === 'all') return all;
      if (state === 'current') return all.filter((s) => silenceState(s, now) !== 'expired');
      return all.filter((s) => silenceState(s, now) === state);
    });
  }

  history(id: number): Maybe<RuleVersionRow[]> {
    return this.store.ruleVersions(auditId(id));
  }

  create(input: NewSilence, who: string): Maybe<Silence> {
    const now = this.clock.now();
    const startsAt = input.startsAt ?? now;
    if (!(input.endsAt > startsAt)) throw new TzError('TZ_REQUEST_INVALID', 'endsAt must be after startsAt');
    if (input.endsAt <= now) throw new TzError('TZ_REQUEST_INVALID', 'endsAt is in the past');
    if (input.endsAt - startsAt > MAX_SILENCE_MS) throw new TzError('TZ_REQUEST_INVALID', 'a silence lasts at most 90 days');
    const book = this;
    return this.changed(this.store.transaction(function* (tx) {
      const id = yield* step(tx.insertSilence({ kind: input.kind, matchers: JSON.stringify(input.matchers), startsAt, endsAt: input.endsAt, reason: input.reason, createdBy: who, createdAt: now }));
      const s = found(yield* step(tx.getSilence(id)), id);
      yield* book.audit(tx, s, 'create', who, input.reason, [{ path: '', from: null, to: { kind: s.kind, matchers: s.matchers, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt) } }]);
      return s;
    }));
  }

  /** Ends a silence now; its open alarms are released on the next tick. */
  expire(id: number, who: string, reason: string | undefined): Maybe<Silence> {
    const now = this.clock.now();
    const book = this;
    return this.changed(this.store.transaction(function* (tx) {
      const before = found(yield* step(tx.getSilence(id)), id);
      if (silenceState(before, now) === 'expired') throw new TzError('TZ_REQUEST_INVALID', `silence ${id} is already over`);
      yield* step(tx.expireSilence(id, now, who));
      yield* book.audit(tx, before, 'expire', who, reason ?? null, [{ path: 'expiredAt', from: null, to: iso(now) }]);
      return found(yield* step(tx.getSilence(id)), id);
    }));
  }

  delete(id: number, who: string, reason: string | undefined): Maybe<void> {
    const book = this;
    return this.changed(this.store.transaction(function* (tx) {
      const before = found(yield* step(tx.getSilence(id)), id);
      yield* step(tx.deleteSilence(id));
      yield* book.audit(tx, before, 'delete', who, reason ?? null, [{ path: '', from: { kind: before.kind, matchers: before.matchers, startsAt: iso(before.startsAt), endsAt: iso(before.endsAt) }, to: null }]);
    }));
  }

  /** Drops ended silences from the cache (each tick). */
  prune(): void {
    const now = this.clock.now();
    if (this.live.some((s) => silenceState(s, now) === 'expired')) this.live = this.live.filter((s) => silenceState(s, now) !== 'expired');
  }

  /** After a change: the cache is read again, then the change's result is answered. */
  private changed<T>(result: Maybe<T>): Maybe<T> {
    const book = this;
    return runSteps((function* (): Steps<T> {
      const value = yield* step(result);
      yield* step(book.reload());
      return value;
    })());
  }

  private *audit(tx: RulesTx, s: Silence, action: string, who: string, note: string | null, diff: unknown): Steps<void> {
    const ruleId = auditId(s.id);
    const version = (yield* step(tx.latestRuleVersion(ruleId))) + 1;
    yield* step(tx.addRuleVersion({ ruleId, version, action, doc: null, diff, who, at: this.clock.now(), note }));
  }
}

function found(row: SilenceRecord | undefined, id?: number): Silence {
  if (!row) throw new TzError('TZ_SILENCE_NOT_FOUND', `no silence ${id ?? ''}`.trim());
  return silenceOf(row);
}

function then<T, R>(value: Maybe<T>, fn: (v: T) => R): Maybe<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

const iso = (ms: number) => new Date(ms).toISOString();

export function silenceView(s: Silence, now: number) {
  return {
    id: String(s.id), kind: s.kind, matchers: s.matchers, startsAt: iso(s.startsAt), endsAt: iso(s.endsAt), reason: s.reason, createdBy: s.createdBy,
    createdAt: iso(s.createdAt), expiredAt: s.expiredAt === null ? null : iso(s.expiredAt), expiredBy: s.expiredBy, state: silenceState(s, now),
  };
}
