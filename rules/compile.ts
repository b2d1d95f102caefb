import { ruleDuration } from './rule-durations.ts';
import { type DeviceProfile, type RuleSpec, type Severity } from '../device-profiles/index.ts';
import { collectMetrics, compileCondition, type CompiledCondition } from './conditions.ts';

// A rule document (data) → what the evaluator runs, per device class: metric
// names resolved to positions, durations to ms, scopes to sets, overrides to
// per-device / per-district variants. The evaluator only ever sees the rules
// of a reading's own class (the scope index).

export type RuleMode = 'live' | 'shadow' | 'disabled';

/** Defaults for flapping detection when a rule sets none. */
export const DEFAULT_FLAPPING = { count: 5, windowMs: 600_000 } as const;

/** The settings of a rule as they apply to one device (base or an override). */
export interface RuleVariant {
  when: CompiledCondition | undefined;
  clear: CompiledCondition | undefined;
  forMs: number;
  clearForMs: number;
  deadband: number;
  repeat: { count: number; of: number } | undefined;
  /** No-data rules: silence (wall time) after which the rule fires. */
  noDataMs: number | undefined;
  severity: Severity;
  escalate: Array<{ afterMs: number; severity: Severity }>;
  mode: RuleMode;
}

export interface CompiledRule {
  id: string;
  name: string;
  spec: RuleSpec;
  base: RuleVariant;
  byDevice: Map<string, RuleVariant>;
  byDistrict: Map<string, RuleVariant>;
  scope: {
    devices?: Set<string>;
    districts?: Set<string>;
    gateways?: Set<string>;
    versions?: Set<number>;
  };
  /** Metric positions of this class the rule reads: a reading with none of them does not touch it. */
  metrics: Uint16Array;
  /** The same as a bit mask (bit i = position i), or -1 when a position is past 30 (then `metrics` is scanned). */
  metricMask: number;
  /** Scope or overrides name devices: scope and variant are resolved per device, not per scope plan. */
  perDevice: boolean;
  /** Longest window per metric position. */
  windows: Map<number, number>;
  flapCount: number;
  flapWindowMs: number;
  noData: boolean;
  /** What an alarm's evidence holds (the rule's metrics; every metric for no-data), resolved once instead of per transition. */
  evidence: EvidenceMetrics;
}

/** Metric positions of an alarm's evidence, with their names and whether each is a flag (stored as 1/0). */
export interface EvidenceMetrics {
  positions: Uint16Array;
  names: string[];
  flags: Uint8Array;
}

function evidenceMetrics(profile: DeviceProfile, positions: readonly number[]): EvidenceMetrics {
  return {
    positions: Uint16Array.from(positions),
    names: positions.map((i) => profile.metrics[i]?.name ?? ''),
    flags: Uint8Array.from(positions, (i) => (profile.metrics[i]?.type === 'boolean' ? 1 : 0)),
  };
}

/** The rules of one device class, and the metric windows its devices keep. */
export interface ClassRules {
  profile: DeviceProfile;
  rules: CompiledRule[];
  noDataRules: CompiledRule[];
  windows: Map<number, number>;
  /** Whether any rule's scope names gateways / profile versions (else they do not split scope plans). */
  byGateway: boolean;
  byVersion: boolean;
  /** Shortest no-data silence of any variant of the class's no-data rules (the sweep skips devices heard from since). */
  minNoDataMs: number;
}

type Settings = Partial<Pick<RuleSpec, 'when' | 'clear' | 'for' | 'clearFor' | 'deadband' | 'repeat' | 'noData' | 'severity' | 'escalate' | 'mode'>>;

function variantOf(spec: RuleSpec, over: Settings, profile: DeviceProfile): RuleVariant {
  const s = { ...spec, ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)) } as RuleSpec;
  const forMs = s.for !== undefined ? ruleDuration(s.for, `rule ${spec.id} for`) : (s.forSeconds ?? 0) * 1000;
  return {
    when: s.when ? compileCondition(s.when, profile) : undefined,
    clear: s.clear ? compileCondition(s.clear, profile) : undefined,
    forMs,
    clearForMs: s.clearFor !== undefined ? ruleDuration(s.clearFor, `rule ${spec.id} clearFor`) : 0,
    deadband: s.deadband ?? 0,
    repeat: s.repeat,
    noDataMs: s.noData ? s.noData.missedReports * profile.reportIntervalSeconds * 1000 : undefined,
    severity: s.severity,
    escalate: (s.escalate ?? []).map((e) => ({ afterMs: ruleDuration(e.after, `rule ${spec.id} escalate.after`), severity: e.severity })).sort((a, b) => a.afterMs - b.afterMs),
    mode: s.mode ?? 'live',
  };
}

/** Whether a rule's scope can include devices of this profile at all. */
export function scopeCoversClass(spec: RuleSpec, profile: DeviceProfile): boolean {
  const scope = spec.scope;
  if (scope?.classes && !scope.classes.includes(profile.class)) return false;
  if (scope?.profiles && !scope.profiles.some((p) => p.startsWith(`${profile.class}@`))) return false;
  return true;
}

