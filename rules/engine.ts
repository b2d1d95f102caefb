import { metricOfValue, type DeviceProfile, type ProfileCatalogue, type RuleSpec } from '../device-profiles/index.ts';
import { metricValueOf, type IReading } from '../proto/index.ts';
import { isTzError, toError, TzError, type Clock, type Logger } from '../service-kit/index.ts';
import { AlarmLifecycle, type AlarmEventType } from './alarm-lifecycle.ts';
import type { WireTransition, WriterReading } from './alarm-writer-protocol.ts';
import type { AlarmWriter } from './alarm-writer.ts';
import { CityCalendar } from './city-time.ts';
import { compileRuleSet } from './compile.ts';
import { RuleEvaluator, type AlarmTransition, type DeviceState } from './evaluator.ts';
import type { RulesMetrics } from './metrics.ts';
import { RuleSet } from './rule-set.ts';
import { runSteps, step, type AlarmRecord, type Maybe, type RulesStore, type Steps } from './rules-store.ts';
import type { SilenceBook } from './silences.ts';
import { threadCpuMs } from './thread-cpu.ts';
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
  /**
   * Longest slice on the event loop, ms of wall time: what the loop paid. Serialising, and the upserts and commit
   * when this connection writes it; serialising and posting when the alarm writer thread or PostgreSQL saves it.
   */
  longestSliceMs: number;
  /** Most CPU one slice used on the event loop's thread, ms (wall time above it was waiting: the disk, or other processes on the CPU). */
  longestSliceCpuMs: number;
  /** Longest save of a slice off the event loop, ms: the writer thread's transaction, or PostgreSQL's round trip (0 when this connection wrote them). */
  longestSaveMs: number;
}

export interface RulesEngineOptions {
  store: RulesStore;
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
  /** With a device registry: a device's district as registered, which district-scoped rules use instead of what the reading claims. */
  districtOf?: (deviceId: string) => string | undefined;
  /** Silences and maintenance windows (silences.ts); without them nothing is silenced. */
  silences?: SilenceBook;
}

/** One reading's alarm changes held for the batch's transaction. */
interface HeldChange { gatewayId: string; deviceId: string; transitions: readonly AlarmTransition[] }

/** A reading waiting in the lane (a device being adopted from a shared store): its metrics as (index, value) pairs. */
interface QueuedReading {
  deviceId: string; gatewayId: string; district: string; profile: DeviceProfile; profileVersion: number; timestampMs: number; inputs: number[];
}

/** With a shared store, a device not seen here for this long is read from the store again before its next reading (it may have been with another service). */
const ADOPT_AFTER_MS = 10_000;

const EVENT_COUNTER: Record<AlarmEventType, keyof RulesCounters> = {
  raised: 'alarmsRaised', updated: 'alarmsUpdated', acknowledged: 'alarmsAcknowledged', escalated: 'alarmsEscalated', cleared: 'alarmsCleared', closed: 'alarmsClosed',
};

/** The lifecycle's silence lookup, when there are silences. */
function silencesOf(book: SilenceBook | undefined): ((subject: { ruleId: string; deviceId: string; district: string }) => number | null) | undefined {
  return book ? (subject) => book.silenceOf(subject) : undefined;
}

