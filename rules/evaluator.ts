import type { DeviceProfile, Severity } from '../device-profiles/index.ts';
import { TzError, type Clock } from '../service-kit/index.ts';
import type { CityCalendar } from './city-time.ts';
import { evaluate, type ConditionContext } from './conditions.ts';
import { inScope, variantFor, type ClassRules, type CompiledRule, type RuleMode, type RuleVariant } from './compile.ts';
import { DeviceTable, type ScopePlan } from './device-table.ts';

// The streaming evaluator: per reading, only the rules of the reading's class
// (the scope index), each a small state machine per device: idle → pending
// (`for:` running) → active → (clearFor / flapping hold) → idle. Synchronous
// and without I/O; condition time is the device time carried by the reading
// (so a backtest replays history with the same code), no-data silence is wall
// time from the injected clock.

export type MetricValue = number | boolean;

/** One reading as the evaluator sees it. */
export interface RuleReading {
  deviceId: string;
  gatewayId: string;
  district: string;
  profile: DeviceProfile;
  profileVersion: number;
  /** Device time, ms since the epoch. */
  timestampMs: number;
  /** Values by metric position (0-based) in `profile.metrics`. */
  metrics: ReadonlyArray<{ index: number; value: MetricValue }>;
}

export interface EvidenceReading {
  timestampMs: number;
  values: Record<string, MetricValue>;
}

export type TransitionKind = 'fire' | 'update' | 'clear';

export interface AlarmTransition {
  kind: TransitionKind;
  rule: CompiledRule;
  mode: RuleMode;
  severity: Severity;
  escalate: RuleVariant['escalate'];
  deviceId: string;
  gatewayId: string;
  district: string;
  profile: string;
  /** Device time of the reading (or, for no-data, of the last reading). */
  timestampMs: number;
  /** fire: the readings that made it fire; update/clear: this reading. */
  evidence: EvidenceReading[];
  /** Fire: it is the Nth fire within the flapping window; the alarm is held open. */
  flapping: boolean;
  noData: boolean;
}

export interface EvaluationResult {
  transitions: AlarmTransition[];
  skipped?: 'stale-reading' | 'unknown-class';
}

/** Per (rule, device) state; only kept while it differs from idle. */
export interface RuleState {
  /** 0 idle, 1 pending (`for:` running), 2 active. */
  phase: 0 | 1 | 2;
  since: number;
  clearSince: number;
  evidence: EvidenceReading[];
  /** Last M results of `when` as bits (N-of-last-M). */
  bits: number;
  /** Device times of recent fires (flapping detection). */
  fires: number[];
  flapping: boolean;
  /** While flapping: since when the alarm would have cleared. */
  heldSince: number;
}

/**
 * One device: its slot in its class's table (values, last-seen times and
 * windows live there), the names its scope is judged by, and its rule states.
 */
export interface DeviceState {
  deviceId: string;
  profileClass: string;
  profileVersion: number;
  gatewayId: string;
  district: string;
  table: DeviceTable;
  slot: number;
  /** Rule states by rule id; undefined while every rule is idle (most devices, most of the time). */
  rules: Map<string, RuleState> | undefined;
  /** The rules of its scope, resolved; dropped when district, gateway or version change. */
  plan: ScopePlan | undefined;
  /** Changed since the last `takeDirty()` (write-behind checkpoint). */
  dirty: boolean;
}

export interface RuleEvaluatorOptions {
  calendar: CityCalendar;
  clock: Clock;
  /** Most evidence readings kept per pending alarm (oldest dropped first). */
  maxEvidence?: number;
}

const idleState = (): RuleState => ({ phase: 0, since: 0, clearSince: 0, evidence: [], bits: 0, fires: [], flapping: false, heldSince: 0 });

function popcount(n: number): number {
  let c = 0;
  while (n) { n &= n - 1; c++; }
  return c;
}

