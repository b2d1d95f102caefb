import { z } from 'zod';
import { parseDuration, parseTimeOfDay } from '../service-kit/index.ts';

// The alarm rule language: data (YAML in a profile's `rules:`, JSON over the
// rules API), validated here with zod, never evaluated as code. Durations and
// times of day are parsed by the two small functions below. Every problem is
// reported with its path (`when.all.1.avg`) so an operator sees what to fix.

const metricName = z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'use lower_snake_case, starting with a letter, at most 48 characters');

// The one duration and time-of-day parser is service-kit's; re-exported for the rule language's users.
export { parseDuration, parseTimeOfDay };

const duration = z.union([z.number(), z.string()]).refine((v) => parseDuration(v) !== null, 'expected a duration such as 30s, 5m, 1h30m, 2d (or a number of seconds)');
const timeOfDay = z.string().refine((v) => parseTimeOfDay(v) !== null, 'expected a time of day HH:MM (24 h), e.g. 01:00');
export const WEEKDAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'] as const;
export type Weekday = (typeof WEEKDAYS)[number];
export const COMPARISON_OPS = ['==', '!=', '>', '>=', '<', '<='] as const;
export type ComparisonOp = (typeof COMPARISON_OPS)[number];
const op = z.enum(COMPARISON_OPS);
const range = z.tuple([z.number(), z.number()]).refine(([lo, hi]) => lo <= hi, 'the range is [low, high] with low <= high');

/** Window selectors of a metric condition: which number of the metric is compared. */
export const WINDOW_KINDS = ['change', 'rate', 'avg', 'min', 'max', 'count'] as const;
export type WindowKind = (typeof WINDOW_KINDS)[number];

export type Duration = string | number;

/**
 * A test on one metric. Without a window selector the latest value is
 * compared; with one, a number over the window ending at the reading:
 * `change` (latest − oldest), `rate` (change per `per`, default per minute),
 * `avg`/`min`/`max` of the values, `count` of readings (matching `where`).
 * The test is `op` + `value`, or `between: [lo, hi]` / `outside: [lo, hi]`.
 */
export interface MetricCondition {
  metric: string;
  op?: ComparisonOp;
  value?: number | boolean;
  between?: [number, number];
  outside?: [number, number];
  change?: Duration;
  rate?: Duration;
  per?: 'second' | 'minute' | 'hour';
  avg?: Duration;
  min?: Duration;
  max?: Duration;
  count?: Duration;
  where?: { op: ComparisonOp; value: number | boolean };
}

/** Time of day (`from`–`to`, may wrap past midnight) and/or days of week, in the city's time zone. */
export interface TimeCondition {
  time: { from?: string; to?: string; days?: Weekday[] };
}

export type Condition = MetricCondition | TimeCondition | { all: Condition[] } | { any: Condition[] } | { not: Condition };

const metricConditionSchema = z.strictObject({
  metric: metricName,
  op: op.optional(),
  value: z.union([z.number(), z.boolean()]).optional(),
  between: range.optional(),
  outside: range.optional(),
  change: duration.optional(),
  rate: duration.optional(),
  per: z.enum(['second', 'minute', 'hour']).optional(),
  avg: duration.optional(),
  min: duration.optional(),
  max: duration.optional(),
  count: duration.optional(),
  where: z.strictObject({ op, value: z.union([z.number(), z.boolean()]) }).optional(),
}).superRefine((c, ctx) => {
  const windows = WINDOW_KINDS.filter((k) => c[k] !== undefined);
  const [firstWindow, secondWindow] = windows;
  if (secondWindow !== undefined) ctx.addIssue({ code: 'custom', path: [secondWindow], message: `use one window selector per condition, not ${windows.join(' and ')}` });
  const tests = (['op', 'between', 'outside'] as const).filter((k) => c[k] !== undefined);
  if (tests.length === 0) ctx.addIssue({ code: 'custom', path: [], message: 'a metric condition needs a test: op + value, between: [lo, hi] or outside: [lo, hi]' });
  const secondTest = tests[1];
  if (secondTest !== undefined) ctx.addIssue({ code: 'custom', path: [secondTest], message: `use one test per condition, not ${tests.join(' and ')}` });
  if (c.op !== undefined && c.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `op "${c.op}" needs a value` });
  if (c.op === undefined && c.value !== undefined) ctx.addIssue({ code: 'custom', path: ['op'], message: 'value needs an op (==, !=, >, >=, <, <=)' });
  if (typeof c.value === 'boolean' && c.op !== '==' && c.op !== '!=') ctx.addIssue({ code: 'custom', path: ['op'], message: 'a true/false value is compared only with == or !=' });
  if (typeof c.value === 'boolean' && windows.length > 0) ctx.addIssue({ code: 'custom', path: ['value'], message: `${firstWindow} is a number; compare it with a number` });
  if (c.per !== undefined && c.rate === undefined) ctx.addIssue({ code: 'custom', path: ['per'], message: 'per goes with rate' });
  if (c.where !== undefined && c.count === undefined) ctx.addIssue({ code: 'custom', path: ['where'], message: 'where goes with count' });
  for (const k of windows) {
    const window = c[k];
    if (window !== undefined && parseDuration(window) === 0) ctx.addIssue({ code: 'custom', path: [k], message: 'a window must be longer than 0' });
  }
});