function asList(v: string | string[] | undefined): string[] | undefined {
  return v === undefined ? undefined : Array.isArray(v) ? v : [v];
}

function intersect(a: string[] | undefined, b: string[] | undefined): Set<string> | undefined {
  if (!a && !b) return undefined;
  if (!a) return new Set(b);
  if (!b) return new Set(a);
  return new Set(a.filter((x) => b.includes(x)));
}

export function compileRule(spec: RuleSpec, profile: DeviceProfile): CompiledRule | undefined {
  if (!scopeCoversClass(spec, profile)) return undefined;
  const base = variantOf(spec, {}, profile);
  const byDevice = new Map<string, RuleVariant>();
  const byDistrict = new Map<string, RuleVariant>();
  for (const o of spec.overrides ?? []) {
    const v = variantOf(spec, o.set, profile);
    for (const d of o.devices ?? []) byDevice.set(d, v);
    for (const d of o.districts ?? []) byDistrict.set(d, v);
  }
  const metrics = new Set<number>();
  const windows = new Map<number, number>();
  for (const v of [base, ...byDevice.values(), ...byDistrict.values()]) {
    if (v.when) collectMetrics(v.when, metrics, windows);
    if (v.clear) collectMetrics(v.clear, metrics, windows);
  }
  const noData = spec.noData !== undefined;
  // A condition rule on metrics this class does not have can never fire here.
  if (!noData && metrics.size === 0 && !hasTimeOnly(base.when)) return undefined;
  const scope = spec.scope ?? {};
  const versions = scope.profiles?.filter((p) => p.startsWith(`${profile.class}@`)).map((p) => Number(p.split('@')[1]));
  return {
    id: spec.id, name: spec.name, spec, base, byDevice, byDistrict,
    scope: {
      devices: scope.devices ? new Set(scope.devices) : undefined,
      districts: intersect(scope.districts, asList(scope.tags?.district)),
      gateways: intersect(scope.gateways, asList(scope.tags?.gateway)),
      versions: versions || scope.tags?.profile_version ? new Set([...(versions ?? []), ...(asList(scope.tags?.profile_version) ?? []).map(Number)]) : undefined,
    },
    metrics: Uint16Array.from(metrics), windows,
    metricMask: [...metrics].every((m) => m <= 30) ? [...metrics].reduce((mask, m) => mask | (1 << m), 0) : -1,
    perDevice: scope.devices !== undefined || byDevice.size > 0,
    flapCount: spec.flapping?.count ?? DEFAULT_FLAPPING.count,
    flapWindowMs: spec.flapping ? ruleDuration(spec.flapping.window, `rule ${spec.id} flapping.window`) : DEFAULT_FLAPPING.windowMs,
    noData,
    evidence: evidenceMetrics(profile, noData ? profile.metrics.map((_, i) => i) : [...metrics]),
  };
}

function hasTimeOnly(c: CompiledCondition | undefined): boolean {
  return c !== undefined && c.k !== 'never';
}

/** The scope index: for each class, the rules that can apply to its devices. */
export function compileRuleSet(specs: readonly RuleSpec[], profiles: readonly DeviceProfile[]): Map<string, ClassRules> {
  const index = new Map<string, ClassRules>();
  for (const profile of profiles) {
    const rules: CompiledRule[] = [];
    for (const spec of specs) {
      const r = compileRule(spec, profile);
      if (r) rules.push(r);
    }
    const windows = new Map<number, number>();
    for (const r of rules) for (const [m, ms] of r.windows) windows.set(m, Math.max(windows.get(m) ?? 0, ms));
    const noDataRules = rules.filter((r) => r.noData);
    const noDataMs = noDataRules.flatMap((r) => [r.base, ...r.byDevice.values(), ...r.byDistrict.values()].map((v) => v.noDataMs ?? Number.POSITIVE_INFINITY));
    index.set(profile.class, {
      profile, rules: rules.filter((r) => !r.noData), noDataRules, windows,
      byGateway: rules.some((r) => r.scope.gateways !== undefined), byVersion: rules.some((r) => r.scope.versions !== undefined),
      minNoDataMs: Math.min(Number.POSITIVE_INFINITY, ...noDataMs),
    });
  }
  return index;
}

/** The variant of a rule for one device: a device override wins over a district override. */
export function variantFor(rule: CompiledRule, deviceId: string, district: string): RuleVariant {
  return rule.byDevice.get(deviceId) ?? rule.byDistrict.get(district) ?? rule.base;
}

/** Whether a device is in a rule's scope (its class is already matched by the index). */
export function inScope(rule: CompiledRule, deviceId: string, district: string, gatewayId: string, version: number): boolean {
  const s = rule.scope;
  if (s.devices && !s.devices.has(deviceId)) return false;
  if (s.districts && !s.districts.has(district)) return false;
  if (s.gateways && !s.gateways.has(gatewayId)) return false;
  if (s.versions && !s.versions.has(version)) return false;
  return true;
}
