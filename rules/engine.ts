import { metricOfValue, type ProfileCatalogue, type RuleSpec } from '../device-profiles/index.ts';
import { metricValueOf, type IReading } from '../proto/index.ts';
import type { Clock, Logger } from '../service-kit/index.ts';
import { AlarmLifecycle, type AlarmEventType } from './alarm-lifecycle.ts';
import { CityCalendar } from './city-time.ts';
import { compileRuleSet } from './compile.ts';
import { RuleEvaluator, type AlarmTransition, type DeviceState } from './evaluator.ts';
import type { RulesMetrics } from './metrics.ts';
import { RuleSet } from './rule-set.ts';
import type { AlarmRecord, SqliteRulesStore } from './sqlite-store.ts';
import type { SilenceBook } from './silences.ts';
import { GatewayTopology } from './topology.ts';

// The rules engine without its transports: readings in (per reading, in
// order), alarm changes stored with their outbox rows, timers driven by the
// injected clock. The service wires MQTT and HTTP around it; the benchmark and
// unit tests drive it directly.

export type RejectReason = 'bad-reading' | 'unknown-profile' | 'unknown-metric' | 'stale-reading' | 'store-failed';

export interface RulesCounters {
  batches: number;
  readingsEvaluated: number;
  rejected: number;
  alarmsRaised: number;
  alarmsUpdated: number;
  alarmsAcknowledged: number;
  alarmsEscalated: number;
  alarmsCleared: number;
  alarmsClosed: number;
  alarmChangesSuppressed: number;
  shadowTransitions: number;
}

/** What one sliced write-behind run did. */
export interface CheckpointRun {
  devices: number;
  slices: number;
  /** Longest slice (serialising, upserts and its commit), ms of wall time. */
  longestSliceMs: number;
  /** Most CPU one slice used, ms (wall time above it was waiting: the disk, or other processes on the CPU). */
  longestSliceCpuMs: number;
}

export interface RulesEngineOptions {
  store: SqliteRulesStore;
  profiles: ProfileCatalogue;
  clock: Clock;
  /** IANA zone of the city, for time-of-day conditions. */
  timeZone: string;
  log: Logger;
  metrics: RulesMetrics;
  /** Outbox sink names, read at each change. */
  sinks: () => readonly string[];
  /** Called after changes were stored (the outbox has new rows). */
  onStored?: () => void;
  /** Silences and maintenance windows (silences.ts); without them nothing is silenced. */
  silences?: SilenceBook;
}

const EVENT_COUNTER: Record<AlarmEventType, keyof RulesCounters> = {
  raised: 'alarmsRaised', updated: 'alarmsUpdated', acknowledged: 'alarmsAcknowledged', escalated: 'alarmsEscalated', cleared: 'alarmsCleared', closed: 'alarmsClosed',
};

export class RulesEngine {
  readonly evaluator: RuleEvaluator;
  readonly alarms: AlarmLifecycle;
  readonly rules: RuleSet;
  readonly topology: GatewayTopology;
  readonly counters: RulesCounters = {
    batches: 0, readingsEvaluated: 0, rejected: 0, alarmsRaised: 0, alarmsUpdated: 0, alarmsAcknowledged: 0, alarmsEscalated: 0,
    alarmsCleared: 0, alarmsClosed: 0, alarmChangesSuppressed: 0, shadowTransitions: 0,
  };
  /** Alarm changes of the open batch, per reading, committed together by `endBatch()`. */
  private batch: Array<{ gatewayId: string; deviceId: string; transitions: readonly AlarmTransition[] }> | undefined;
  /** Readings evaluated since the counter was last brought up to date (one `inc` per batch). */
  private uncounted = 0;
  /** Devices taken for the chunked write-behind and not yet written. */
  private saving: DeviceState[] = [];
  private savingAt = 0;
  private saver: Promise<CheckpointRun> | undefined;
  /** Running estimate of one device's checkpoint cost (ms), sizing the slices. */
  private msPerSave = 0.02;