const timeConditionSchema = z.strictObject({
  time: z.strictObject({ from: timeOfDay.optional(), to: timeOfDay.optional(), days: z.array(z.enum(WEEKDAYS)).min(1).optional() })
    .superRefine((t, ctx) => {
      if ((t.from === undefined) !== (t.to === undefined)) ctx.addIssue({ code: 'custom', path: [t.from === undefined ? 'from' : 'to'], message: 'give both from and to (HH:MM)' });
      if (t.from === undefined && t.days === undefined) ctx.addIssue({ code: 'custom', path: [], message: 'a time condition needs from/to, days, or both' });
    }),
});

const CONDITION_KEYS = ['metric', 'time', 'all', 'any', 'not'] as const;

/** Picks the schema by the condition's key, so errors name the faulty field instead of "no union member matched". */
export const conditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.unknown().transform((value, ctx): Condition => {
    const keys = value !== null && typeof value === 'object' && !Array.isArray(value) ? CONDITION_KEYS.filter((k) => k in value) : [];
    const [key] = keys;
    if (keys.length !== 1 || key === undefined) {
      ctx.addIssue({ code: 'custom', message: keys.length === 0 ? `a condition is an object with one of: ${CONDITION_KEYS.join(', ')}` : `a condition has one of ${keys.join(', ')}, not several (combine with all/any)` });
      return z.NEVER;
    }
    const schema: z.ZodType = key === 'metric' ? metricConditionSchema
      : key === 'time' ? timeConditionSchema
        : key === 'not' ? z.strictObject({ not: conditionSchema })
          : key === 'all' ? z.strictObject({ all: z.array(conditionSchema).min(1) })
            : z.strictObject({ any: z.array(conditionSchema).min(1) });
    const result = schema.safeParse(value);
    if (!result.success) {
      for (const issue of result.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path as PropertyKey[] as (string | number)[] });
      return z.NEVER;
    }
    return result.data as Condition;
  }),
);

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
const severity = z.enum(SEVERITIES);
const idList = z.array(z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/, 'an id of letters, digits, _ . -')).min(1);

/** Which devices a rule applies to; every given part must match (parts are AND, list entries OR). */
export const scopeSchema = z.strictObject({
  /** Device class ids (profile `class`). */
  classes: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'a device class id (lower-kebab-case)')).min(1).optional(),
  /** Profile versions, `class@version`, e.g. `water-meter@2`. */
  profiles: z.array(z.string().regex(/^[a-z][a-z0-9-]{0,47}@\d+$/, 'class@version, e.g. water-meter@2')).min(1).optional(),
  devices: idList.optional(),
  districts: idList.optional(),
  gateways: idList.optional(),
  /** Reading tags as in InfluxDB (`district`, `gateway`, `profile_version`): one value or a list. */
  tags: z.record(z.enum(['district', 'gateway', 'profile_version']), z.union([z.string(), z.array(z.string()).min(1)])).optional(),
});

const escalationSchema = z.array(z.strictObject({ after: duration, severity })).min(1);

