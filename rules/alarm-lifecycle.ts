import { randomUUID } from 'node:crypto';
import type { AlarmEvent } from '../proto/index.ts';
import { TzError, type Clock } from '../service-kit/index.ts';
import type { AlarmTransition } from './evaluator.ts';
import type { AlarmRecord, SqliteRulesStore } from './sqlite-store.ts';
import { alarmEvent } from './views.ts';

// Alarm lifecycle: active → acknowledged → cleared (or closed by its case),
// with who and when; one open alarm per (rule, device), repeats update it.
// Each change and its outbox rows are one SQLite transaction, so an event is
// delivered (at least once) exactly when the change is stored.

export const ENGINE_ACTOR = 'rules-engine';
export const GATEWAY_RULE_ID = 'gateway-offline';

export type AlarmEventType = AlarmEvent['type'];

export interface LifecycleDeps {
  store: SqliteRulesStore;
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

export class AlarmLifecycle {
  constructor(private readonly d: LifecycleDeps) {}

  /** Writes the event into the outbox (unless the alarm is suppressed) and reports it. */
  private emit(type: AlarmEventType, alarm: AlarmRecord, now: number, force = false): void {
    // Suppressed (gateway down) and silenced (maintenance) alarms are stored, not delivered: no case, no alert.
    const deliver = force || (alarm.suppressedBy === null && alarm.silencedBy === null);
    if (deliver) {
      const eventId = randomUUID();
      this.d.store.enqueue(eventId, this.d.sinks(), JSON.stringify(alarmEvent(eventId, type, now, alarm)), now);
    }
    this.d.onEvent(type, alarm, deliver);
  }

  /** Applies one live transition atomically; the changed alarm, or undefined when nothing changed. */
  apply(t: AlarmTransition): AlarmRecord | undefined {
    const { store } = this.d;
    const now = this.d.clock.now();
    const latest = t.evidence[t.evidence.length - 1]?.values ?? {};
    return store.transaction(() => {
      const open = store.findOpenAlarm(t.rule.id, t.deviceId);
      if (t.kind === 'fire' || t.kind === 'update') {
        if (open) {
          // A repeat is never a new alarm (also when a restart raced the evaluator).
          const updated = store.recordRepeat(open.id, t.timestampMs, latest, t.flapping, now);
          this.emit('updated', updated, now);
          return updated;
        }
        if (t.kind === 'update') return undefined;
        const suppressedBy = t.noData ? this.d.gatewayAlarmOf(t.gatewayId) : null;
        const silencedBy = this.d.silenceOf?.({ ruleId: t.rule.id, deviceId: t.deviceId, district: t.district }) ?? null;
        let alarm = store.insertAlarm({
          ruleId: t.rule.id, ruleName: t.rule.name, severity: t.severity, deviceId: t.deviceId, gatewayId: t.gatewayId, district: t.district,
          profile: t.profile, raisedAt: t.timestampMs, lastSeenAt: t.timestampMs, flapping: t.flapping, noData: t.noData,
          caseSpec: t.rule.spec.case ?? null, escalate: t.escalate, lastValues: latest, evidence: t.evidence, createdAt: now, suppressedBy, silencedBy,
        });
        alarm = this.joinIncident(alarm, now);
        this.emit('raised', alarm, now);
        return alarm;
      }
      if (!open) return undefined;
      const cleared = store.updateAlarm(open.id, { state: 'cleared', cleared_at: t.timestampMs, cleared_by: ENGINE_ACTOR, last_values: JSON.stringify(latest) }, now);
      this.leaveIncident(cleared, now);
      this.emit('cleared', cleared, now);
      return cleared;
    });
  }