  constructor(private readonly o: RulesEngineOptions) {
    this.evaluator = new RuleEvaluator({ calendar: new CityCalendar(o.timeZone), clock: o.clock });
    let topology: GatewayTopology | undefined;
    this.alarms = new AlarmLifecycle({
      store: o.store, clock: o.clock, sinks: o.sinks,
      gatewayAlarmOf: (gw) => topology?.alarmOf(gw) ?? null,
      silenceOf: o.silences ? (subject) => o.silences!.silenceOf(subject) : undefined,
      onEvent: (type, alarm, delivered) => this.count(type, alarm, delivered),
    });
    this.topology = topology = new GatewayTopology(o.store, this.alarms, o.log, () => o.clock.now());
    this.rules = new RuleSet(o.store, o.profiles, o.clock);
    this.rules.onChange((specs) => this.compile(specs));
    this.compile(this.rules.specs());
    this.restore();
  }

  private compile(specs: RuleSpec[]): void {
    this.evaluator.setRules(compileRuleSet(specs, this.o.profiles.all()));
  }

  /** Evaluator checkpoints, then the open alarms: a restart neither loses nor re-raises them. */
  private restore(): void {
    let devices = 0;
    for (const row of this.o.store.deviceStates()) {
      this.evaluator.restore(row.device_id, row.state);
      devices++;
    }
    const open = this.o.store.openAlarms();
    for (const a of open) this.evaluator.markActive(a.deviceId, a.ruleId);
    this.o.log.info({ devices, openAlarms: open.length }, 'rules: state restored');
  }

  private count(type: AlarmEventType, alarm: AlarmRecord, delivered: boolean): void {
    this.counters[EVENT_COUNTER[type]] += 1;
    this.o.metrics.alarmEvents.inc({ type, rule: alarm.ruleId, severity: alarm.severity });
    if (type === 'raised') this.o.metrics.alarmsRaised.inc({ rule: alarm.ruleId, severity: alarm.severity });
    if (type === 'raised' && !delivered && alarm.silencedBy !== null) this.o.metrics.silenced.inc({ rule: alarm.ruleId });
    if (!delivered) {
      this.counters.alarmChangesSuppressed += 1;
      this.o.metrics.suppressed.inc();
    }
    if (type !== 'updated') this.o.log.info({ alarmId: alarm.id, type, ruleId: alarm.ruleId, deviceId: alarm.deviceId, severity: alarm.severity, suppressedBy: alarm.suppressedBy }, `rules: alarm ${type}`);
  }

  reject(reason: RejectReason | 'bad-topic' | 'malformed' | 'gateway-mismatch' | 'bad-event', detail: Record<string, unknown>): void {
    this.counters.rejected += 1;
    this.o.metrics.rejected.inc({ reason });
    this.o.log.warn({ reason, ...detail }, 'rules: input rejected');
  }

  /**
   * One MQTT batch: its readings are evaluated one by one, and all their alarm
   * changes (with outbox rows) are committed in one SQLite transaction at the
   * end, before the caller returns and the PUBACK goes out. One fsync per
   * batch instead of one per alarm change (synchronous=FULL stays).
   */
  handleBatch(gatewayId: string, readings: readonly IReading[]): void {
    this.beginBatch();
    try {
      for (const r of readings) this.handleReading(gatewayId, r);
    } finally {
      this.endBatch();
    }
  }

  /** Readings of the open batch whose alarm changes wait for `endBatch()`. */
  heldReadings(): number {
    return this.batch?.length ?? 0;
  }

  /** Holds alarm changes back until `endBatch()` (see `handleBatch`). */
  beginBatch(): void {
    this.batch ??= [];
  }

  /** Commits the alarm changes held since `beginBatch()`; each change is a savepoint of its own (as outside a batch). */
  endBatch(): void {
    const pending = this.batch;
    this.batch = undefined;
    this.countEvaluated();
    if (!pending || pending.length === 0) return;
    try {
      this.o.store.transaction(() => {
        for (const p of pending) {
          try {
            this.applyEach(p.transitions);
          } catch (err) {
            // A store failure must not kill the consumer; the reading is counted as dropped.
            this.rejected('store-failed', { gatewayId: p.gatewayId, deviceId: p.deviceId, err: (err as Error).message });
          }
        }
      });
    } catch (err) {
      for (const p of pending) this.rejected('store-failed', { gatewayId: p.gatewayId, deviceId: p.deviceId, err: (err as Error).message });
    }
    this.o.onStored?.();
  }

