import { randomUUID } from 'node:crypto';
import type { AlarmEvent } from '../proto/index.ts';
import { TzError, type Clock } from '../service-kit/index.ts';
import type { RuleSpec } from '../device-profiles/index.ts';
import type { AlarmTransition } from './evaluator.ts';
import { runSteps, step, type AlarmRecord, type Maybe, type RulesStore, type RulesTx, type Steps } from './rules-store.ts';
import { alarmEvent } from './views.ts';

// Alarm lifecycle: active → acknowledged → cleared (or closed by its case),
// with who and when; one open alarm per (rule, device), repeats update it.
// Each change and its outbox rows are one transaction, so an event is
// delivered (at least once) exactly when the change is stored. Written once as
// steps (rules-store.ts): synchronous on SQLite, awaited on PostgreSQL; the
// counters and logs (`onEvent`) run after COMMIT, once, even when a
// PostgreSQL transaction had to run again.

export const ENGINE_ACTOR = 'rules-engine';
export const GATEWAY_RULE_ID = 'gateway-offline';

export type AlarmEventType = AlarmEvent['type'];

export interface LifecycleDeps {
  store: RulesStore;
  clock: Clock;
  /** Names of the outbox sinks (MQTT and the injected alarm sinks). */
  sinks: () => readonly string[];
  /** Called after each stored change (counters, metrics, logs); `delivered` false when suppressed. */
  onEvent: (type: AlarmEventType, alarm: AlarmRecord, delivered: boolean) => void;
  /** Open gateway-offline alarm of a gateway, if it is offline. */
  gatewayAlarmOf: (gatewayId: string) => number | null;
  /** The silence in force that covers a newly raised alarm, or null (silences.ts). */
  silenceOf?: (subject: { ruleId: string; deviceId: string; district: string }) => number | null;
}

/** One stored change as reported to `onEvent`: type, the alarm after it, delivered (false: suppressed or silenced). */
export type EmittedEvent = [AlarmEventType, AlarmRecord, boolean];
type Emitted = EmittedEvent[];

/**
 * What the lifecycle reads of a transition: plain data (of the rule only its
 * id, name and case), so the alarm writer thread can apply one posted to it
 * (alarm-writer.ts); an evaluator's `AlarmTransition` is one.
 */
export type TransitionData = Pick<AlarmTransition, 'kind' | 'mode' | 'severity' | 'escalate' | 'deviceId' | 'gatewayId' | 'district' | 'profile' | 'timestampMs' | 'evidence' | 'flapping' | 'noData'>
  & { rule: { id: string; name: string; spec: Pick<RuleSpec, 'case'> } };

export class AlarmLifecycle {
  constructor(private readonly d: LifecycleDeps) {}

  /** One transaction; its events are reported once it committed. */
  private run<T>(work: (tx: RulesTx, out: Emitted) => Steps<T>): Maybe<T> {
    let out: Emitted = [];
    const result = this.d.store.transaction((tx) => {
      out = [];
      return work(tx, out);
    });
    const report = (value: T): T => {
      for (const [type, alarm, delivered] of out) this.d.onEvent(type, alarm, delivered);
      return value;
    };
    return result instanceof Promise ? result.then(report) : report(result);
  }

  /** Writes the event into the outbox (unless the alarm is suppressed) and notes it for reporting. */
  private *emit(tx: RulesTx, out: Emitted, type: AlarmEventType, alarm: AlarmRecord, now: number, force = false): Steps<void> {
    // Suppressed (gateway down) and silenced (maintenance) alarms are stored, not delivered: no case, no alert.
    const deliver = force || (alarm.suppressedBy === null && alarm.silencedBy === null);
    if (deliver) {
      const eventId = randomUUID();
      yield* step(tx.enqueue(eventId, this.d.sinks(), JSON.stringify(alarmEvent(eventId, type, now, alarm)), now));
    }
    out.push([type, alarm, deliver]);
  }

  /** Applies one live transition atomically; the changed alarm, or undefined when nothing changed. */
  apply(t: TransitionData): Maybe<AlarmRecord | undefined> {
    const now = this.d.clock.now();
    const latest = t.evidence[t.evidence.length - 1]?.values ?? {};
    return this.run((tx, out) => this.applySteps(tx, out, t, now, latest));
  }

