import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { ProfileCatalogue } from '../../device-profiles/index.ts';
import { TzError, formatProblems, zodProblems } from '../../service-kit/index.ts';
import { checkTimeZone, parseCityDateTime, DEFAULT_TIME_ZONE } from '../city-time.ts';
import { PHYSICS_BY_CLASS } from '../physics/catalogue.ts';
import { scenarioSchema, ACTION_NAMES, type Scenario } from './schema.ts';

export const BUILTIN_SCENARIO_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'scenarios');

/** Parses and checks one scenario; every problem is listed as `file: path: problem`. */
export function parseScenario(text: string, file: string, profiles?: ProfileCatalogue): Scenario {
  const where = basename(file);
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    const line = err instanceof YAMLParseError ? ` (line ${err.linePos?.[0]?.line ?? '?'})` : '';
    throw new TzError('TZ_SCENARIO_INVALID', `${where}: not valid YAML${line}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const parsed = scenarioSchema.safeParse(raw);
  if (!parsed.success) {
    const problems = zodProblems(parsed.error);
    throw new TzError('TZ_SCENARIO_INVALID', formatProblems(problems, where), { details: { problems } });
  }
  const scenario = parsed.data;
  const problems: string[] = [];
  const zone = scenario.timeZone ?? DEFAULT_TIME_ZONE;
  try {
    checkTimeZone(zone);
    parseCityDateTime(scenario.start, zone);
  } catch (err) {
    problems.push(`${where}: start/timeZone: ${(err as Error).message.replace(/^TZ_\w+: /, '')}`);
  }
  const stepIds = new Set<string>();
  scenario.timeline.forEach((entry, i) => {
    const path = `timeline.${i}`;
    if (entry.id) {
      if (stepIds.has(entry.id)) problems.push(`${where}: ${path}.id: "${entry.id}" is used twice`);
      stepIds.add(entry.id);
    }
    if (entry.at > scenario.duration) problems.push(`${where}: ${path}.at: ${entry.at}s is after the end of the scenario (${scenario.duration}s)`);
    const select = entry.event?.select ?? entry.fault?.select;
    if (select?.from && !stepIds.has(select.from)) problems.push(`${where}: ${path}.select.from: no earlier timeline step with id "${select.from}"`);
    for (const id of select?.notFrom ?? []) if (!stepIds.has(id)) problems.push(`${where}: ${path}.select.notFrom: no earlier timeline step with id "${id}"`);
    if (select?.class && !PHYSICS_BY_CLASS[select.class]) problems.push(`${where}: ${path}: no simulated class "${select.class}" (have: ${Object.keys(PHYSICS_BY_CLASS).join(', ')})`);
    const event = entry.event;
    if (event) {
      const classes = select?.class ? [select.class] : Object.keys(PHYSICS_BY_CLASS);
      const known = classes.some((c) => PHYSICS_BY_CLASS[c]?.events[event.name]);
      if (!known) problems.push(`${where}: ${path}.event.name: "${event.name}" is not an event of ${classes.join(' / ')} (have: ${classes.flatMap((c) => Object.keys(PHYSICS_BY_CLASS[c]?.events ?? {})).join(', ')})`);
    }
    if (entry.fault?.kind === 'corrupt' && !entry.fault.corrupt) problems.push(`${where}: ${path}.fault.corrupt: say how (crc, garbage or mbap)`);
    if (entry.fault?.kind === 'slow' && !entry.fault.slowMs) problems.push(`${where}: ${path}.fault.slowMs: say how slow (ms)`);
  });
  const allRules = new Set(profiles ? profiles.all().flatMap((p) => p.rules.map((r) => r.id)) : []);
  scenario.expect.alarms.forEach((e, i) => {
    if (e.from && !stepIds.has(e.from)) problems.push(`${where}: expect.alarms.${i}.from: no timeline step with id "${e.from}"`);
    if (profiles && !allRules.has(e.ruleId)) problems.push(`${where}: expect.alarms.${i}.ruleId: no profile has a rule "${e.ruleId}"`);
  });
  scenario.expect.cases.forEach((e, i) => {
    if (e.from && !stepIds.has(e.from)) problems.push(`${where}: expect.cases.${i}.from: no timeline step with id "${e.from}"`);
  });
  if (problems.length) throw new TzError('TZ_SCENARIO_INVALID', problems.join('\n'), { details: { problems } });
  // The timeline runs in time order whatever order the file lists it in (stable for equal times).
  scenario.timeline = scenario.timeline.map((e, i) => ({ e, i })).sort((a, b) => a.e.at - b.e.at || a.i - b.i).map(({ e }) => e);
  return scenario;
}

export function loadScenarioFile(file: string, profiles?: ProfileCatalogue): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new TzError('TZ_SCENARIO_INVALID', `cannot read scenario file ${file}: ${(err as Error).message}`, { cause: err });
  }
  return parseScenario(text, file, profiles);
}

/** The built-in scenario names (files in firmware-sim/scenarios). */
export function builtinScenarios(): string[] {
  return readdirSync(BUILTIN_SCENARIO_DIR).filter((f) => f.endsWith('.yaml')).map((f) => f.replace(/\.yaml$/, '')).sort();
}

/** A built-in scenario by name, or a path to a YAML file. */
export function loadScenario(nameOrPath: string, profiles?: ProfileCatalogue): Scenario {
  const builtin = join(BUILTIN_SCENARIO_DIR, `${nameOrPath}.yaml`);
  if (existsSync(builtin)) return loadScenarioFile(builtin, profiles);
  if (existsSync(nameOrPath)) return loadScenarioFile(nameOrPath, profiles);
  throw new TzError('TZ_SCENARIO_INVALID', `no scenario "${nameOrPath}": use one of ${builtinScenarios().join(', ')} or a path to a YAML file`);
}

export { ACTION_NAMES };