/** The settings an override may change for some districts or devices. */
const ruleSettings = {
  when: conditionSchema.optional(),
  clear: conditionSchema.optional(),
  /** The condition must hold this long before the alarm fires (`for: 5m`). */
  for: duration.optional(),
  /** The clear condition must hold this long before the alarm clears. */
  clearFor: duration.optional(),
  /** Thresholds of `when` must be passed back by this much before the alarm clears (without `clear`). */
  deadband: z.number().min(0).optional(),
  /** Fire when `when` held in `count` of the last `of` readings (instead of every reading of `for`). */
  repeat: z.strictObject({ count: z.number().int().min(1), of: z.number().int().min(1).max(32) }).refine((r) => r.count <= r.of, 'count must not exceed of').optional(),
  /** No data: fires when a device sent nothing for `missedReports` × its profile's reportIntervalSeconds. */
  noData: z.strictObject({ missedReports: z.number().min(1).max(1000) }).optional(),
  severity: severity.optional(),
  /** Severity steps while the alarm is unacknowledged, e.g. `[{after: 10m, severity: critical}]`. */
  escalate: escalationSchema.optional(),
  /** live: raises alarms; shadow: records what it would have raised; disabled: not evaluated. */
  mode: z.enum(['live', 'shadow', 'disabled']).optional(),
};

export const ruleOverrideSchema = z.strictObject({
  /** Devices this override is for (wins over a district override). */
  devices: idList.optional(),
  districts: idList.optional(),
  set: z.strictObject(ruleSettings),
}).refine((o) => o.devices !== undefined || o.districts !== undefined, 'an override names devices or districts');

export const ruleSchema = z.strictObject({
  id: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'use lower-kebab-case'),
  name: z.string().min(1).max(200),
  description: z.string().max(2000).optional(),
  scope: scopeSchema.optional(),
  ...ruleSettings,
  severity,
  /** Legacy form of `for`, in seconds. */
  forSeconds: z.number().int().min(0).optional(),
  /** Held and marked flapping when it fires `count` times within `window` (default 5 in 10m). */
  flapping: z.strictObject({ count: z.number().int().min(2).max(1000), window: duration }).optional(),
  /** Whether the alarm opens a work-order case, and in which category. */
  case: z.strictObject({
    category: z.string().min(1),
    priority: z.enum(['low', 'normal', 'high', 'urgent']).default('normal'),
  }).optional(),
  overrides: z.array(ruleOverrideSchema).optional(),
  /**
   * A device command to run when the alarm is raised (e.g. the pole's
   * loudspeaker: `{name: play_warning, params: {message: 1}}`). Rules only
   * carries it; the centre's CommandCenter (registry/commands,
   * ruleCommandSink) sends it to the alarm's device, checked by its profile.
   */
  command: z.strictObject({
    name: z.string().regex(/^[a-z][a-z0-9_]{0,47}$/, 'a command name of the profile (lower_snake_case)'),
    params: z.record(z.string().min(1), z.union([z.number(), z.boolean()])).default({}),
  }).optional(),
}).superRefine((r, ctx) => {
  if ((r.when === undefined) === (r.noData === undefined)) ctx.addIssue({ code: 'custom', path: [r.when ? 'noData' : 'when'], message: 'a rule has either a `when` condition or `noData`, exactly one' });
  if (r.for !== undefined && r.forSeconds !== undefined) ctx.addIssue({ code: 'custom', path: ['forSeconds'], message: 'use `for` (forSeconds is its older form), not both' });
  if (r.noData && (r.clear || r.repeat || r.deadband !== undefined)) ctx.addIssue({ code: 'custom', path: ['noData'], message: 'a noData rule clears on the next reading; clear, repeat and deadband do not apply' });
});

export type RuleSpec = z.infer<typeof ruleSchema>;
export type RuleOverride = z.infer<typeof ruleOverrideSchema>;
export type RuleScope = z.infer<typeof scopeSchema>;

/** Every metric a condition names, in order of first mention. */
export function conditionMetrics(condition: Condition, into: Set<string> = new Set()): Set<string> {
  if ('metric' in condition) into.add(condition.metric);
  else if ('all' in condition) for (const c of condition.all) conditionMetrics(c, into);
  else if ('any' in condition) for (const c of condition.any) conditionMetrics(c, into);
  else if ('not' in condition) conditionMetrics(condition.not, into);
  return into;
}

/** Metric names a condition refers to that are not in `known`, with their paths. */
export function unknownMetrics(condition: Condition, known: ReadonlySet<string>, path: string): Array<{ path: string; metric: string }> {
  const out: Array<{ path: string; metric: string }> = [];
  const walk = (c: Condition, at: string): void => {
    if ('metric' in c) {
      if (!known.has(c.metric)) out.push({ path: `${at}.metric`, metric: c.metric });
    } else if ('all' in c) c.all.forEach((x, i) => walk(x, `${at}.all.${i}`));
    else if ('any' in c) c.any.forEach((x, i) => walk(x, `${at}.any.${i}`));
    else if ('not' in c) walk(c.not, `${at}.not`);
  };
  walk(condition, path);
  return out;
}
