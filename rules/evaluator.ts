import type { DeviceProfile, Severity } from '../device-profiles/index.ts';
import type { Clock } from '../service-kit/index.ts';
import type { CityCalendar } from './city-time.ts';
import { evaluate, type ConditionContext } from './conditions.ts';
import { inScope, variantFor, type ClassRules, type CompiledRule, type RuleMode, type RuleVariant } from './compile.ts';
import { MetricWindow } from './metric-window.ts';

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

export interface DeviceState {
  deviceId: string;
  profileClass: string;
  profileVersion: number;
  gatewayId: string;
  district: string;
  /** Device time of the newest reading (stale-reading guard). */
  lastTs: number;
  /** Wall time the newest reading arrived (no-data). */
  lastArrival: number;
  values: Float64Array;
  windows: Array<MetricWindow | undefined>;
  rules: Map<string, RuleState>;
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

export class RuleEvaluator {
  private readonly devices = new Map<string, DeviceState>();
  private index = new Map<string, ClassRules>();
  private readonly maxEvidence: number;
  /** Devices whose state changed since the last `takeDirty()` (write-behind checkpoint). */
  private dirty = new Set<string>();
  private readonly ctx: ConditionContext;

  constructor(private readonly options: RuleEvaluatorOptions) {
    this.maxEvidence = options.maxEvidence ?? 20;
    this.ctx = { values: new Float64Array(0), windows: [], t: 0, calendar: options.calendar };
  }

  /** Swaps in a new rule set (rules edited at runtime); per-device states carry over by rule id. */
  setRules(index: Map<string, ClassRules>): void {
    this.index = index;
    for (const d of this.devices.values()) {
      const cls = index.get(d.profileClass);
      if (cls) this.ensureWindows(d, cls);
    }
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
    const s = d.rules.get(ruleId) ?? idleState();
    s.phase = 2;
    d.rules.set(ruleId, s);
  }

  /** Forgets a rule's state for a device (alarm closed by its case, or cleared by a rule change). */
  reset(deviceId: string, ruleId: string): void {
    const d = this.devices.get(deviceId);
    if (d?.rules.delete(ruleId)) this.dirty.add(deviceId);
  }

  evaluate(r: RuleReading): EvaluationResult {
    const cls = this.index.get(r.profile.class);
    if (!cls) return { transitions: [], skipped: 'unknown-class' };
    let d = this.devices.get(r.deviceId);
    if (!d || d.profileClass !== r.profile.class) {
      d = this.newDevice(r.deviceId, cls);
      this.devices.set(r.deviceId, d);
    }
    // Duplicates and out-of-order readings would rewind windows or count twice (QoS 1 redelivery lands here).
    if (r.timestampMs <= d.lastTs) return { transitions: [], skipped: 'stale-reading' };
    d.lastTs = r.timestampMs;
    d.lastArrival = this.options.clock.now();
    d.gatewayId = r.gatewayId;
    d.district = r.district;
    d.profileVersion = r.profileVersion;
    for (const m of r.metrics) {
      const v = typeof m.value === 'boolean' ? (m.value ? 1 : 0) : m.value;
      d.values[m.index] = v;
      d.windows[m.index]?.push(r.timestampMs, v);
    }
    this.dirty.add(d.deviceId);
    const ctx = this.ctx;
    ctx.values = d.values;
    ctx.windows = d.windows;
    ctx.t = r.timestampMs;

    let transitions: AlarmTransition[] | undefined;
    // A reading ends every no-data alarm of the device.
    for (const rule of cls.noDataRules) {
      const s = d.rules.get(rule.id);
      if (s?.phase === 2) {
        d.rules.delete(rule.id);
        (transitions ??= []).push(this.transition('clear', rule, variantFor(rule, d.deviceId, d.district), d, r.timestampMs, [this.evidenceOf(rule, d, r.timestampMs)], false));
      }
    }
    for (const rule of cls.rules) {
      if (!inScope(rule, d.deviceId, d.district, d.gatewayId, d.profileVersion)) continue;
      const v = variantFor(rule, d.deviceId, d.district);
      if (v.mode === 'disabled' || !v.when) continue;
      if (rule.metrics.length > 0 && !touches(rule.metrics, r.metrics)) continue;
      const t = this.step(rule, v, d, r.timestampMs);
      if (t) (transitions ??= []).push(t);
    }
    return { transitions: transitions ?? [] };
  }