// Shared answers of the common cases: the no-alarm path allocates nothing.
const NONE = Object.freeze([]) as unknown as AlarmTransition[];
const NOTHING: EvaluationResult = Object.freeze({ transitions: NONE });
const STALE: EvaluationResult = Object.freeze({ transitions: NONE, skipped: 'stale-reading' as const });
const UNKNOWN_CLASS: EvaluationResult = Object.freeze({ transitions: NONE, skipped: 'unknown-class' as const });
/** Most distinct gateway / district names interned (they are few; a flood of made-up names is not kept). */
const MAX_NAMES = 100_000;

const jsonNumber = (x: number): string => (Number.isFinite(x) ? String(x) : 'null');

export class RuleEvaluator {
  private readonly devices = new Map<string, DeviceState>();
  private index = new Map<string, ClassRules>();
  private readonly tables = new Map<string, DeviceTable>();
  /** Bumped by `setRules`: scope plans of an older rule set are rebuilt. */
  private generation = 0;
  private readonly maxEvidence: number;
  /** Devices whose state changed since the last `takeDirty()` (write-behind checkpoint). */
  private dirtyList: DeviceState[] = [];
  private readonly names = new Map<string, string>();
  private readonly ctx: ConditionContext;
  // The metrics of the reading being evaluated (see `addInput`).
  private inIndex = new Int32Array(32);
  private inValue = new Float64Array(32);
  private inCount = 0;

  constructor(private readonly options: RuleEvaluatorOptions) {
    this.maxEvidence = options.maxEvidence ?? 20;
    this.ctx = { values: new Float64Array(0), base: 0, windows: [], slot: 0, t: 0, calendar: options.calendar };
  }

  /** Swaps in a new rule set (rules edited at runtime); per-device states carry over by rule id. */
  setRules(index: Map<string, ClassRules>): void {
    this.index = index;
    this.generation++;
    for (const cls of index.values()) this.tableOf(cls).setWindows(cls.windows);
  }

  private tableOf(cls: ClassRules): DeviceTable {
    let t = this.tables.get(cls.profile.class);
    if (!t || t.width !== cls.profile.metrics.length) {
      t = new DeviceTable(cls.profile.class, cls.profile.metrics.length);
      t.setWindows(cls.windows);
      this.tables.set(cls.profile.class, t);
    }
    return t;
  }

  rulesOf(profileClass: string): ClassRules | undefined {
    return this.index.get(profileClass);
  }

  deviceCount(): number {
    return this.devices.size;
  }

  device(deviceId: string): DeviceState | undefined {
    return this.devices.get(deviceId);
  }

  allDevices(): IterableIterator<DeviceState> {
    return this.devices.values();
  }

  /** Marks an alarm as open (from the store after a restart) so a holding reading updates it. */
  markActive(deviceId: string, ruleId: string): void {
    const d = this.devices.get(deviceId);
    if (!d) return;
    const rules = (d.rules ??= new Map());
    const s = rules.get(ruleId) ?? idleState();
    s.phase = 2;
    rules.set(ruleId, s);
  }

  /** Forgets a rule's state for a device (alarm closed by its case, or cleared by a rule change). */
  reset(deviceId: string, ruleId: string): void {
    const d = this.devices.get(deviceId);
    if (d && this.forget(d, ruleId)) this.markDirty(d);
  }

  private forget(d: DeviceState, ruleId: string): boolean {
    if (!d.rules?.delete(ruleId)) return false;
    if (d.rules.size === 0) d.rules = undefined;
    return true;
  }

  private markDirty(d: DeviceState): void {
    if (d.dirty) return;
    d.dirty = true;
    this.dirtyList.push(d);
  }

  private intern(name: string): string {
    const known = this.names.get(name);
    if (known !== undefined) return known;
    if (this.names.size < MAX_NAMES) this.names.set(name, name);
    return name;
  }

  /** Starts the metrics of the next `evaluateInput`. */
  beginInput(): void {
    this.inCount = 0;
  }

