import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { KIND_ZH, SHIPPED_STANDARD_FILE, loadStandardCatalogue } from './standard-codes.ts';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { TzError, formatProblems, zodProblems } from '../service-kit/index.ts';
import { alertsConfigSchema } from './alert-config.ts';
import { PRIORITIES, type CasePriority, type SlaStage } from './model.ts';

// Categories, departments, SLA and crews: one YAML/JSON file, validated once at
// start and frozen. Categories follow the split of GB/T 30428.2: components
// (部件, physical assets such as a manhole cover under public facilities) and
// events (事件, situations such as exposed rubbish or illegal advertising).

const id = z.string().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'use lower-kebab-case');
const hours = z.number().positive().max(24 * 90);
const slaSchema = z.strictObject({ dispatch: hours, handle: hours, verify: hours });
const slaByPriority = z.strictObject({ urgent: slaSchema, high: slaSchema, normal: slaSchema, low: slaSchema });

export const caseConfigSchema = z.strictObject({
  /** SLA allowances in hours, per priority; a category may override them. */
  sla: slaByPriority,
  departments: z.array(z.strictObject({
    id,
    name: z.string().min(1),
    /** Where escalations of this department's overdue cases are POSTed (signed). */
    escalationUrl: z.url().optional(),
  })).min(1),
  categories: z.array(z.strictObject({
    code: id,
    name: z.string().min(1),
    /** 部件 (component) or 事件 (event). */
    kind: z.enum(['component', 'event']),
    /** Major class, e.g. public-facilities (公用设施), city-appearance (市容环境). */
    group: z.string().min(1),
    department: id,
    sla: slaByPriority.partial().optional(),
    /** Offered to citizens over Open311. */
    public: z.boolean().default(true),
    /** The standard's minor class (小类, four digits) in the tree of `kind`, from the categories file (GB/T 30428.2). */
    standardCode: z.string().regex(/^\d{4}$/, 'a minor class (小类) code is four digits, e.g. "0101" (quote it in YAML)').optional(),
  })).min(1),
  /** The standard's categories file (大类/小类 codes and Chinese names); default the shipped cases/categories/gbt30428.yaml. */
  standardFile: z.string().min(1).optional(),
  /** Category used when an alarm names a category this file does not know (counted in /metrics). */
  fallbackCategory: id.default('other-event'),
  crews: z.array(z.strictObject({
    id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
    name: z.string().min(1),
    department: id,
    districts: z.array(z.string().min(1)).default(['*']),
    gridCells: z.array(z.string().min(1)).default([]),
    skills: z.array(z.string().min(1)).default(['*']),
    webhookUrl: z.url().nullable().default(null),
  })).default([]),
  /** Dispatch a registered case to the best crew at once. */
  autoDispatch: z.boolean().default(true),
  /** A repeat alarm on an asset within this many hours of its case closing reopens it (counted as rework). */
  reopenWindowHours: z.number().min(0).default(72),
  /** People's alerts: endpoints (secrets from the environment), subscriptions, quiet-hours time zone (alert-config.ts). */
  alerts: alertsConfigSchema.prefault({}),
});

export type CaseConfig = z.infer<typeof caseConfigSchema>;
export type CategoryConfig = CaseConfig['categories'][number];
export type SlaHours = z.infer<typeof slaSchema>;

const SLA_DEFAULT: CaseConfig['sla'] = {
  urgent: { dispatch: 0.5, handle: 2, verify: 1 },
  high: { dispatch: 1, handle: 8, verify: 4 },
  normal: { dispatch: 2, handle: 24, verify: 8 },
  low: { dispatch: 4, handle: 72, verify: 24 },
};