  /** Several open alarms on one asset (device) form one incident. */
  private joinIncident(alarm: AlarmRecord, now: number): AlarmRecord {
    const { store } = this.d;
    // The device's first open alarm (the common case) needs no incident: an open incident always has an open alarm.
    const others = store.openAlarmsOfDevice(alarm.deviceId).filter((a) => a.id !== alarm.id);
    if (others.length === 0) return alarm;
    let incident = store.openIncident(alarm.deviceId);
    if (incident === undefined) {
      incident = store.createIncident(alarm.deviceId, now);
      for (const o of others) this.emit('updated', store.updateAlarm(o.id, { incident_id: incident }, now), now);
    }
    return store.updateAlarm(alarm.id, { incident_id: incident }, now);
  }

  private leaveIncident(alarm: AlarmRecord, now: number): void {
    if (alarm.incidentId === null) return;
    // An incident is one device's: its open alarms (device index) say whether it is still open, no scan of every open alarm.
    const stillOpen = this.d.store.openAlarmsOfDevice(alarm.deviceId).some((a) => a.incidentId === alarm.incidentId);
    if (!stillOpen) this.d.store.closeIncident(alarm.incidentId, now);
  }

  /** A transition of a rule in shadow mode: recorded, never raised. */
  recordShadow(t: AlarmTransition): void {
    const latest = t.evidence[t.evidence.length - 1]?.values ?? {};
    this.d.store.recordShadow(t.rule.id, t.deviceId, t.kind, t.timestampMs, t.severity, latest, this.d.clock.now());
  }

  /** An operator or dispatcher takes note; escalated severity steps back down to the rule's own. */
  acknowledge(id: number, who: string, note?: string): AlarmRecord {
    const now = this.d.clock.now();
    return this.d.store.transaction(() => {
      const before = this.d.store.getAlarm(id);
      if (!before) throw new TzError('TZ_ALARM_NOT_FOUND', `no alarm ${id}`);
      if (before.state !== 'active') throw new TzError('TZ_ALARM_STATE', `alarm ${id} is ${before.state}; only an active alarm can be acknowledged`);
      const after = this.d.store.updateAlarm(id, { state: 'acknowledged', acknowledged_at: now, acknowledged_by: who, ack_note: note ?? null, severity: before.baseSeverity, escalation_level: 0 }, now);
      this.emit('acknowledged', after, now);
      return after;
    });
  }

  /** Severity steps up while an alarm stays unacknowledged (wall time since it was raised). */
  escalate(): AlarmRecord[] {
    const now = this.d.clock.now();
    const changed: AlarmRecord[] = [];
    for (const a of this.d.store.openAlarms()) {
      if (a.state !== 'active' || a.escalate.length === 0) continue;
      const level = a.escalate.filter((e) => now - a.createdAt >= e.afterMs).length;
      if (level <= a.escalationLevel) continue;
      changed.push(this.d.store.transaction(() => {
        const after = this.d.store.updateAlarm(a.id, { severity: a.escalate[level - 1]!.severity, escalation_level: level }, now);
        this.emit('escalated', after, now);
        return after;
      }));
    }
    return changed;
  }

  /** Closing a case closes its alarms (terminal); returns those that changed. */
  closeByCase(alarmIds: readonly number[], caseId: string, by: string, note?: string): AlarmRecord[] {
    const now = this.d.clock.now();
    return this.d.store.transaction(() => {
      const closed: AlarmRecord[] = [];
      for (const id of alarmIds) {
        const a = this.d.store.getAlarm(id);
        if (!a || a.state === 'closed') continue;
        const after = this.d.store.updateAlarm(id, { state: 'closed', closed_at: now, closed_by: by, close_note: note ?? null, case_id: caseId }, now);
        this.leaveIncident(after, now);
        this.emit('closed', after, now, true);
        closed.push(after);
      }
      return closed;
    });
  }

  /** Clears the open alarms of a rule that was deleted or disabled. */
  clearRule(ruleId: string, who: string): AlarmRecord[] {
    const now = this.d.clock.now();
    return this.d.store.transaction(() => this.d.store.listAlarms({ ruleId, state: 'open', limit: 1_000_000 }).map((a) => {
      const after = this.d.store.updateAlarm(a.id, { state: 'cleared', cleared_at: now, cleared_by: who }, now);
      this.leaveIncident(after, now);
      this.emit('cleared', after, now);
      return after;
    }));
  }

