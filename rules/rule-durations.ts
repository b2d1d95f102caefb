// Durations and times of day of a rule file, read while compiling. The rule
// schema has already refused any it cannot parse, so a null here is a bug in
// the compiler or the schema, not a person's mistake.
import { parseDuration, parseTimeOfDay } from '../device-profiles/index.ts';
import { TzError } from '../service-kit/index.ts';

/** `5m` → 300000, for a duration the schema has already accepted. */
export function ruleDuration(text: string | number, where: string): number {
  const ms = parseDuration(text);
  if (ms === null) throw new TzError('TZ_INTERNAL', `${where}: duration "${text}" passed the rule schema but does not parse`);
  return ms;
}

/** `07:30` → minutes after midnight, for a time the schema has already accepted. */
export function ruleTimeOfDay(text: string, where: string): number {
  const minutes = parseTimeOfDay(text);
  if (minutes === null) throw new TzError('TZ_INTERNAL', `${where}: time of day "${text}" passed the rule schema but does not parse`);
  return minutes;
}
