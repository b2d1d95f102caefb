import { z } from 'zod';
import { CASE_EVENT_TYPES, PRIORITIES, type CaseEventType, type CasePriority, type CaseRecord } from './model.ts';

// Who hears about which cases, through which alert endpoint: per crew, per
// department or per role, filtered by severity (the case priority), category
// and event type, with quiet hours in the city's time zone. Subscriptions are
// data (SQLite, the API, seeded from the config file); endpoints and their
// secrets are configuration only (alert-config.ts).

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
export const SUBSCRIBER_ROLES = ['admin', 'operator', 'dispatcher', 'readonly'] as const;

export const subscriptionInput = z.strictObject({
  id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'use lower-kebab-case').optional(),
  name: z.string().trim().min(1).max(200),
  audience: z.union([
    z.strictObject({ crew: z.string().min(1).max(64) }),
    z.strictObject({ department: z.string().min(1).max(64) }),
    z.strictObject({ role: z.enum(SUBSCRIBER_ROLES) }),
  ]),
  endpoint: z.string().min(1).max(64),
  to: z.string().trim().min(1).max(200).nullable().default(null),
  severities: z.array(z.enum([...PRIORITIES, '*'])).min(1).default(['*']),
  categories: z.array(z.string().min(1).max(64)).min(1).default(['*']),
  events: z.array(z.enum([...CASE_EVENT_TYPES, '*'])).min(1).default(['*']),
  quietHours: z.strictObject({ from: z.string().regex(HHMM, 'use HH:MM'), to: z.string().regex(HHMM, 'use HH:MM') }).nullable().default(null),
  urgentOverridesQuiet: z.boolean().default(true),
  active: z.boolean().default(true),
});
export type SubscriptionInput = z.input<typeof subscriptionInput>;

export type Audience = { crew: string } | { department: string } | { role: (typeof SUBSCRIBER_ROLES)[number] };

export interface Subscription {
  id: string;
  name: string;
  audience: Audience;
  endpoint: string;
  to: string | null;
  severities: Array<CasePriority | '*'>;
  categories: string[];
  events: Array<CaseEventType | '*'>;
  quietHours: { from: string; to: string } | null;
  urgentOverridesQuiet: boolean;
  active: boolean;
  source: 'config' | 'api';
  createdAt: number;
  updatedAt: number;
}

const any = <T extends string>(list: ReadonlyArray<T | '*'>, value: T): boolean => list.includes('*') || list.includes(value);

/** Whether a subscription wants this event of this case (crewId: the crew the event is addressed to, if any). */
export function wants(s: Subscription, c: Pick<CaseRecord, 'priority' | 'category' | 'department' | 'crewId'>, type: CaseEventType, crewId: string | null): boolean {
  if (!s.active) return false;
  if ('crew' in s.audience && s.audience.crew !== (crewId ?? c.crewId)) return false;
  if ('department' in s.audience && s.audience.department !== c.department) return false;
  return any(s.severities, c.priority) && any(s.categories, c.category) && any(s.events, type);
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/** Wall-clock minute of the day and second of the minute in a time zone (Intl, full ICU in Node 20). */
function localTime(now: number, timeZone: string): { minute: number; second: number; ms: number } {
  const parts = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23' }).formatToParts(new Date(now));
  const get = (t: string) => Number(parts.find((p) => p.type === t)?.value ?? 0);
  return { minute: get('hour') * 60 + get('minute'), second: get('second'), ms: now % 1000 };
}

/**
 * When quiet hours hold at `now`, the time they end (ms); otherwise null.
 * `from == to` means no quiet hours. Windows may wrap midnight (22:00–07:00).
 */
export function quietUntil(quiet: { from: string; to: string } | null, now: number, timeZone: string): number | null {
  if (!quiet) return null;
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  if (from === to) return null;
  const t = localTime(now, timeZone);
  const inside = from < to ? t.minute >= from && t.minute < to : t.minute >= from || t.minute < to;
  if (!inside) return null;
  const minutesLeft = (to - t.minute + 1440) % 1440;
  return now + minutesLeft * 60_000 - t.second * 1000 - t.ms;
}

/** Where a message for this case and subscription may go out: now, or at the end of quiet hours. */
export function sendAt(s: Subscription, c: Pick<CaseRecord, 'priority'>, now: number, timeZone: string): { at: number; deferred: boolean } {
  if (c.priority === 'urgent' && s.urgentOverridesQuiet) return { at: now, deferred: false };
  const until = quietUntil(s.quietHours, now, timeZone);
  return until === null ? { at: now, deferred: false } : { at: until, deferred: true };
}