  // --- topology: gateway offline → one alarm; its devices' no-data alarms are suppressed and linked to it ---

  gatewayOffline(gatewayId: string, at: number): AlarmRecord {
    const now = this.d.clock.now();
    return this.d.store.transaction(() => {
      const open = this.d.store.findOpenAlarm(GATEWAY_RULE_ID, gatewayId);
      if (open) return open;
      const alarm = this.d.store.insertAlarm({
        ruleId: GATEWAY_RULE_ID, ruleName: 'Gateway offline', severity: 'critical', deviceId: gatewayId, gatewayId, district: '', profile: 'gateway',
        raisedAt: at, lastSeenAt: at, flapping: false, noData: true, caseSpec: { category: 'iot-terminal', priority: 'high' }, escalate: [],
        lastValues: {}, evidence: [{ timestampMs: at, values: {} }], createdAt: now, suppressedBy: null,
      });
      this.emit('raised', alarm, now);
      for (const a of this.d.store.openAlarms()) {
        if (!a.noData || a.gatewayId !== gatewayId || a.suppressedBy !== null || a.id === alarm.id) continue;
        // Consumers learn that this alarm now has one cause upstream.
        // (A silenced alarm stays unheard of: its consumers never got it.)
        this.emit('updated', this.d.store.updateAlarm(a.id, { suppressed_by: alarm.id }, now), now, a.silencedBy === null);
      }
      return alarm;
    });
  }

  gatewayOnline(gatewayId: string, at: number): AlarmRecord | undefined {
    const now = this.d.clock.now();
    return this.d.store.transaction(() => {
      const open = this.d.store.findOpenAlarm(GATEWAY_RULE_ID, gatewayId);
      if (!open) return undefined;
      const cleared = this.d.store.updateAlarm(open.id, { state: 'cleared', cleared_at: at, cleared_by: ENGINE_ACTOR }, now);
      this.emit('cleared', cleared, now);
      return cleared;
    });
  }

  /**
   * A silenced alarm still open when its silence is over (ended, expired,
   * deleted) is released: its consumers never heard of it, so it is raised.
   */
  releaseSilenced(inForce: (silenceId: number) => boolean): AlarmRecord[] {
    const now = this.d.clock.now();
    const released: AlarmRecord[] = [];
    for (const a of this.d.store.listAlarms({ state: 'open', silenced: true, limit: 100_000 })) {
      if (inForce(a.silencedBy!)) continue;
      released.push(this.d.store.transaction(() => {
        const after = this.d.store.updateAlarm(a.id, { silenced_by: null }, now);
        this.emit('raised', after, now);
        return after;
      }));
    }
    return released;
  }

  /**
   * A suppressed no-data alarm whose gateway is back but whose device still
   * says nothing after `graceMs` is the device's own problem: it is released.
   */
  releaseSuppressed(graceMsOf: (a: AlarmRecord) => number): AlarmRecord[] {
    const now = this.d.clock.now();
    const released: AlarmRecord[] = [];
    for (const a of this.d.store.listAlarms({ state: 'open', suppressed: true, limit: 100_000 })) {
      const gw = this.d.store.getAlarm(a.suppressedBy!);
      if (!gw || gw.state === 'active' || gw.state === 'acknowledged') continue;
      if (now - gw.updatedAt < graceMsOf(a)) continue;
      released.push(this.d.store.transaction(() => {
        const after = this.d.store.updateAlarm(a.id, { suppressed_by: null }, now);
        // Raised during the outage: its consumers never heard of it.
        this.emit(a.createdAt >= gw.createdAt ? 'raised' : 'updated', after, now);
        return after;
      }));
    }
    return released;
  }
}
