import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { TzError } from '../service-kit/index.ts';
import { profileSchema, type Condition, type DeviceProfile } from './schema.ts';
import { registerWords } from './registers.ts';
import { unknownMetrics } from './rule-schema.ts';
import { checkCommand, commandParamsOf } from './command-check.ts';
import { fieldProtocolProblems } from './field/profile-check.ts';

export const BUILTIN_PROFILE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'profiles');

/** One problem in a profile file: where, and what. */
export interface ProfileProblem {
  file: string;
  path: string;
  problem: string;
}

function invalid(file: string, problems: ProfileProblem[]): TzError {
  const lines = problems.map((p) => `${p.file}: ${p.path || '(root)'}: ${p.problem}`);
  return new TzError('TZ_PROFILE_INVALID', `${problems.length} problem(s) in ${file}:\n  ${lines.join('\n  ')}`, { details: { file, problems } });
}

/** Checks what the schema alone cannot: names that must refer to each other, overlapping registers. */
function crossCheck(file: string, profile: DeviceProfile): ProfileProblem[] {
  const problems: ProfileProblem[] = [];
  const metricNames = new Set<string>();
  profile.metrics.forEach((m, i) => {
    if (metricNames.has(m.name)) problems.push({ file, path: `metrics.${i}.name`, problem: `metric "${m.name}" is defined twice` });
    metricNames.add(m.name);
    if (m.min !== undefined && m.max !== undefined && m.min > m.max) problems.push({ file, path: `metrics.${i}`, problem: `min ${m.min} is above max ${m.max}` });
  });
  if (!profile.modbus && !profile.lora && !profile.json && !profile.cjt188 && !profile.dlt645 && !profile.hj212) problems.push({ file, path: '', problem: 'a profile needs a `modbus` register map, a `lora` or `json` codec, or a field protocol section (`cjt188`, `dlt645`, `hj212`)' });
  for (const [path, problem] of fieldProtocolProblems(profile)) problems.push({ file, path, problem });
  const used = new Map<string, string>();
  profile.modbus?.registers.forEach((r, i) => {
    const path = `modbus.registers.${i}`;
    if (!metricNames.has(r.metric)) problems.push({ file, path: `${path}.metric`, problem: `unknown metric "${r.metric}" (not in metrics)` });
    const bitTable = r.table === 'coil' || r.table === 'discrete';
    if (bitTable !== (r.type === 'bool')) problems.push({ file, path: `${path}.type`, problem: `type ${r.type} does not fit the ${r.table} table (coils and discrete inputs are bool, registers are not)` });
    for (let w = 0; w < registerWords(r.type); w++) {
      const key = `${r.table}:${r.address + w}`;
      const other = used.get(key);
      if (other) problems.push({ file, path: `${path}.address`, problem: `${r.table} address ${r.address + w} is already used by ${other}` });
      used.set(key, r.metric);
    }
  });
  if (profile.lora) {
    const codec = resolve(dirname(file), profile.lora.codec);
    if (!existsSync(codec)) problems.push({ file, path: 'lora.codec', problem: `codec file ${codec} does not exist` });
  }
  if (profile.json) {
    const codec = resolve(dirname(file), profile.json.codec);
    if (!existsSync(codec)) problems.push({ file, path: 'json.codec', problem: `codec file ${codec} does not exist` });
  }
  const checkCondition = (c: Condition, path: string): void => {
    for (const u of unknownMetrics(c, metricNames, path)) problems.push({ file, path: u.path, problem: `unknown metric "${u.metric}"` });
  };
  const ruleIds = new Set<string>();
  profile.rules.forEach((r, i) => {
    if (ruleIds.has(r.id)) problems.push({ file, path: `rules.${i}.id`, problem: `rule id "${r.id}" is used twice` });
    ruleIds.add(r.id);
    if (r.when) checkCondition(r.when, `rules.${i}.when`);
    if (r.clear) checkCondition(r.clear, `rules.${i}.clear`);
    if (r.command) {
      const checked = checkCommand(profile, { name: r.command.name, params: commandParamsOf(profile, r.command.name, r.command.params) });
      if (!checked.ok) problems.push({ file, path: `rules.${i}.command`, problem: checked.reason });
    }
  });
  profile.commands.forEach((c, i) => {
    const params = new Set(c.params.map((p) => p.name));
    c.writes.forEach((w, j) => {
      if (!params.has(w.param)) problems.push({ file, path: `commands.${i}.writes.${j}.param`, problem: `unknown param "${w.param}"` });
      if (!profile.modbus?.registers.some((r) => r.metric === w.metric)) problems.push({ file, path: `commands.${i}.writes.${j}.metric`, problem: `no register for metric "${w.metric}"` });
    });
  });
  return problems;
}

/** Parses and validates one profile from its text; `file` names it in errors. */
export function parseProfile(text: string, file: string): DeviceProfile {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (err) {
    throw invalid(file, [{ file, path: '', problem: `not valid YAML: ${(err as Error).message}` }]);
  }
  const parsed = profileSchema.safeParse(raw);
  if (!parsed.success) {
    throw invalid(file, parsed.error.issues.map((issue) => ({ file, path: issue.path.join('.'), problem: issue.message })));
  }
  const problems = crossCheck(file, parsed.data);
  if (problems.length > 0) throw invalid(file, problems);
  return Object.freeze(parsed.data);
}

export function loadProfileFile(file: string): DeviceProfile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw invalid(file, [{ file, path: '', problem: `cannot read: ${(err as Error).message}` }]);
  }
  return parseProfile(text, file);
}

/** The set of profiles a service knows, by class id. */
export class ProfileCatalogue {
  private readonly byClass = new Map<string, DeviceProfile>();

  constructor(profiles: DeviceProfile[]) {
    for (const p of profiles) {
      if (this.byClass.has(p.class)) throw new TzError('TZ_PROFILE_INVALID', `two profiles define class "${p.class}"`);
      this.byClass.set(p.class, p);
    }
  }

  get(classId: string): DeviceProfile | undefined {
    return this.byClass.get(classId);
  }

  require(classId: string): DeviceProfile {
    const profile = this.byClass.get(classId);
    if (!profile) throw new TzError('TZ_PROFILE_UNKNOWN', `no profile for device class "${classId}"; known: ${[...this.byClass.keys()].join(', ')}`);
    return profile;
  }

  all(): DeviceProfile[] {
    return [...this.byClass.values()];
  }
}

/** Loads every *.yaml in a folder (default: the built-in profiles); all problems of all files at once. */
export function loadProfiles(dir: string = BUILTIN_PROFILE_DIR): ProfileCatalogue {
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort();
  } catch (err) {
    throw new TzError('TZ_PROFILE_INVALID', `cannot read profile folder ${dir}: ${(err as Error).message}`);
  }
  if (files.length === 0) throw new TzError('TZ_PROFILE_INVALID', `no *.yaml profiles in ${dir}`);
  const profiles: DeviceProfile[] = [];
  const errors: string[] = [];
  for (const f of files) {
    try {
      profiles.push(loadProfileFile(join(dir, f)));
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  if (errors.length > 0) throw new TzError('TZ_PROFILE_INVALID', errors.join('\n'));
  return new ProfileCatalogue(profiles);
}