  private step(rule: CompiledRule, v: RuleVariant, d: DeviceState, t: number): AlarmTransition | undefined {
    let s = d.rules.get(rule.id);
    let holds = evaluate(v.when!, this.ctx);
    if (v.repeat) {
      s ??= idleState();
      s.bits = ((s.bits << 1) | (holds ? 1 : 0)) & (v.repeat.of >= 32 ? 0xffffffff : (1 << v.repeat.of) - 1);
      holds = popcount(s.bits) >= v.repeat.count;
      d.rules.set(rule.id, s);
    }
    if (s?.phase === 2) {
      // Hysteresis: with `clear` only `clear` clears; without it, `when` stopping (past the deadband) does.
      const clears = v.clear ? evaluate(v.clear, this.ctx) : v.repeat ? !holds : !evaluate(v.when!, this.ctx, v.deadband);
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
      if (!v.repeat && s.fires.length === 0) d.rules.delete(rule.id);
      return this.transition('clear', rule, v, d, t, [this.evidenceOf(rule, d, t)], false);
    }
    if (!holds) {
      if (s && s.phase === 1) {
        s.phase = 0;
        s.evidence = [];
        if (!v.repeat && s.fires.length === 0) d.rules.delete(rule.id);
      }
      return undefined;
    }
    if (!s) {
      s = idleState();
      d.rules.set(rule.id, s);
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
    s.fires = s.fires.filter((f) => f > t - rule.flapWindowMs);
    s.fires.push(t);
    if (s.fires.length >= rule.flapCount) s.flapping = true;
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
      for (const rule of cls.noDataRules) {
        if (!inScope(rule, d.deviceId, d.district, d.gatewayId, d.profileVersion)) continue;
        const v = variantFor(rule, d.deviceId, d.district);
        if (v.mode === 'disabled' || v.noDataMs === undefined) continue;
        if (d.rules.get(rule.id)?.phase === 2 || now - d.lastArrival < v.noDataMs) continue;
        const s = idleState();
        s.phase = 2;
        d.rules.set(rule.id, s);
        this.dirty.add(d.deviceId);
        out.push(this.transition('fire', rule, v, d, d.lastTs, [this.evidenceOf(rule, d, d.lastTs)], false));
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

  private evidenceOf(rule: CompiledRule, d: DeviceState, t: number): EvidenceReading {
    const metrics = this.index.get(d.profileClass)!.profile.metrics;
    const values: Record<string, MetricValue> = {};
    const positions = rule.noData ? metrics.map((_, i) => i) : rule.metrics;
    for (const i of positions) {
      const x = d.values[i]!;
      if (!Number.isNaN(x)) values[metrics[i]!.name] = metrics[i]!.type === 'boolean' ? x === 1 : x;
    }
    return { timestampMs: t, values };
  }

  private newDevice(deviceId: string, cls: ClassRules): DeviceState {
    const d: DeviceState = {
      deviceId, profileClass: cls.profile.class, profileVersion: cls.profile.version, gatewayId: '', district: '',
      lastTs: Number.NEGATIVE_INFINITY, lastArrival: this.options.clock.now(),
      values: new Float64Array(cls.profile.metrics.length).fill(Number.NaN), windows: [], rules: new Map(),
    };
    this.ensureWindows(d, cls);
    return d;
  }

  private ensureWindows(d: DeviceState, cls: ClassRules): void {
    for (const [m, ms] of cls.windows) if (!d.windows[m]) d.windows[m] = new MetricWindow(ms);
  }

  // --- checkpoint (restart keeps for: windows, last-seen and flapping state) ---

  takeDirty(): DeviceState[] {
    const out: DeviceState[] = [];
    for (const id of this.dirty) {
      const d = this.devices.get(id);
      if (d) out.push(d);
    }
    this.dirty = new Set();
    return out;
  }

  static snapshot(d: DeviceState): string {
    return JSON.stringify({
      c: d.profileClass, pv: d.profileVersion, g: d.gatewayId, di: d.district, lt: d.lastTs, la: d.lastArrival,
      v: Array.from(d.values, (x) => (Number.isNaN(x) ? null : x)),
      w: d.windows.map((w) => (w ? w.snapshot() : null)),
      r: [...d.rules],
    });
  }

  restore(deviceId: string, json: string): void {
    const o = JSON.parse(json) as {
      c: string; pv: number; g: string; di: string; lt: number; la: number; v: Array<number | null>; w: Array<[number[], number[]] | null>; r: Array<[string, RuleState]>;
    };
    const cls = this.index.get(o.c);
    if (!cls) return;
    const d = this.newDevice(deviceId, cls);
    d.profileVersion = o.pv;
    d.gatewayId = o.g;
    d.district = o.di;
    d.lastTs = o.lt ?? Number.NEGATIVE_INFINITY;
    d.lastArrival = o.la;
    o.v.forEach((x, i) => { if (i < d.values.length) d.values[i] = x ?? Number.NaN; });
    o.w.forEach((w, i) => { if (w && cls.windows.has(i)) d.windows[i] = MetricWindow.restore(cls.windows.get(i)!, w); });
    d.rules = new Map(o.r);
    this.devices.set(deviceId, d);
  }
}

function touches(ruleMetrics: Uint16Array, reading: RuleReading['metrics']): boolean {
  for (const m of reading) for (let i = 0; i < ruleMetrics.length; i++) if (ruleMetrics[i] === m.index) return true;
  return false;
}