  private countEvaluated(): void {
    if (this.uncounted === 0) return;
    this.o.metrics.readingsEvaluated.inc(this.uncounted);
    this.uncounted = 0;
  }

  /** One reading of a batch; returns what became of it. Inside a batch its alarm changes are stored by `endBatch()`. */
  handleReading(gatewayId: string, reading: IReading): RejectReason | undefined {
    const deviceId = reading.deviceId ?? '';
    const timestampMs = Number(reading.timestampMs);
    if (!deviceId || !Number.isFinite(timestampMs) || timestampMs <= 0) return this.rejected('bad-reading', { gatewayId, deviceId });
    const profile = this.o.profiles.get(reading.profile ?? '');
    if (!profile) return this.rejected('unknown-profile', { gatewayId, deviceId, profile: reading.profile });
    const ev = this.evaluator;
    ev.beginInput();
    const metrics = reading.metrics;
    if (metrics) {
      for (let i = 0; i < metrics.length; i++) {
        const m = metrics[i]!;
        const spec = metricOfValue(profile, m);
        const v = metricValueOf(m);
        if (!spec || v === null) return this.rejected('unknown-metric', { gatewayId, deviceId, metric: m.name ?? m.index });
        ev.addInput(m.index ? m.index - 1 : profile.metrics.indexOf(spec), typeof v === 'boolean' ? (v ? 1 : 0) : v);
      }
    }
    const started = performance.now();
    try {
      const result = ev.evaluateInput(deviceId, gatewayId, reading.district ?? '', profile, reading.profileVersion ?? profile.version, timestampMs);
      if (result.skipped === 'stale-reading') return this.rejected('stale-reading', { gatewayId, deviceId, timestampMs });
      if (result.skipped) return this.rejected('unknown-profile', { gatewayId, deviceId });
      this.counters.readingsEvaluated += 1;
      this.uncounted += 1;
      if (result.transitions.length > 0) {
        if (this.batch) this.batch.push({ gatewayId, deviceId, transitions: result.transitions });
        else this.applyAll(result.transitions);
      }
      if (!this.batch) this.countEvaluated();
      return undefined;
    } catch (err) {
      // A store failure must not kill the consumer; the reading is counted as dropped.
      return this.rejected('store-failed', { gatewayId, deviceId, err: (err as Error).message });
    } finally {
      this.o.metrics.evaluationSeconds.observe((performance.now() - started) / 1000);
    }
  }

  private rejected(reason: RejectReason, detail: Record<string, unknown>): RejectReason {
    this.reject(reason, detail);
    return reason;
  }

  applyAll(transitions: readonly AlarmTransition[]): void {
    if (transitions.length === 0) return;
    this.applyEach(transitions);
    this.o.onStored?.();
  }

  private applyEach(transitions: readonly AlarmTransition[]): void {
    for (const t of transitions) {
      if (t.mode === 'shadow') {
        this.alarms.recordShadow(t);
        this.counters.shadowTransitions += 1;
        this.o.metrics.shadow.inc({ rule: t.rule.id, kind: t.kind });
      } else {
        this.alarms.apply(t);
      }
    }
  }

  /** Timers (wall time from the injected clock): no-data, escalation, release of suppressed alarms. */
  tick(): void {
    const now = this.o.clock.now();
    this.applyAll(this.evaluator.sweepNoData(now));
    const escalated = this.alarms.escalate();
    const released = this.alarms.releaseSuppressed((a) => (this.o.profiles.get(a.profile)?.reportIntervalSeconds ?? 60) * 1000);
    const unsilenced = this.o.silences ? this.alarms.releaseSilenced((id) => this.o.silences!.inForce(id)) : [];
    this.o.silences?.prune();
    if (escalated.length + released.length + unsilenced.length > 0) this.o.onStored?.();
  }