export class RulesEngine {
  readonly evaluator: RuleEvaluator;
  readonly alarms: AlarmLifecycle;
  readonly rules: RuleSet;
  readonly topology: GatewayTopology;
  readonly counters: RulesCounters = {
    batches: 0, readingsEvaluated: 0, rejected: 0, alarmsRaised: 0, alarmsUpdated: 0, alarmsAcknowledged: 0, alarmsEscalated: 0,
    alarmsCleared: 0, alarmsClosed: 0, alarmChangesSuppressed: 0, shadowTransitions: 0,
  };
  /** Alarm changes of the open batch, per reading, committed together by `endBatch()` (synchronous store only). */
  private batch: HeldChange[] | undefined;
  /** Readings evaluated since the counter was last brought up to date (one `inc` per batch). */
  private uncounted = 0;
  /** Devices taken for the chunked write-behind and not yet written. */
  private saving: DeviceState[] = [];
  private savingAt = 0;
  private saver: Promise<CheckpointRun> | undefined;
  /** Running estimate of one device's checkpoint cost (ms), sizing the slices. */
  private msPerSave = 0.02;
  /** Alarm changes waiting for an asynchronous store (PostgreSQL), applied one after another in reading order. */
  private lane: Promise<void> | undefined;
  /** The latest batch of alarm changes still being committed by the writer thread (SQLite; it answers in order, so the ones before it are done first). */
  private writing: Promise<void> | undefined;
  private checkpointing: Promise<void> | undefined;
  private stopping = false;
  /** Resolves when the stored state is restored (undefined: it already is, a synchronous store). */
  readonly ready: Promise<void> | undefined;
  /** Several rules services share the store (PostgreSQL): devices move between them. */
  private readonly shared: boolean;
  /** The store answers at once (SQLite): a batch's changes commit in one transaction before its PUBACK. */
  private readonly synchronous: boolean;

  constructor(private readonly o: RulesEngineOptions) {
    this.shared = o.store.kind !== 'sqlite';
    this.synchronous = o.store.kind === 'sqlite';
    this.evaluator = new RuleEvaluator({ calendar: new CityCalendar(o.timeZone), clock: o.clock });
    let topology: GatewayTopology | undefined;
    this.alarms = new AlarmLifecycle({
      store: o.store, clock: o.clock, sinks: o.sinks,
      gatewayAlarmOf: (gw) => topology?.alarmOf(gw) ?? null,
      silenceOf: silencesOf(o.silences),
      onEvent: (type, alarm, delivered) => this.count(type, alarm, delivered),
    });
    this.topology = topology = new GatewayTopology(o.store, this.alarms, o.log, () => o.clock.now());
    this.rules = new RuleSet(o.store, o.profiles, o.clock);
    this.rules.onChange((specs) => this.compile(specs));
    this.compile(this.rules.specs());
    const restored = runSteps(this.restore());
    // The writer thread takes a moment to load: started now, it is ready for the first batch.
    o.store.alarmWriter?.warm();
    this.ready = restored instanceof Promise ? restored : undefined;
  }

  private compile(specs: RuleSpec[]): void {
    this.evaluator.setRules(compileRuleSet(specs, this.o.profiles.all()));
  }