  private *applySteps(tx: RulesTx, out: Emitted, t: TransitionData, now: number, latest: AlarmRecord['lastValues']): Steps<AlarmRecord | undefined> {
    yield* step(tx.lockSubject(t.deviceId));
    const open = yield* step(tx.findOpenAlarm(t.rule.id, t.deviceId));
    if (t.kind === 'fire' || t.kind === 'update') {
      if (open) {
        // A repeat is never a new alarm (also when a restart raced the evaluator).
        const updated = yield* step(tx.recordRepeat(open.id, t.timestampMs, latest, t.flapping, now));
        yield* this.emit(tx, out, 'updated', updated, now);
        return updated;
      }
      if (t.kind === 'update') return undefined;
      // The reading that raised an alarm, delivered again after a crash before its PUBACK
      // (the evaluator's checkpoint is up to a tick old), raises nothing a second time.
      if (yield* step(tx.findRaisedAlarm(t.rule.id, t.deviceId, t.timestampMs))) return undefined;
      const suppressedBy = t.noData ? this.d.gatewayAlarmOf(t.gatewayId) : null;
      const silencedBy = this.d.silenceOf?.({ ruleId: t.rule.id, deviceId: t.deviceId, district: t.district }) ?? null;
      let alarm = yield* step(tx.insertAlarm({
        ruleId: t.rule.id, ruleName: t.rule.name, severity: t.severity, deviceId: t.deviceId, gatewayId: t.gatewayId, district: t.district,
        profile: t.profile, raisedAt: t.timestampMs, lastSeenAt: t.timestampMs, flapping: t.flapping, noData: t.noData,
        caseSpec: t.rule.spec.case ?? null, escalate: t.escalate, lastValues: latest, evidence: t.evidence, createdAt: now, suppressedBy, silencedBy,
      }));
      alarm = yield* this.joinIncident(tx, out, alarm, now);
      yield* this.emit(tx, out, 'raised', alarm, now);
      return alarm;
    }
    if (!open) return undefined;
    const cleared = yield* step(tx.updateAlarm(open.id, { state: 'cleared', cleared_at: t.timestampMs, cleared_by: ENGINE_ACTOR, last_values: JSON.stringify(latest) }, now));
    yield* this.leaveIncident(tx, cleared, now);
    yield* this.emit(tx, out, 'cleared', cleared, now);
    return cleared;
  }

  /** Several open alarms on one asset (device) form one incident. */
  private *joinIncident(tx: RulesTx, out: Emitted, alarm: AlarmRecord, now: number): Steps<AlarmRecord> {
    // The device's first open alarm (the common case) needs no incident: an open incident always has an open alarm.
    const others = (yield* step(tx.openAlarmsOfDevice(alarm.deviceId))).filter((a) => a.id !== alarm.id);
    if (others.length === 0) return alarm;
    let incident = yield* step(tx.openIncident(alarm.deviceId));
    if (incident === undefined) {
      incident = yield* step(tx.createIncident(alarm.deviceId, now));
      for (const o of others) yield* this.emit(tx, out, 'updated', yield* step(tx.updateAlarm(o.id, { incident_id: incident }, now)), now);
    }
    return yield* step(tx.updateAlarm(alarm.id, { incident_id: incident }, now));
  }

  private *leaveIncident(tx: RulesTx, alarm: AlarmRecord, now: number): Steps<void> {
    if (alarm.incidentId === null) return;
    // An incident is one device's: its open alarms (device index) say whether it is still open, no scan of every open alarm.
    const stillOpen = (yield* step(tx.openAlarmsOfDevice(alarm.deviceId))).some((a) => a.incidentId === alarm.incidentId);
    if (!stillOpen) yield* step(tx.closeIncident(alarm.incidentId, now));
  }

  /** A transition of a rule in shadow mode: recorded, never raised. */
  recordShadow(t: TransitionData): Maybe<void> {
    const latest = t.evidence[t.evidence.length - 1]?.values ?? {};
    return this.d.store.recordShadow(t.rule.id, t.deviceId, t.kind, t.timestampMs, t.severity, latest, this.d.clock.now());
  }

  /** An operator or dispatcher takes note; escalated severity steps back down to the rule's own. */
  acknowledge(id: number, who: string, note?: string): Maybe<AlarmRecord> {
    const now = this.d.clock.now();
    const lifecycle = this;
    return this.run(function* (tx, out) {
      const before = yield* lifecycle.lockedAlarm(tx, id);
      if (!before) throw new TzError('TZ_ALARM_NOT_FOUND', `no alarm ${id}`);
      if (before.state !== 'active') throw new TzError('TZ_ALARM_STATE', `alarm ${id} is ${before.state}; only an active alarm can be acknowledged`);
      const after = yield* step(tx.updateAlarm(id, { state: 'acknowledged', acknowledged_at: now, acknowledged_by: who, ack_note: note ?? null, severity: before.baseSeverity, escalation_level: 0 }, now));
      yield* lifecycle.emit(tx, out, 'acknowledged', after, now);
      return after;
    });
  }