  /** Writes every changed device state now, in one transaction (on stop, and in tests); returns how many. */
  checkpoint(): number {
    const rows = this.takeForSaving();
    const count = rows.length;
    if (count === 0) return 0;
    const stop = this.o.metrics.checkpointSeconds.startTimer();
    this.o.store.saveDeviceStates(rows.map((d) => [d.deviceId, RuleEvaluator.snapshot(d)]), this.o.clock.now());
    stop();
    return count;
  }

  /** What is left of a chunked write-behind plus what changed since, each device once. */
  private takeForSaving(): DeviceState[] {
    const left = this.saving.slice(this.savingAt).filter((d) => !d.dirty);
    this.saving = [];
    this.savingAt = 0;
    return left.concat(this.evaluator.takeDirty());
  }

  /**
   * The write-behind checkpoint of the devices changed since the last one,
   * in chunks of at most `sliceMs` of work (one transaction each), yielding
   * to the event loop between them: at 100,000 changed devices no single
   * pause is long (one transaction of all of them took seconds). A call
   * while one runs joins it.
   */
  checkpointInSlices(sliceMs = 8): Promise<CheckpointRun> {
    if (this.saver) return this.saver;
    this.saving = this.takeForSaving();
    this.savingAt = 0;
    if (this.saving.length === 0) return Promise.resolve({ devices: 0, slices: 0, longestSliceMs: 0, longestSliceCpuMs: 0 });
    const run = async (): Promise<CheckpointRun> => {
      const done: CheckpointRun = { devices: 0, slices: 0, longestSliceMs: 0, longestSliceCpuMs: 0 };
      let unsynced = 0;
      while (this.savingAt < this.saving.length) {
        const began = performance.now();
        const cpu = process.cpuUsage();
        const stop = this.o.metrics.checkpointSeconds.startTimer();
        // As many devices as the last slices' cost per device says fit in `sliceMs` (serialising and upserting).
        const take = Math.max(16, Math.floor(sliceMs / this.msPerSave));
        const rows: Array<[string, string]> = [];
        while (this.savingAt < this.saving.length && rows.length < take) {
          const d = this.saving[this.savingAt++]!;
          rows.push([d.deviceId, RuleEvaluator.snapshot(d)]);
        }
        // A slice commits without waiting for the disk unless it ends the run or ~2,000 devices (~0.6 MB) wait
        // unsynced: its fsync makes them durable too, and flushing a bounded amount keeps that pause short.
        unsynced += rows.length;
        const relaxed = this.savingAt < this.saving.length && unsynced < 2048;
        if (!relaxed) unsynced = 0;
        this.o.store.saveDeviceStates(rows, this.o.clock.now(), relaxed);
        stop();
        done.devices += rows.length;
        done.slices += 1;
        const took = performance.now() - began;
        const used = process.cpuUsage(cpu);
        done.longestSliceMs = Math.max(done.longestSliceMs, took);
        done.longestSliceCpuMs = Math.max(done.longestSliceCpuMs, (used.user + used.system) / 1000);
        // The synced last slice waits for the disk: its time says nothing about the next run's slices.
        if (relaxed) this.msPerSave = Math.min(1, Math.max(0.001, 0.5 * this.msPerSave + 0.5 * (took / rows.length)));
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      this.saving = [];
      this.savingAt = 0;
      return done;
    };
    this.saver = run().finally(() => { this.saver = undefined; });
    return this.saver;
  }

  acknowledge(id: number, who: string, note?: string): AlarmRecord {
    const a = this.alarms.acknowledge(id, who, note);
    this.o.onStored?.();
    return a;
  }

  closeByCase(alarmIds: readonly number[], caseId: string, by: string, note?: string): AlarmRecord[] {
    const closed = this.alarms.closeByCase(alarmIds, caseId, by, note);
    for (const a of closed) this.evaluator.reset(a.deviceId, a.ruleId);
    if (closed.length > 0) this.o.onStored?.();
    return closed;
  }

  /** After a rule was deleted or disabled: its open alarms are cleared, its states forgotten. */
  retireRule(ruleId: string, who: string): void {
    const cleared = this.alarms.clearRule(ruleId, `rule change by ${who}`);
    for (const a of cleared) this.evaluator.reset(a.deviceId, a.ruleId);
    if (cleared.length > 0) this.o.onStored?.();
  }
}
