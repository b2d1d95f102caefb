import { z } from 'zod';
import { parseDuration as parseDurationMs } from '../../service-kit/index.ts';

// A scenario file: a story the city lives through, on a timeline of simulated
// time, and the alarms and cases it must cause. Every key is in README.md.

/** "90s", "10m", "1h30m", "2d" or a number of seconds → seconds (service-kit's one duration parser). */
export function parseDuration(text: string | number): number | undefined {
  const ms = parseDurationMs(text);
  return ms === null ? undefined : ms / 1000;
}
const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  const seconds = parseDuration(v);
  if (seconds === undefined) {
    ctx.addIssue({ code: 'custom', message: `"${v}" is not a duration (use 90s, 10m, 1h30m, 2d or seconds)` });
    return z.NEVER;
  }
  return seconds;
});

const classId = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'a device class id such as manhole-cover');
const stepId = z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'use lower-kebab-case');

/** Which devices an action touches: named ids, or `count` picked under the seed from a class (and district). */
export const selectionSchema = z
  .strictObject({
    devices: z.array(z.string().min(1)).min(1).optional(),
    /** The devices an earlier step (by id) picked: repair what was broken. */
    from: stepId.optional(),
    class: classId.optional(),
    district: z.string().min(1).optional(),
    /** Only devices on this transport (e.g. lora for replayed frames). */
    transport: z.enum(['tcp', 'rtu', 'lora']).optional(),
    /** Leave out devices earlier steps picked (a different pole than the smashed lamps). */
    notFrom: z.array(stepId).optional(),
    /** How many to pick (default: all that match). */
    count: z.number().int().min(1).optional(),
  })
  .refine((s) => [s.devices, s.from, s.class].filter((x) => x !== undefined).length === 1, { message: 'select by exactly one of: devices (ids), from (an earlier step id), class (to pick from)' });

const params = z.record(z.string(), z.union([z.number(), z.boolean(), z.string()])).default({});
const faultKinds = ['silent', 'stuck', 'spikes', 'slow', 'corrupt', 'recover', 'lora-replay', 'lora-bad-mic', 'lora-clock-skew'] as const;

const actionSchemas = {
  /** Rain over one district or the whole city, mm/h (0 ends it). */
  rain: z.strictObject({ mmPerHour: z.number().min(0).max(300), district: z.string().optional() }),
  /** A heat wave: °C added to the seasonal air temperature. */
  heat: z.strictObject({ offsetC: z.number().min(-30).max(30), district: z.string().optional() }),
  /** Haze: PM2.5 added to the background. */
  air: z.strictObject({ pm25ExtraUgm3: z.number().min(0).max(1000), district: z.string().optional() }),
  /** Grid power in a district. */
  power: z.strictObject({ district: z.string().min(1), on: z.boolean() }),
  /** A gateway's uplink: every bus behind it stops answering while down. */
  gateway: z.strictObject({ district: z.string().min(1), index: z.number().int().min(1).default(1), link: z.enum(['up', 'down']) }),
  /** Something happens in the street to selected devices (class events: cover-open, pipe-leak, lamp-fail …). */
  event: z.strictObject({ name: z.string().min(1), select: selectionSchema, params }),
  /** Faults of the devices' electronics. */
  fault: z.strictObject({
    kind: z.enum(faultKinds),
    select: selectionSchema,
    /** slow: reply delay; spikes: chance per read; corrupt: crc | garbage | mbap. */
    slowMs: z.number().int().min(1).max(60_000).optional(),
    chance: z.number().min(0).max(1).optional(),
    corrupt: z.enum(['crc', 'garbage', 'mbap']).optional(),
  }),
};
export type ActionName = keyof typeof actionSchemas;
export const ACTION_NAMES = Object.keys(actionSchemas) as ActionName[];

export const timelineEntrySchema = z
  .strictObject({
    /** Simulated time after the scenario start. */
    at: duration,
    /** Names the step so `expect` can refer to the devices it picked. */
    id: stepId.optional(),
    note: z.string().optional(),
    rain: actionSchemas.rain.optional(),
    heat: actionSchemas.heat.optional(),
    air: actionSchemas.air.optional(),
    power: actionSchemas.power.optional(),
    gateway: actionSchemas.gateway.optional(),
    event: actionSchemas.event.optional(),
    fault: actionSchemas.fault.optional(),
  })
  .superRefine((entry, ctx) => {
    const actions = ACTION_NAMES.filter((a) => entry[a] !== undefined);
    if (actions.length !== 1) {
      ctx.addIssue({ code: 'custom', message: `each timeline entry has exactly one action (${ACTION_NAMES.join(', ')}); found ${actions.length ? actions.join(', ') : 'none'}` });
    }
  });

const countRange = { min: z.number().int().min(0).optional(), max: z.number().int().min(0).optional() };

export const alarmExpectationSchema = z
  .strictObject({
    ruleId: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/, 'a rule id such as cover-open'),
    /** Every device the named timeline step picked must have this alarm. */
    from: stepId.optional(),
    /** Count distinct devices with this alarm (optionally in one district). */
    district: z.string().optional(),
    ...countRange,
  })
  .refine((e) => e.from !== undefined || e.min !== undefined || e.max !== undefined, { message: 'say which devices (from: <step id>) or how many (min / max)' });

export const caseExpectationSchema = z
  .strictObject({ category: z.string().min(1).optional(), from: stepId.optional(), district: z.string().optional(), ...countRange })
  .refine((e) => e.from !== undefined || e.min !== undefined || e.max !== undefined, { message: 'say which devices (from: <step id>) or how many (min / max)' });

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z][a-z0-9-]{0,47}$/, 'use lower-kebab-case'),
  title: z.string().min(1),
  description: z.string().default(''),
  /** Simulated start, city-local ("2026-07-20T16:00") or ISO with an offset. */
  start: z.string().min(1),
  timeZone: z.string().optional(),
  duration,
  /** Suggested time compression (`--speed` overrides). */
  speed: z.number().min(0.01).max(100_000).default(60),
  /** The smallest district the timeline's selections fit in. */
  minDevices: z.number().int().min(4).default(40),
  /** Water meters on LoRaWAN the timeline needs (`tianzhong sim` starts at least this many). */
  loraMeters: z.number().int().min(0).default(0),
  timeline: z.array(timelineEntrySchema).min(1),
  expect: z.strictObject({
    alarms: z.array(alarmExpectationSchema).default([]),
    cases: z.array(caseExpectationSchema).default([]),
    /** Rules that must not fire anywhere (no alarm storm from a fault that should stay quiet). */
    absentRules: z.array(z.string()).default([]),
  }),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type TimelineEntry = z.infer<typeof timelineEntrySchema>;
export type Selection = z.infer<typeof selectionSchema>;
export type AlarmExpectation = z.infer<typeof alarmExpectationSchema>;
export type CaseExpectation = z.infer<typeof caseExpectationSchema>;
export type FaultKind = (typeof faultKinds)[number];