  /** An alarm read under its device's lock: what another writer committed before is seen, nothing changes it until COMMIT. */
  private *lockedAlarm(tx: RulesTx, id: number): Steps<AlarmRecord | undefined> {
    const first = yield* step(tx.getAlarm(id));
    if (!first) return undefined;
    yield* step(tx.lockSubject(first.deviceId));
    return yield* step(tx.getAlarm(id));
  }

  /** Severity steps up while an alarm stays unacknowledged (wall time since it was raised). */
  escalate(): Maybe<AlarmRecord[]> {
    const now = this.d.clock.now();
    const lifecycle = this;
    const levelOf = (a: AlarmRecord) => a.escalate.filter((e) => now - a.createdAt >= e.afterMs).length;
    return runSteps((function* (): Steps<AlarmRecord[]> {
      const changed: AlarmRecord[] = [];
      for (const a of yield* step(lifecycle.d.store.openAlarms())) {
        if (a.state !== 'active' || a.escalate.length === 0 || levelOf(a) <= a.escalationLevel) continue;
        const after = yield* step(lifecycle.run(function* (tx, out) {
          // Read again under the lock: another rules service (or this one's readings) may have changed it meanwhile.
          const now2 = yield* lifecycle.lockedAlarm(tx, a.id);
          if (!now2 || now2.state !== 'active') return undefined;
          const level = levelOf(now2);
          const target = now2.escalate[level - 1];
          if (level <= now2.escalationLevel || !target) return undefined;
          const updated = yield* step(tx.updateAlarm(a.id, { severity: target.severity, escalation_level: level }, now));
          yield* lifecycle.emit(tx, out, 'escalated', updated, now);
          return updated;
        }));
        if (after) changed.push(after);
      }
      return changed;
    })());
  }

  /** Closing a case closes its alarms (terminal); returns those that changed. */
  closeByCase(alarmIds: readonly number[], caseId: string, by: string, note?: string): Maybe<AlarmRecord[]> {
    const now = this.d.clock.now();
    const lifecycle = this;
    return this.run(function* (tx, out) {
      const closed: AlarmRecord[] = [];
      for (const id of alarmIds) {
        const a = yield* lifecycle.lockedAlarm(tx, id);
        if (!a || a.state === 'closed') continue;
        const after = yield* step(tx.updateAlarm(id, { state: 'closed', closed_at: now, closed_by: by, close_note: note ?? null, case_id: caseId }, now));
        yield* lifecycle.leaveIncident(tx, after, now);
        yield* lifecycle.emit(tx, out, 'closed', after, now, true);
        closed.push(after);
      }
      return closed;
    });
  }

  /** Clears the open alarms of a rule that was deleted or disabled. */
  clearRule(ruleId: string, who: string): Maybe<AlarmRecord[]> {
    const now = this.d.clock.now();
    const lifecycle = this;
    return this.run(function* (tx, out) {
      const cleared: AlarmRecord[] = [];
      for (const a of yield* step(tx.listAlarms({ ruleId, state: 'open', limit: 1_000_000 }))) {
        const after = yield* step(tx.updateAlarm(a.id, { state: 'cleared', cleared_at: now, cleared_by: who }, now));
        yield* lifecycle.leaveIncident(tx, after, now);
        yield* lifecycle.emit(tx, out, 'cleared', after, now);
        cleared.push(after);
      }
      return cleared;
    });
  }

  // --- topology: gateway offline → one alarm; its devices' no-data alarms are suppressed and linked to it ---