/** The defaults: the built-in profiles' categories plus common urban-management events. */
export const DEFAULT_CASE_CONFIG: unknown = {
  sla: SLA_DEFAULT,
  departments: [
    { id: 'municipal-facilities', name: 'Municipal facilities (市政设施)' },
    { id: 'water-drainage', name: 'Water supply and drainage (供排水)' },
    { id: 'gas', name: 'Gas utility (燃气)' },
    { id: 'lighting-energy', name: 'Street lighting and energy (照明与能源)' },
    { id: 'sanitation', name: 'Sanitation (环卫)' },
    { id: 'city-management', name: 'City management (城管执法)' },
    { id: 'iot-operations', name: 'IoT platform operations (物联网运维)' },
  ],
  categories: [
    { code: 'manhole-cover', name: 'Manhole cover (井盖)', kind: 'component', group: 'public-facilities', department: 'municipal-facilities', standardCode: '0102' },
    { code: 'drainage', name: 'Drainage facility (排水设施)', kind: 'component', group: 'public-facilities', department: 'water-drainage', standardCode: '0104' },
    { code: 'water-supply', name: 'Water supply facility (供水设施)', kind: 'component', group: 'public-facilities', department: 'water-drainage', standardCode: '0101' },
    { code: 'gas-hazard', name: 'Gas facility hazard (燃气设施)', kind: 'component', group: 'public-facilities', department: 'gas', standardCode: '0111' },
    { code: 'street-light', name: 'Street light (路灯)', kind: 'component', group: 'public-facilities', department: 'lighting-energy', standardCode: '0117' },
    { code: 'ev-charger', name: 'EV charger (充电桩)', kind: 'component', group: 'public-facilities', department: 'lighting-energy', standardCode: '0690' },
    { code: 'public-toilet', name: 'Public toilet (公厕)', kind: 'component', group: 'city-appearance', department: 'sanitation', standardCode: '0301' },
    { code: 'iot-terminal', name: 'IoT terminal (物联网终端)', kind: 'component', group: 'other-facilities', department: 'iot-operations', public: false, standardCode: '0691' },
    { code: 'exposed-rubbish', name: 'Exposed rubbish (暴露垃圾)', kind: 'event', group: 'city-appearance', department: 'sanitation', standardCode: '0102' },
    { code: 'illegal-advertising', name: 'Illegal advertising (违规广告)', kind: 'event', group: 'advertising', department: 'city-management', standardCode: '0202' },
    { code: 'street-vending', name: 'Unlicensed street vending (无照经营)', kind: 'event', group: 'street-order', department: 'city-management', standardCode: '0401' },
    { code: 'road-waterlogging', name: 'Road waterlogging (道路积水)', kind: 'event', group: 'emergencies', department: 'water-drainage', standardCode: '0506' },
    { code: 'other-event', name: 'Other (其他事件)', kind: 'event', group: 'other-events', department: 'city-management', standardCode: '0699' },
    { code: 'fire-hydrant', name: 'Fire hydrant (消火栓)', kind: 'component', group: 'public-facilities', department: 'water-drainage', standardCode: '0114' },
    { code: 'hydrant-misuse', name: 'Hydrant opened without dispatch (消火栓违规取水)', kind: 'event', group: 'street-order', department: 'water-drainage', standardCode: '0698' },
    { code: 'site-dust', name: 'Construction site dust and noise (工地扬尘)', kind: 'event', group: 'construction', department: 'city-management', standardCode: '0302' },
    { code: 'power-supply', name: 'Power supply of street facilities (供电设施)', kind: 'component', group: 'public-facilities', department: 'lighting-energy', standardCode: '0692' },
  ],
  crews: [],
};

