import type { DeviceProfile, RuleSpec } from '../device-profiles/index.ts';
import { evaluateCondition, metricsOf, type MetricValue } from './conditions.ts';

// The streaming evaluator: pure, synchronous, no I/O and no wall clock. Time
// is the device time carried by the readings, so the same code can replay
// history (backtest) and give the same answers.

/** One reading as the evaluator sees it (decoded from a protobuf Reading). */
export interface RuleReading {
  deviceId: string;
  gatewayId: string;
  district: string;
  profile: DeviceProfile;
  /** Device time, ms since the epoch. */
  timestampMs: number;
  /** The metrics this reading carries; may be a subset of the profile's. */
  metrics: Readonly<Record<string, MetricValue>>;
}

/** A reading kept as evidence: the time and the values of the rule's metrics. */
export interface EvidenceReading {
  timestampMs: number;
  values: Record<string, MetricValue>;
}

export type TransitionKind = 'fire' | 'update' | 'clear';

export interface AlarmTransition {
  kind: TransitionKind;
  rule: RuleSpec;
  deviceId: string;
  gatewayId: string;
  district: string;
  /** Device class id. */
  profile: string;
  /** Device time of the reading that caused the transition. */
  timestampMs: number;
  /** fire: the readings that made it fire (the whole `forSeconds` window); update/clear: this reading. */
  evidence: EvidenceReading[];
}

export interface EvaluationResult {
  transitions: AlarmTransition[];
  /** Set when the reading was not evaluated. */
  skipped?: 'stale-reading';
}

export interface RuleEvaluatorOptions {
  /** The effective rules of a profile; default its built-in `rules:` (rule editing plugs in here). */
  rulesOf?: (profile: DeviceProfile) => readonly RuleSpec[];
  /** Most evidence readings kept per pending alarm (oldest dropped first). */
  maxEvidence?: number;
}

interface RuleState {
  /** Device time at which `when` started holding continuously; undefined when it does not hold. */
  holdingSince?: number;
  pending: EvidenceReading[];
  active: boolean;
}

interface DeviceState {
  values: Map<string, MetricValue>;
  lastTimestampMs: number;
  rules: Map<string, RuleState>;
}

export class RuleEvaluator {
  private readonly devices = new Map<string, DeviceState>();
  private readonly rulesOf: (profile: DeviceProfile) => readonly RuleSpec[];
  private readonly maxEvidence: number;
  private readonly metricCache = new WeakMap<RuleSpec, Set<string>>();

  constructor(options: RuleEvaluatorOptions = {}) {
    this.rulesOf = options.rulesOf ?? ((p) => p.rules);
    this.maxEvidence = options.maxEvidence ?? 20;
  }

  /**
   * Marks an alarm as already open (loaded from the store after a restart),
   * so a reading that still satisfies the rule updates it instead of raising
   * a new one. `lastSeenAt` (device time) also guards against a redelivered
   * old reading being counted again.
   */
  restoreActive(deviceId: string, ruleId: string, lastSeenAt: number): void {
    const device = this.device(deviceId);
    device.lastTimestampMs = Math.max(device.lastTimestampMs, lastSeenAt);
    this.ruleState(device, ruleId).active = true;
  }

  /** Forgets an open alarm (acknowledged-and-cleared elsewhere, or a rule removed). */
  forgetActive(deviceId: string, ruleId: string): void {
    const state = this.devices.get(deviceId)?.rules.get(ruleId);
    if (state) state.active = false;
  }

  isActive(deviceId: string, ruleId: string): boolean {
    return this.devices.get(deviceId)?.rules.get(ruleId)?.active ?? false;
  }

  /** Feeds one reading; readings of one device must come in device-time order. */
  evaluate(reading: RuleReading): EvaluationResult {
    const device = this.device(reading.deviceId);
    // Duplicate or out-of-order readings (not newer than the last one) would rewind
    // forSeconds windows or count twice; QoS 1 redeliveries land here.
    if (reading.timestampMs <= device.lastTimestampMs) return { transitions: [], skipped: 'stale-reading' };
    device.lastTimestampMs = reading.timestampMs;
    for (const [name, value] of Object.entries(reading.metrics)) device.values.set(name, value);
    const lookup = (metric: string) => device.values.get(metric);

    const transitions: AlarmTransition[] = [];
    for (const rule of this.rulesOf(reading.profile)) {
      const metrics = this.metricsOfRule(rule);
      // A reading that says nothing about the rule's metrics neither
      // repeats, fires nor clears it (a battery report is no cover repeat).
      if (!Object.keys(reading.metrics).some((m) => metrics.has(m))) continue;
      const state = this.ruleState(device, rule.id);
      const evidence: EvidenceReading = { timestampMs: reading.timestampMs, values: pick(device.values, metrics) };
      const holds = evaluateCondition(rule.when, lookup);
      const base = { rule, deviceId: reading.deviceId, gatewayId: reading.gatewayId, district: reading.district, profile: reading.profile.class, timestampMs: reading.timestampMs };

      if (state.active) {
        // Hysteresis: with `clear`, only `clear` clears; without it, `when` stopping does.
        const clears = rule.clear ? evaluateCondition(rule.clear, lookup) : !holds;
        if (clears) {
          state.active = false;
          state.holdingSince = undefined;
          state.pending = [];
          transitions.push({ ...base, kind: 'clear', evidence: [evidence] });
        } else if (holds) {
          transitions.push({ ...base, kind: 'update', evidence: [evidence] });
        }
        continue;
      }

      if (!holds) {
        state.holdingSince = undefined;
        state.pending = [];
        continue;
      }
      state.holdingSince ??= reading.timestampMs;
      state.pending.push(evidence);
      if (state.pending.length > this.maxEvidence) state.pending.shift();
      if (reading.timestampMs - state.holdingSince >= rule.forSeconds * 1000) {
        state.active = true;
        transitions.push({ ...base, kind: 'fire', evidence: state.pending });
        state.holdingSince = undefined;
        state.pending = [];
      }
    }
    return { transitions };
  }

  private metricsOfRule(rule: RuleSpec): Set<string> {
    let metrics = this.metricCache.get(rule);
    if (!metrics) {
      metrics = metricsOf(rule.when);
      if (rule.clear) metricsOf(rule.clear, metrics);
      this.metricCache.set(rule, metrics);
    }
    return metrics;
  }

  private device(deviceId: string): DeviceState {
    let device = this.devices.get(deviceId);
    if (!device) {
      device = { values: new Map(), lastTimestampMs: Number.NEGATIVE_INFINITY, rules: new Map() };
      this.devices.set(deviceId, device);
    }
    return device;
  }

  private ruleState(device: DeviceState, ruleId: string): RuleState {
    let state = device.rules.get(ruleId);
    if (!state) {
      state = { pending: [], active: false };
      device.rules.set(ruleId, state);
    }
    return state;
  }
}

function pick(values: Map<string, MetricValue>, metrics: Set<string>): Record<string, MetricValue> {
  const out: Record<string, MetricValue> = {};
  for (const m of metrics) {
    const v = values.get(m);
    if (v !== undefined) out[m] = v;
  }
  return out;
}