  gatewayOffline(gatewayId: string, at: number): Maybe<AlarmRecord> {
    const now = this.d.clock.now();
    const lifecycle = this;
    return this.run(function* (tx, out) {
      // Every rules service hears gateway events: under the lock, the second finds the first one's alarm.
      yield* step(tx.lockSubject(gatewayId));
      const open = yield* step(tx.findOpenAlarm(GATEWAY_RULE_ID, gatewayId));
      if (open) return open;
      const alarm = yield* step(tx.insertAlarm({
        ruleId: GATEWAY_RULE_ID, ruleName: 'Gateway offline', severity: 'critical', deviceId: gatewayId, gatewayId, district: '', profile: 'gateway',
        raisedAt: at, lastSeenAt: at, flapping: false, noData: true, caseSpec: { category: 'iot-terminal', priority: 'high' }, escalate: [],
        lastValues: {}, evidence: [{ timestampMs: at, values: {} }], createdAt: now, suppressedBy: null,
      }));
      yield* lifecycle.emit(tx, out, 'raised', alarm, now);
      for (const a of yield* step(tx.openAlarms())) {
        if (!a.noData || a.gatewayId !== gatewayId || a.suppressedBy !== null || a.id === alarm.id) continue;
        // Consumers learn that this alarm now has one cause upstream.
        // (A silenced alarm stays unheard of: its consumers never got it.)
        yield* lifecycle.emit(tx, out, 'updated', yield* step(tx.updateAlarm(a.id, { suppressed_by: alarm.id }, now)), now, a.silencedBy === null);
      }
      return alarm;
    });
  }

  gatewayOnline(gatewayId: string, at: number): Maybe<AlarmRecord | undefined> {
    const now = this.d.clock.now();
    const lifecycle = this;
    return this.run(function* (tx, out) {
      yield* step(tx.lockSubject(gatewayId));
      const open = yield* step(tx.findOpenAlarm(GATEWAY_RULE_ID, gatewayId));
      if (!open) return undefined;
      const cleared = yield* step(tx.updateAlarm(open.id, { state: 'cleared', cleared_at: at, cleared_by: ENGINE_ACTOR }, now));
      yield* lifecycle.emit(tx, out, 'cleared', cleared, now);
      return cleared;
    });
  }

  /**
   * A silenced alarm still open when its silence is over (ended, expired,
   * deleted) is released: its consumers never heard of it, so it is raised.
   */
  releaseSilenced(inForce: (silenceId: number) => boolean): Maybe<AlarmRecord[]> {
    const now = this.d.clock.now();
    const lifecycle = this;
    return runSteps((function* (): Steps<AlarmRecord[]> {
      const released: AlarmRecord[] = [];
      for (const a of yield* step(lifecycle.d.store.listAlarms({ state: 'open', silenced: true, limit: 100_000 }))) {
        if (a.silencedBy === null || inForce(a.silencedBy)) continue;
        const after = yield* step(lifecycle.run(function* (tx, out) {
          const current = yield* lifecycle.lockedAlarm(tx, a.id);
          if (!current || current.silencedBy === null || (current.state !== 'active' && current.state !== 'acknowledged')) return undefined;
          const updated = yield* step(tx.updateAlarm(a.id, { silenced_by: null }, now));
          yield* lifecycle.emit(tx, out, 'raised', updated, now);
          return updated;
        }));
        if (after) released.push(after);
      }
      return released;
    })());
  }

  /**
   * A suppressed no-data alarm whose gateway is back but whose device still
   * says nothing after `graceMs` is the device's own problem: it is released.
   */
  releaseSuppressed(graceMsOf: (a: AlarmRecord) => number): Maybe<AlarmRecord[]> {
    const now = this.d.clock.now();
    const lifecycle = this;
    const store = this.d.store;
    return runSteps((function* (): Steps<AlarmRecord[]> {
      const released: AlarmRecord[] = [];
      for (const a of yield* step(store.listAlarms({ state: 'open', suppressed: true, limit: 100_000 }))) {
        if (a.suppressedBy === null) continue;
        const gw = yield* step(store.getAlarm(a.suppressedBy));
        if (!gw || gw.state === 'active' || gw.state === 'acknowledged') continue;
        if (now - gw.updatedAt < graceMsOf(a)) continue;
        const after = yield* step(lifecycle.run(function* (tx, out) {
          const current = yield* lifecycle.lockedAlarm(tx, a.id);
          if (!current || current.suppressedBy === null || (current.state !== 'active' && current.state !== 'acknowledged')) return undefined;
          const updated = yield* step(tx.updateAlarm(a.id, { suppressed_by: null }, now));
          // Raised during the outage: its consumers never heard of it.
          yield* lifecycle.emit(tx, out, a.createdAt >= gw.createdAt ? 'raised' : 'updated', updated, now);
          return updated;
        }));
        if (after) released.push(after);
      }
      return released;
    })());
  }
}