  /** Evaluator checkpoints, then the open alarms: a restart neither loses nor re-raises them. */
  private *restore(): Steps<void> {
    yield* step(this.rules.load());
    yield* step(this.topology.load());
    if (this.o.silences) yield* step(this.o.silences.reload());
    let devices = 0;
    for (const row of yield* step(this.o.store.deviceStates())) {
      this.evaluator.restore(row.deviceId, row.state);
      devices++;
    }
    const open = yield* step(this.o.store.openAlarms());
    for (const a of open) this.evaluator.markActive(a.deviceId, a.ruleId);
    this.o.log.info({ devices, openAlarms: open.length, store: this.o.store.kind }, 'rules: state restored');
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
   * end, before this returns. The answer says when they are on disk (see
   * `endBatch`): the batch's PUBACK waits for it, the next batch need not.
   */
  handleBatch(gatewayId: string, readings: readonly IReading[]): Promise<void> | undefined {
    this.beginBatch();
    try {
      for (const r of readings) this.handleReading(gatewayId, r);
    } catch (err) {
      // What was evaluated before the throw is still stored.
      void this.endBatch();
      throw err;
    }
    return this.endBatch();
  }

  /** Readings of the open batch whose alarm changes wait for `endBatch()`. */
  heldReadings(): number {
    return this.batch?.length ?? 0;
  }

  /**
   * Holds alarm changes back until `endBatch()` (see `handleBatch`). With an
   * asynchronous store there is nothing to hold: changes go through the lane
   * in reading order, and the batch's PUBACK waits for `pending()`.
   */
  beginBatch(): void {
    if (this.synchronous) this.batch ??= [];
  }

  /**
   * Stores the alarm changes held since `beginBatch()` in one transaction
   * (each reading's changes a savepoint of their own) and answers when they
   * are durable: undefined when there was nothing to store, else a Promise.
   * With the store's writer thread (a SQLite file, issue 18) they are posted
   * to it as plain data and committed there, synchronous=FULL, off the event
   * loop: the Promise resolves once they are committed and synced (the
   * changes' events are counted and logged then), and until then the rows are
   * not visible to this connection's reads — await it (or `pending()`) before
   * reading them. Without it (':memory:', or after the thread died) they are
   * committed here, FULL, before this returns. It rejects when the commit
   * failed or the thread died: those readings are counted store-failed and
   * the batch must not be acknowledged (the broker sends it again). The
   * Promise is already handled: a caller that ignores it loses nothing but
   * the answer.
   */
  endBatch(): Promise<void> | undefined {
    const pending = this.batch;
    this.batch = undefined;
    this.countEvaluated();
    if (!pending || pending.length === 0) return undefined;
    const writer = this.writer();
    return this.answer(writer ? this.written(writer, pending) : this.committedHere(pending), pending);
  }

  /** The store's writer thread while it runs (it is given up for good once it died: then this connection commits). */
  private writer(): AlarmWriter | undefined {
    const writer = this.o.store.alarmWriter;
    return writer?.running() ? writer : undefined;
  }

  /** The batch committed on this connection (FULL: durable when it returns). */
  private committedHere(pending: readonly HeldChange[]): Promise<void> {
    try {
      const done = this.o.store.transaction(() => this.commitBatch(pending));
      if (done instanceof Promise) throw new TzError('TZ_INTERNAL', 'rules: a held batch on an asynchronous store');
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(toError(err));
    }
  }

  /**
   * The batch posted to the writer thread (alarm-writer.ts): the transitions as
   * plain data, with what lives in this thread's memory (the gateway's offline
   * alarm, the silence in force) resolved now, as the lifecycle would have
   * when committing here. Resolves when committed and synced, after counting
   * the changes' events and the readings whose changes failed.
   */
  private written(writer: AlarmWriter, pending: readonly HeldChange[]): Promise<void> {
    const readings: WriterReading[] = pending.map((p) => ({ gatewayId: p.gatewayId, deviceId: p.deviceId, transitions: p.transitions.map((t) => this.wire(t)) }));
    return writer.write({ now: this.o.clock.now(), sinks: [...this.o.sinks()], readings }).then(({ events, failed }) => {
      for (const [type, alarm, delivered] of events) this.count(type, alarm, delivered);
      for (const f of failed) this.rejected('store-failed', { gatewayId: pending[f.reading]?.gatewayId, deviceId: pending[f.reading]?.deviceId, err: f.error });
    });
  }

  private wire(t: AlarmTransition): WireTransition {
    const live = t.mode !== 'shadow';
    if (!live) {
      this.counters.shadowTransitions += 1;
      this.o.metrics.shadow.inc({ rule: t.rule.id, kind: t.kind });
    }
    const raises = live && t.kind === 'fire';
    const caseSpec = t.rule.spec.case;
    return {
      kind: t.kind, mode: t.mode, severity: t.severity, escalate: t.escalate, deviceId: t.deviceId, gatewayId: t.gatewayId, district: t.district, profile: t.profile,
      timestampMs: t.timestampMs, evidence: t.evidence, flapping: t.flapping, noData: t.noData,
      rule: { id: t.rule.id, name: t.rule.name, spec: caseSpec ? { case: caseSpec } : {} },
      suppressedBy: raises && t.noData ? this.topology.alarmOf(t.gatewayId) : null,
      silencedBy: raises ? this.o.silences?.silenceOf({ ruleId: t.rule.id, deviceId: t.deviceId, district: t.district }) ?? null : null,
    };
  }

  /** What a batch's caller gets: resolves after the outbox is nudged; a failure counts every reading of it store-failed. */
  private answer(durable: Promise<void>, pending: readonly HeldChange[]): Promise<void> {
    const answered = durable.then(() => this.o.onStored?.(), (err: unknown) => {
      for (const p of pending) this.rejected('store-failed', { gatewayId: p.gatewayId, deviceId: p.deviceId, err: toError(err).message });
      throw err;
    });
    answered.catch(() => undefined);
    const writing = answered.finally(() => { if (this.writing === writing) this.writing = undefined; });
    writing.catch(() => undefined);
    this.writing = writing;
    return answered;
  }

  /** The held changes, in one transaction; each reading's changes are savepoints of their own (the lifecycle's nested transactions). */
  private *commitBatch(pending: readonly HeldChange[]): Steps<void> {
    for (const p of pending) {
      try {
        for (const t of p.transitions) this.applyOne(t);
      } catch (err) {
        // A store failure must not kill the consumer; the reading is counted as dropped.
        this.rejected('store-failed', { gatewayId: p.gatewayId, deviceId: p.deviceId, err: toError(err).message });
      }
    }
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
    // Only a shared store may queue the reading (the evaluator's input is overwritten by the next one): it keeps a copy.
    const kept: number[] | undefined = this.shared ? [] : undefined;
    const metrics = reading.metrics;
    if (metrics) {
      for (const m of metrics) {
        const spec = metricOfValue(profile, m);
        const v = metricValueOf(m);
        if (!spec || v === null) return this.rejected('unknown-metric', { gatewayId, deviceId, metric: m.name ?? m.index });
        const index = m.index ? m.index - 1 : profile.metrics.indexOf(spec);
        const value = typeof v === 'boolean' ? (v ? 1 : 0) : v;
        ev.addInput(index, value);
        kept?.push(index, value);
      }
    }
    const district = this.o.districtOf?.(deviceId) ?? reading.district ?? '';
    const profileVersion = reading.profileVersion ?? profile.version;
    if (kept && this.mustQueue(deviceId)) {
      this.evaluateQueued({ deviceId, gatewayId, district, profile, profileVersion, timestampMs, inputs: kept });
      return undefined;
    }
    try {
      const transitions = this.evaluateOnly(gatewayId, deviceId, district, profile, profileVersion, timestampMs);
      if (typeof transitions === 'string') return transitions;
      if (transitions.length > 0) {
        if (this.batch) this.batch.push({ gatewayId, deviceId, transitions });
        else void this.applyAll(transitions);
      }
      if (!this.batch) this.countEvaluated();
      return undefined;
    } catch (err) {
      // A store failure must not kill the consumer; the reading is counted as dropped.
      return this.rejected('store-failed', { gatewayId, deviceId, err: (err as Error).message });
    }
  }

  /** Evaluates the metrics given to the evaluator (`beginInput` / `addInput`); the transitions, or why the reading was dropped. */
  private evaluateOnly(gatewayId: string, deviceId: string, district: string, profile: DeviceProfile, profileVersion: number, timestampMs: number): readonly AlarmTransition[] | RejectReason {
    const started = performance.now();
    try {
      const result = this.evaluator.evaluateInput(deviceId, gatewayId, district, profile, profileVersion, timestampMs);
      if (result.skipped === 'stale-reading') return this.rejected('stale-reading', { gatewayId, deviceId, timestampMs });
      if (result.skipped) return this.rejected('unknown-profile', { gatewayId, deviceId });
      this.counters.readingsEvaluated += 1;
      this.uncounted += 1;
      return result.transitions;
    } finally {
      this.o.metrics.evaluationSeconds.observe((performance.now() - started) / 1000);
    }
  }

  // --- a store shared by several rules services (PostgreSQL) ---
  //
  // A device's gateway moves to another service when one dies or joins (the
  // shared subscription rehashes). The service that gets it then has no state
  // for it, or an old one, while the other may have raised an alarm meanwhile.
  // So a device not seen here for ADOPT_AFTER_MS is adopted first: its latest
  // checkpoint (written within a tick by whoever had it) and its open alarms
  // are read from the store before its reading is evaluated. Readings behind
  // an adoption wait in the lane, in order.

  /** Devices seen here, with when (wall time): only kept with a shared store. */
  private readonly seenAt = new Map<string, number>();

  private mustQueue(deviceId: string): boolean {
    if (this.lane !== undefined || this.needsAdoption(deviceId)) return true;
    this.seenAt.set(deviceId, this.o.clock.now());
    return false;
  }

  private needsAdoption(deviceId: string): boolean {
    const seen = this.seenAt.get(deviceId);
    return seen === undefined || this.o.clock.now() - seen > ADOPT_AFTER_MS;
  }

  private evaluateQueued(input: QueuedReading): void {
    const lane: Promise<void> = (this.lane ?? Promise.resolve()).then(async () => {
      if (this.needsAdoption(input.deviceId)) await this.untilStored(() => this.adopt(input.deviceId), { deviceId: input.deviceId, step: 'adopt' });
      this.seenAt.set(input.deviceId, this.o.clock.now());
      // Given and evaluated in one synchronous run: no other reading's input comes in between.
      const ev = this.evaluator;
      ev.beginInput();
      const inputs = input.inputs;
      for (let i = 0; i + 1 < inputs.length; i += 2) ev.addInput(inputs[i] ?? 0, inputs[i + 1] ?? Number.NaN);
      const transitions = this.evaluateOnly(input.gatewayId, input.deviceId, input.district, input.profile, input.profileVersion, input.timestampMs);
      this.countEvaluated();
      if (typeof transitions === 'string' || transitions.length === 0) return;
      for (const t of transitions) await this.applyUntilStored(t);
      this.o.onStored?.();
    }).finally(() => {
      if (this.lane === lane) this.lane = undefined;
    });
    this.lane = lane;
  }

  private async adopt(deviceId: string): Promise<void> {
    const [state, open] = await Promise.all([this.o.store.deviceState(deviceId), this.o.store.openAlarmsOfDevice(deviceId)]);
    if (state !== undefined) this.evaluator.restore(deviceId, state);
    // The store is the judge of what is open: a checkpoint a tick older than a clear must not keep the rule active here.
    const openRules = new Set(open.map((a) => a.ruleId));
    for (const [ruleId, rs] of this.evaluator.device(deviceId)?.rules ?? []) if (rs.phase === 2 && !openRules.has(ruleId)) this.evaluator.reset(deviceId, ruleId);
    for (const ruleId of openRules) this.evaluator.markActive(deviceId, ruleId);
  }

  private rejected(reason: RejectReason, detail: Record<string, unknown>): RejectReason {
    this.reject(reason, detail);
    return reason;
  }

  /**
   * Stores the alarm changes of transitions (a tick's no-data ones, a reading
   * outside a batch). With the store's writer thread they go behind the
   * batches posted before them (one device's changes reach the database in
   * evaluation order: a tick's fire never overtakes a batch's clear), each
   * transition a savepoint of its own; the Promise says when they are durable.
   * Without it a synchronous store (SQLite) stores them now; an asynchronous
   * one (PostgreSQL) queues them behind the changes still in flight, so one
   * device's changes commit in reading order. `pending()` is what an MQTT
   * batch's PUBACK waits for.
   */
  applyAll(transitions: readonly AlarmTransition[]): void | Promise<void> {
    if (transitions.length === 0) return;
    const writer = this.lane === undefined && this.o.store.kind === 'sqlite' ? this.writer() : undefined;
    if (writer) {
      const each = transitions.map((t) => ({ gatewayId: t.gatewayId, deviceId: t.deviceId, transitions: [t] }));
      return this.answer(this.written(writer, each), each);
    }
    if (this.lane === undefined && this.o.store.kind === 'sqlite') {
      for (const t of transitions) this.applyOne(t);
      this.o.onStored?.();
      return;
    }
    const lane: Promise<void> = (this.lane ?? Promise.resolve()).then(async () => {
      for (const t of transitions) await this.applyUntilStored(t);
      this.o.onStored?.();
    }).finally(() => {
      if (this.lane === lane) this.lane = undefined;
    });
    this.lane = lane;
    return lane;
  }

  private applyOne(t: AlarmTransition): Maybe<unknown> {
    if (t.mode !== 'shadow') return this.alarms.apply(t);
    this.counters.shadowTransitions += 1;
    this.o.metrics.shadow.inc({ rule: t.rule.id, kind: t.kind });
    return this.alarms.recordShadow(t);
  }

  /**
   * The evaluator has moved on, so a change must not be dropped while the
   * database is away (restarting, failing over): it is tried again until
   * stored, holding the PUBACKs of its batch and those after it. Only a
   * change the database refuses for good (a bug) is counted and dropped.
   */
  private applyUntilStored(t: AlarmTransition): Promise<void> {
    return this.untilStored(() => this.applyOne(t), { deviceId: t.deviceId, ruleId: t.rule.id });
  }

  private async untilStored(work: () => Maybe<unknown>, detail: Record<string, unknown>): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await work();
        return;
      } catch (err) {
        if (this.stopping || !isTzError(err, 'TZ_STORE_UNAVAILABLE')) {
          this.reject('store-failed', { ...detail, err: toError(err).message });
          if (this.stopping) throw err;
          return;
        }
        const waitMs = Math.min(5_000, 100 * 2 ** Math.min(attempt, 6));
        this.o.log.warn({ ...detail, attempt: attempt + 1, retryInMs: waitMs, err: err.message }, 'rules: alarm change not stored yet (database away), retrying');
        await new Promise((resolve) => setTimeout(resolve, waitMs));
      }
    }
  }

  /** Alarm changes still being stored (asynchronous store) or committed by the writer thread (SQLite), or undefined when all are. */
  pending(): Promise<void> | undefined {
    const lane = this.lane;
    const writing = this.writing;
    return lane && writing ? Promise.all([lane, writing]).then(() => undefined) : (lane ?? writing);
  }

  /** No more retries: what is in flight fails (its batch is not acknowledged and comes again). */
  stop(): void {
    this.stopping = true;
  }

  /** Timers (wall time from the injected clock): no-data, escalation, release of suppressed alarms. */
  tick(): Maybe<void> {
    return runSteps(this.tickSteps());
  }

  private *tickSteps(): Steps<void> {
    const now = this.o.clock.now();
    const silences = this.o.silences;
    yield* step(this.applyAll(this.evaluator.sweepNoData(now)));
    const escalated = yield* step(this.alarms.escalate());
    const released = yield* step(this.alarms.releaseSuppressed((a) => (this.o.profiles.get(a.profile)?.reportIntervalSeconds ?? 60) * 1000));
    const unsilenced = silences ? yield* step(this.alarms.releaseSilenced((id) => silences.inForce(id))) : [];
    silences?.prune();
    if (escalated.length + released.length + unsilenced.length > 0) this.o.onStored?.();
  }

  /**
   * Writes every changed device state now, at once (on stop, and in tests); returns how many. With the writer
   * thread (or PostgreSQL) they are written off the loop: `checkpointWritten()` says when.
   */
  checkpoint(): number {
    // An asynchronous write still running: these states wait for the next run.
    if (this.checkpointing) return 0;
    this.saving = this.takeForSaving();
    this.savingAt = 0;
    const rows = this.serialised(Number.POSITIVE_INFINITY);
    this.saving = [];
    const count = rows.length;
    if (count === 0) return 0;
    const stop = this.o.metrics.checkpointSeconds.startTimer();
    const written = this.savedSlice(rows, false);
    if (written instanceof Promise) {
      const running: Promise<void> = written.then(() => undefined, (err: unknown) => {
        // Lost window state only: the next change of each device writes it again; alarms are not at stake.
        this.o.log.warn({ devices: count, err: toError(err).message }, 'rules: checkpoint not written');
      }).finally(() => {
        stop();
        if (this.checkpointing === running) this.checkpointing = undefined;
      });
      this.checkpointing = running;
    } else {
      stop();
    }
    return count;
  }

  /** What is left of a chunked write-behind plus what changed since, each device once. */
  private takeForSaving(): DeviceState[] {
    const left = this.saving.slice(this.savingAt).filter((d) => !d.dirty);
    this.saving = [];
    this.savingAt = 0;
    return left.concat(this.evaluator.takeDirty());
  }

  /** The next `take` devices taken for saving, serialised as they are now (the one serialiser of both ways to checkpoint). */
  private serialised(take: number): Array<[string, string]> {
    const rows: Array<[string, string]> = [];
    while (this.savingAt < this.saving.length && rows.length < take) {
      const d = this.saving[this.savingAt++];
      if (d) rows.push([d.deviceId, RuleEvaluator.snapshot(d)]);
    }
    return rows;
  }

  /**
   * Saves one slice of serialised states. With the store's writer thread (a SQLite file) it is posted there:
   * this connection would wait, on the event loop, for the writer's write lock and its fsync (busy_timeout sleeps
   * the loop); the answer is the thread's time for it (ms). The writer commits a slice after the alarm batches
   * posted before it (alarm-writer-worker.ts says why). When the thread died (or dies meanwhile) the slice is
   * written here instead. Without it: this store (SQLite: at once; PostgreSQL: a Promise).
   */
  private savedSlice(rows: Array<[string, string]>, relaxed: boolean): Maybe<number | void> {
    const now = this.o.clock.now();
    const writer = this.writer();
    if (writer === undefined) return this.o.store.saveDeviceStates(rows, now, relaxed);
    return writer.saveStates(rows, now, relaxed).catch((err: unknown) => {
      if (writer.running()) throw err;
      this.o.log.warn({ devices: rows.length, err: toError(err).message }, 'rules: checkpoint slice written on the event loop (the alarm writer thread is gone)');
      return this.o.store.saveDeviceStates(rows, now, relaxed);
    });
  }

  /**
   * The write-behind checkpoint of the devices changed since the last one,
   * in chunks of at most `sliceMs` of work, yielding to the event loop
   * between them: at 100,000 changed devices no single pause is long (one
   * transaction of all of them took seconds). Each slice is one transaction:
   * on the alarm writer thread when it runs, else on this connection; each
   * slice is saved before the next is serialised (on two cores, serialising
   * while the writer saved the last slice left the loop's slices preempted:
   * longest stall 17–30 ms against 18–20 ms one at a time).
   * A call while one runs joins it.
   */
  checkpointInSlices(sliceMs = 5): Promise<CheckpointRun> {
    if (this.saver) return this.saver;
    const writing = this.checkpointing;
    if (writing) return writing.then(() => this.checkpointInSlices(sliceMs));
    this.saving = this.takeForSaving();
    this.savingAt = 0;
    if (this.saving.length === 0) return Promise.resolve({ devices: 0, slices: 0, longestSliceMs: 0, longestSliceCpuMs: 0, longestSaveMs: 0 });
    const run = async (): Promise<CheckpointRun> => {
      const done: CheckpointRun = { devices: 0, slices: 0, longestSliceMs: 0, longestSliceCpuMs: 0, longestSaveMs: 0 };
      let unsynced = 0;
      while (this.savingAt < this.saving.length) {
        const began = performance.now();
        const cpu = threadCpuMs();
        const stop = this.o.metrics.checkpointSeconds.startTimer();
        // As many devices as the last slices' cost per device says fit in `sliceMs` (serialising, and saving wherever that runs).
        const rows = this.serialised(Math.max(16, Math.floor(sliceMs / this.msPerSave)));
        // A slice commits without waiting for the disk unless it ends the run or ~2,000 devices (~0.6 MB) wait
        // unsynced: its fsync makes them durable too, and flushing a bounded amount keeps that pause short.
        unsynced += rows.length;
        const relaxed = this.savingAt < this.saving.length && unsynced < 2048;
        if (!relaxed) unsynced = 0;
        const saved = this.savedSlice(rows, relaxed);
        const cpuUsed = threadCpuMs() - cpu;
        const loopMs = performance.now() - began;
        done.devices += rows.length;
        done.slices += 1;
        done.longestSliceMs = Math.max(done.longestSliceMs, loopMs);
        done.longestSliceCpuMs = Math.max(done.longestSliceCpuMs, cpuUsed);
        const learn = (ms: number) => { this.msPerSave = Math.min(1, Math.max(0.001, 0.5 * this.msPerSave + 0.5 * (ms / rows.length))); };
        if (saved instanceof Promise) {
          const posted = performance.now();
          // Off the loop (writer thread: its transaction's time; PostgreSQL: the round trip): slices are sized by the slower side,
          // leaving out a synced slice's save (the fsync says nothing about the next slices; the loop's part is still told).
          // Saved before the next slice is serialised (a failure ends the run).
          await saved.then((threadMs) => {
            const saveMs = typeof threadMs === 'number' ? threadMs : performance.now() - posted;
            done.longestSaveMs = Math.max(done.longestSaveMs, saveMs);
            learn(Math.max(loopMs, relaxed ? saveMs : 0));
          }).finally(stop);
        } else {
          stop();
          // Here a synced slice's time is mostly its fsync: it says nothing about the next run's slices.
          if (relaxed) learn(loopMs);
        }
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
      this.saving = [];
      this.savingAt = 0;
      return done;
    };
    this.saver = run().finally(() => { this.saver = undefined; });
    return this.saver;
  }

  /** Resolves when the running checkpoint is written: a sliced run, or an asynchronous store's write (undefined: none runs). */
  checkpointWritten(): Promise<void> | undefined {
    const saver = this.saver;
    const writing = this.checkpointing;
    if (saver && writing) return Promise.all([saver, writing]).then(() => undefined);
    return saver ? saver.then(() => undefined) : writing;
  }

  acknowledge(id: number, who: string, note?: string): Maybe<AlarmRecord> {
    return this.after(this.alarms.acknowledge(id, who, note), () => this.o.onStored?.());
  }

  closeByCase(alarmIds: readonly number[], caseId: string, by: string, note?: string): Maybe<AlarmRecord[]> {
    return this.after(this.alarms.closeByCase(alarmIds, caseId, by, note), (closed) => {
      for (const a of closed) this.evaluator.reset(a.deviceId, a.ruleId);
      if (closed.length > 0) this.o.onStored?.();
    });
  }

  /** After a rule was deleted or disabled: its open alarms are cleared, its states forgotten. */
  retireRule(ruleId: string, who: string): Maybe<AlarmRecord[]> {
    // A fire of the rule evaluated before the change may still be with the writer thread: it lands first (the
    // writer answers in order, and batches evaluated after the change cannot fire the rule), then is cleared with the others.
    const inFlight = this.writing;
    if (inFlight) return inFlight.catch(() => undefined).then(() => this.retired(ruleId, who));
    return this.retired(ruleId, who);
  }

  private retired(ruleId: string, who: string): Maybe<AlarmRecord[]> {
    return this.after(this.alarms.clearRule(ruleId, `rule change by ${who}`), (cleared) => {
      for (const a of cleared) this.evaluator.reset(a.deviceId, a.ruleId);
      if (cleared.length > 0) this.o.onStored?.();
    });
  }

  private after<T, R>(result: Maybe<T>, then: (value: T) => R): Maybe<T> {
    if (result instanceof Promise) return result.then((v) => { then(v); return v; });
    then(result);
    return result;
  }
}