  /** One metric of the next `evaluateInput`: its position in the profile and its value (flags as 1/0). */
  addInput(index: number, value: number): void {
    if (this.inCount === this.inIndex.length) {
      const i = new Int32Array(this.inCount * 2);
      i.set(this.inIndex);
      this.inIndex = i;
      const v = new Float64Array(this.inCount * 2);
      v.set(this.inValue);
      this.inValue = v;
    }
    this.inIndex[this.inCount] = index;
    this.inValue[this.inCount] = value;
    this.inCount++;
  }

  evaluate(r: RuleReading): EvaluationResult {
    this.beginInput();
    for (const m of r.metrics) this.addInput(m.index, typeof m.value === 'boolean' ? (m.value ? 1 : 0) : m.value);
    return this.evaluateInput(r.deviceId, r.gatewayId, r.district, r.profile, r.profileVersion, r.timestampMs);
  }

  /**
   * `evaluate` for a reading whose metrics were given by `beginInput` /
   * `addInput` (the engine's hot path: nothing is allocated unless a rule
   * changes state). The result is shared and frozen when nothing happened.
   */
  evaluateInput(deviceId: string, gatewayId: string, district: string, profile: DeviceProfile, profileVersion: number, timestampMs: number): EvaluationResult {
    const cls = this.index.get(profile.class);
    if (!cls) return UNKNOWN_CLASS;
    let d = this.devices.get(deviceId);
    if (!d || d.profileClass !== profile.class) {
      d = this.newDevice(deviceId, cls);
      this.devices.set(deviceId, d);
    }
    const table = d.table;
    const slot = d.slot;
    // Duplicates and out-of-order readings would rewind windows or count twice (QoS 1 redelivery lands here).
    // Typed-array reads here are at a slot the table handed out (or below inCount): inside bounds.
    // `??` gives the array's own "never seen"/"no value" fill only to satisfy noUncheckedIndexedAccess.
    if (timestampMs <= (table.lastTs[slot] ?? Number.NEGATIVE_INFINITY)) return STALE;
    table.lastTs[slot] = timestampMs;
    table.lastArrival[slot] = this.options.clock.now();
    // Names compare by content; a new one is interned so 100,000 devices share a few strings.
    if (gatewayId !== d.gatewayId) { d.gatewayId = this.intern(gatewayId); d.plan = undefined; }
    if (district !== d.district) { d.district = this.intern(district); d.plan = undefined; }
    if (profileVersion !== d.profileVersion) { d.profileVersion = profileVersion; d.plan = undefined; }
    const width = table.width;
    const base = slot * width;
    const values = table.values;
    const windows = table.windows;
    let mask = 0;
    let wide = false;
    for (let i = 0; i < this.inCount; i++) {
      const m = this.inIndex[i] ?? -1;
      if (m < 0 || m >= width) continue;
      const v = this.inValue[i] ?? Number.NaN;
      values[base + m] = v;
      windows[m]?.push(slot, timestampMs, v);
      if (m <= 30) mask |= 1 << m;
      else wide = true;
    }
    this.markDirty(d);
    const ctx = this.ctx;
    ctx.values = values;
    ctx.base = base;
    ctx.windows = windows;
    ctx.slot = slot;
    ctx.t = timestampMs;

    let transitions: AlarmTransition[] | undefined;
    // A reading ends every no-data alarm of the device.
    if (d.rules !== undefined) {
      for (const rule of cls.noDataRules) {
        if (d.rules?.get(rule.id)?.phase === 2) {
          this.forget(d, rule.id);
          (transitions ??= []).push(this.transition('clear', rule, variantFor(rule, d.deviceId, d.district), d, timestampMs, [this.evidenceOf(rule, d, timestampMs)], false));
        }
      }
    }
    let plan = d.plan;
    if (plan === undefined || plan.generation !== this.generation) d.plan = plan = this.planFor(cls, d);
    const rules = plan.rules;
    const variants = plan.variants;
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i];
      if (rule === undefined) break; // i < rules.length: narrowing without an iterator per reading
      let v = variants[i];
      if (v === undefined) {
        if (!inScope(rule, d.deviceId, d.district, d.gatewayId, d.profileVersion)) continue;
        v = variantFor(rule, d.deviceId, d.district);
        if (v.mode === 'disabled' || !v.when) continue;
      }
      if (rule.metrics.length > 0) {
        if (rule.metricMask >= 0 && !wide) {
          if ((rule.metricMask & mask) === 0) continue;
        } else if (!this.touches(rule.metrics)) continue;
      }
      const t = this.step(rule, v, d, timestampMs);
      if (t) (transitions ??= []).push(t);
    }
    return transitions ? { transitions } : NOTHING;
  }

  /** Whether the reading being evaluated carries one of these metric positions. */
  private touches(ruleMetrics: Uint16Array): boolean {
    for (let j = 0; j < this.inCount; j++) for (let i = 0; i < ruleMetrics.length; i++) if (ruleMetrics[i] === this.inIndex[j]) return true;
    return false;
  }

  /** The rules of a device's scope with their variants (shared by every device of that scope). */
  private planFor(cls: ClassRules, d: DeviceState): ScopePlan {
    const table = d.table;
    if (table.plansOf !== this.generation) {
      table.plans.clear();
      table.plansOf = this.generation;
    }
    const key = cls.byGateway || cls.byVersion
      ? `${d.district}\u0000${cls.byGateway ? d.gatewayId : ''}\u0000${cls.byVersion ? d.profileVersion : ''}`
      : d.district;
    let plan = table.plans.get(key);
    if (plan) return plan;
    plan = { generation: this.generation, rules: [], variants: [] };
    for (const rule of cls.rules) {
      if (rule.perDevice) {
        plan.rules.push(rule);
        plan.variants.push(undefined);
        continue;
      }
      if (!inScope(rule, d.deviceId, d.district, d.gatewayId, d.profileVersion)) continue;
      const v = variantFor(rule, d.deviceId, d.district);
      if (v.mode === 'disabled' || !v.when) continue;
      plan.rules.push(rule);
      plan.variants.push(v);
    }
    if (table.plans.size < 10_000) table.plans.set(key, plan);
    return plan;
  }

  private stateOf(d: DeviceState, ruleId: string): RuleState | undefined {
    return d.rules === undefined ? undefined : d.rules.get(ruleId);
  }

  private keep(d: DeviceState, ruleId: string, s: RuleState): void {
    (d.rules ??= new Map()).set(ruleId, s);
  }

  private step(rule: CompiledRule, v: RuleVariant, d: DeviceState, t: number): AlarmTransition | undefined {
    let s = this.stateOf(d, rule.id);
    const when = v.when;
    // Plans and the loop above keep only variants with a `when`.
    if (when === undefined) throw new TzError('TZ_INTERNAL', `rule ${rule.id} stepped without a when condition`);
    let holds = evaluate(when, this.ctx);
    if (v.repeat) {
      s ??= idleState();
      s.bits = ((s.bits << 1) | (holds ? 1 : 0)) & (v.repeat.of >= 32 ? 0xffffffff : (1 << v.repeat.of) - 1);
      holds = popcount(s.bits) >= v.repeat.count;
      this.keep(d, rule.id, s);
    }
    if (s?.phase === 2) {
      // Hysteresis: with `clear` only `clear` clears; without it, `when` stopping (past the deadband) does.
      const clears = v.clear ? evaluate(v.clear, this.ctx) : v.repeat ? !holds : !evaluate(when, this.ctx, v.deadband);
      if (!clears) {
        s.clearSince = 0;
        s.heldSince = 0;
        return holds ? this.transition('update', rule, v, d, t, [this.evidenceOf(rule, d, t)], s.flapping) : undefined;
      }
      if (v.clearForMs > 0) {
        if (!s.clearSince) s.clearSince = t;
        if (t - s.clearSince < v.clearForMs) return undefined;
      }
      if (s.flapping) {
        // Held open until it stays clear for a whole flapping window.
        if (!s.heldSince) s.heldSince = t;
        if (t - s.heldSince < rule.flapWindowMs) return undefined;
        s.flapping = false;
        s.fires = [];
      }
      s.phase = 0;
      s.clearSince = 0;
      s.heldSince = 0;
      s.evidence = [];
      if (!v.repeat && s.fires.length === 0) this.forget(d, rule.id);
      return this.transition('clear', rule, v, d, t, [this.evidenceOf(rule, d, t)], false);
    }
    if (!holds) {
      if (s && s.phase === 1) {
        s.phase = 0;
        s.evidence = [];
        if (!v.repeat && s.fires.length === 0) this.forget(d, rule.id);
      }
      return undefined;
    }
    if (!s) {
      s = idleState();
      this.keep(d, rule.id, s);
    }
    if (s.phase === 0) {
      s.phase = 1;
      s.since = t;
    }
    s.evidence.push(this.evidenceOf(rule, d, t));
    if (s.evidence.length > this.maxEvidence) s.evidence.shift();
    if (t - s.since < v.forMs) return undefined;
    s.phase = 2;
    const evidence = s.evidence;
    s.evidence = [];
    // Fires older than the flapping window are dropped in place (no closure, no new array per fire).
    const fires = s.fires;
    let kept = 0;
    for (let i = 0; i < fires.length; i++) {
      const f = fires[i] ?? 0;
      if (f > t - rule.flapWindowMs) fires[kept++] = f;
    }
    fires.length = kept;
    fires.push(t);
    if (fires.length >= rule.flapCount) s.flapping = true;
    return this.transition('fire', rule, v, d, t, evidence, s.flapping);
  }

  /**
   * No-data sweep at wall time `now`: a device silent for its rule's
   * `missedReports` × its profile's report interval fires once; its next
   * reading clears it.
   */
  sweepNoData(now: number): AlarmTransition[] {
    const out: AlarmTransition[] = [];
    for (const d of this.devices.values()) {
      const cls = this.index.get(d.profileClass);
      if (!cls || cls.noDataRules.length === 0) continue;
      // Heard from within the shortest silence of any no-data rule: nothing to look at (most devices, every tick).
      const lastArrival = d.table.lastArrival[d.slot] ?? 0; // the device's own slot: inside the table
      if (now - lastArrival < cls.minNoDataMs) continue;
      for (const rule of cls.noDataRules) {
        if (!inScope(rule, d.deviceId, d.district, d.gatewayId, d.profileVersion)) continue;
        const v = variantFor(rule, d.deviceId, d.district);
        if (v.mode === 'disabled' || v.noDataMs === undefined) continue;
        if (this.stateOf(d, rule.id)?.phase === 2 || now - lastArrival < v.noDataMs) continue;
        const s = idleState();
        s.phase = 2;
        this.keep(d, rule.id, s);
        this.markDirty(d);
        const lastTs = d.table.lastTs[d.slot] ?? Number.NEGATIVE_INFINITY;
        out.push(this.transition('fire', rule, v, d, lastTs, [this.evidenceOf(rule, d, lastTs)], false));
      }
    }
    return out;
  }

  private transition(kind: TransitionKind, rule: CompiledRule, v: RuleVariant, d: DeviceState, t: number, evidence: EvidenceReading[], flapping: boolean): AlarmTransition {
    return {
      kind, rule, mode: v.mode, severity: v.severity, escalate: v.escalate, deviceId: d.deviceId, gatewayId: d.gatewayId, district: d.district,
      profile: d.profileClass, timestampMs: t, evidence, flapping, noData: rule.noData,
    };
  }

  /** The evidence of one reading: the rule's metrics that have a value (names and positions resolved at compile time). */
  private evidenceOf(rule: CompiledRule, d: DeviceState, t: number): EvidenceReading {
    const { positions, names, flags } = rule.evidence;
    const row = d.table.values;
    const base = d.slot * d.table.width;
    const values: Record<string, MetricValue> = {};
    for (let k = 0; k < positions.length; k++) {
      // Positions and names are the rule's own, compiled against this class's profile (k < positions.length = names.length).
      const x = row[base + (positions[k] ?? 0)] ?? Number.NaN;
      if (Number.isNaN(x)) continue;
      values[names[k] ?? ''] = flags[k] === 1 ? x === 1 : x;
    }
    return { timestampMs: t, values };
  }

  private newDevice(deviceId: string, cls: ClassRules): DeviceState {
    const table = this.tableOf(cls);
    return {
      deviceId, profileClass: cls.profile.class, profileVersion: cls.profile.version, gatewayId: '', district: '',
      table, slot: table.add(this.options.clock.now()), rules: undefined, plan: undefined, dirty: false,
    };
  }

  // --- checkpoint (restart keeps for: windows, last-seen and flapping state) ---

  /** Devices changed since the last call (each once), in the order they changed. */
  takeDirty(): DeviceState[] {
    const taken = this.dirtyList;
    this.dirtyList = [];
    const out: DeviceState[] = [];
    for (const d of taken) {
      d.dirty = false;
      // A device re-created for another class is saved as it is now.
      if (this.devices.get(d.deviceId) === d) out.push(d);
    }
    return out;
  }

  /** Changed devices waiting for the next `takeDirty()`. */
  dirtyCount(): number {
    return this.dirtyList.length;
  }

  /** The checkpoint JSON of one device (written by hand: no intermediate arrays per device). */
  static snapshot(d: DeviceState): string {
    const t = d.table;
    const base = d.slot * t.width;
    let v = '';
    let w = '';
    for (let i = 0; i < t.width; i++) {
      const sep = i === 0 ? '' : ',';
      v += sep + jsonNumber(t.values[base + i] ?? Number.NaN);
      const win = t.windows[i];
      if (!win || win.size(d.slot) === 0) {
        w += `${sep}null`;
        continue;
      }
      const [ts, vs] = win.snapshot(d.slot);
      w += `${sep}[[${ts.map(jsonNumber).join(',')}],[${vs.map(jsonNumber).join(',')}]]`;
    }
    return `{"c":${JSON.stringify(d.profileClass)},"pv":${jsonNumber(d.profileVersion)},"g":${JSON.stringify(d.gatewayId)},"di":${JSON.stringify(d.district)},`
      + `"lt":${jsonNumber(t.lastTs[d.slot] ?? Number.NEGATIVE_INFINITY)},"la":${jsonNumber(t.lastArrival[d.slot] ?? 0)},"v":[${v}],"w":[${w}],"r":${d.rules ? JSON.stringify([...d.rules]) : '[]'}}`;
  }

  restore(deviceId: string, json: string): void {
    const o = JSON.parse(json) as {
      c: string; pv: number; g: string; di: string; lt: number | null; la: number; v: Array<number | null>; w: Array<[number[], number[]] | null>; r: Array<[string, RuleState]>;
    };
    const cls = this.index.get(o.c);
    if (!cls) return;
    const d = this.newDevice(deviceId, cls);
    const t = d.table;
    d.profileVersion = o.pv;
    d.gatewayId = this.intern(o.g);
    d.district = this.intern(o.di);
    t.lastTs[d.slot] = o.lt ?? Number.NEGATIVE_INFINITY;
    t.lastArrival[d.slot] = o.la;
    const base = d.slot * t.width;
    o.v.forEach((x, i) => { if (i < t.width) t.values[base + i] = x ?? Number.NaN; });
    o.w.forEach((w, i) => { if (w) t.windows[i]?.restore(d.slot, w); });
    d.rules = o.r.length > 0 ? new Map(o.r) : undefined;
    this.devices.set(deviceId, d);
  }
}