/** Parses and checks a config object; errors name the path and the problem. */
export function parseCaseConfig(raw: unknown, source = 'case config'): Readonly<CaseConfig> {
  const result = caseConfigSchema.safeParse(raw);
  if (!result.success) {
    const problems = zodProblems(result.error);
    throw new TzError('TZ_CASE_CONFIG', formatProblems(problems, source), { details: { problems } });
  }
  const config = result.data;
  const problems: string[] = [];
  const departments = new Set(config.departments.map((d) => d.id));
  const codes = new Set<string>();
  config.categories.forEach((c, i) => {
    if (codes.has(c.code)) problems.push(`categories.${i}.code: duplicate category "${c.code}"`);
    codes.add(c.code);
    if (!departments.has(c.department)) problems.push(`categories.${i}.department: unknown department "${c.department}"`);
  });
  // The standard's codes: a category that names one must find it in the categories file, in its own tree.
  const standard = loadStandardCatalogue(standardFileOf(config));
  config.categories.forEach((c, i) => {
    if (c.standardCode && !standard.find(c.kind, c.standardCode)) problems.push(`categories.${i}.standardCode: "${c.standardCode}" is not a ${c.kind} minor class (${KIND_ZH[c.kind]}小类) in ${standard.file}`);
  });
  if (!codes.has(config.fallbackCategory)) problems.push(`fallbackCategory: unknown category "${config.fallbackCategory}"`);
  const crewIds = new Set<string>();
  config.crews.forEach((c, i) => {
    if (crewIds.has(c.id)) problems.push(`crews.${i}.id: duplicate crew "${c.id}"`);
    crewIds.add(c.id);
    if (!departments.has(c.department)) problems.push(`crews.${i}.department: unknown department "${c.department}"`);
    for (const s of c.skills) if (s !== '*' && !codes.has(s)) problems.push(`crews.${i}.skills: unknown category "${s}"`);
  });
  if (problems.length) throw new TzError('TZ_CASE_CONFIG', problems.map((p) => `${source}: ${p}`).join('\n'), { details: { problems } });
  return Object.freeze(config);
}

/** Reads a YAML or JSON config file (YAML is a superset of JSON). */
export function loadCaseConfig(file: string): Readonly<CaseConfig> {
  let raw: unknown;
  try {
    raw = parseYaml(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new TzError('TZ_CASE_CONFIG', `${file}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  // A relative categories file is found next to the config file.
  if (raw && typeof raw === 'object' && typeof (raw as { standardFile?: unknown }).standardFile === 'string') {
    const own = (raw as { standardFile: string }).standardFile;
    raw = { ...raw, standardFile: isAbsolute(own) ? own : resolve(dirname(file), own) };
  }
  return parseCaseConfig(raw, file);
}

export function standardFileOf(config: Pick<CaseConfig, 'standardFile'>): string {
  return config.standardFile ?? SHIPPED_STANDARD_FILE;
}

/** A category as people read it: platform id, the standard's codes and Chinese names (GB/T 30428.2). */
export interface CategoryLabel {
  category: string;
  kind: 'component' | 'event';
  kindZh: string;
  classCode: string | null;
  className: string | null;
  code: string | null;
  nameZh: string;
  nameEn: string;
}

export function categoryLabel(config: Readonly<CaseConfig>, category: string): CategoryLabel {
  const c = config.categories.find((x) => x.code === category);
  if (!c) return { category, kind: 'event', kindZh: KIND_ZH.event, classCode: null, className: null, code: null, nameZh: category, nameEn: category };
  const std = c.standardCode ? loadStandardCatalogue(standardFileOf(config)).find(c.kind, c.standardCode) : undefined;
  return {
    category, kind: c.kind, kindZh: KIND_ZH[c.kind], classCode: std?.classCode ?? null, className: std?.className ?? null, code: std?.code ?? null,
    nameZh: std?.name ?? c.name, nameEn: std?.nameEn ?? c.name,
  };
}

const HOUR = 3_600_000;

/** Stage allowance in ms for a category and priority (category override, else the default table). */
export function slaMs(config: CaseConfig, category: CategoryConfig, priority: CasePriority, stage: SlaStage): number {
  const own = category.sla?.[priority];
  return (own ?? config.sla[priority])[stage] * HOUR;
}

export function isPriority(value: string): value is CasePriority {
  return (PRIORITIES as readonly string[]).includes(value);
}
