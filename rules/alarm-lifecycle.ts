import type { Clock } from '../service-kit/index.ts';
import type { AlarmRecord, CaseStore } from './case-store.ts';
import type { CaseOutcome, CaseWorkflow } from './case-workflow.ts';
import type { AlarmTransition, RuleEvaluator } from './evaluator.ts';

// Alarm lifecycle: active → acknowledged → cleared, one open alarm per
// (rule, device). Turns evaluator transitions into stored alarms and cases.

export type AlarmEventType = 'alarm.fired' | 'alarm.updated' | 'alarm.acknowledged' | 'alarm.cleared';

export interface AlarmEvent {
  type: AlarmEventType;
  /** Wall-clock time of the change. */
  at: number;
  alarm: AlarmRecord;
  /** The case the alarm belongs to, and whether this event opened it. */
  caseId: number | null;
  caseOpened: boolean;
}

export class AlarmLifecycle {
  constructor(
    private readonly store: CaseStore,
    private readonly cases: CaseWorkflow,
    private readonly clock: Clock,
  ) {}

  /** Tells the evaluator which alarms are open, so a restart neither loses nor re-raises them. */
  restoreInto(evaluator: RuleEvaluator): number {
    const open = this.store.openAlarms();
    for (const a of open) evaluator.restoreActive(a.deviceId, a.ruleId, a.lastSeenAt);
    return open.length;
  }

  /** Applies one transition atomically; undefined when there was nothing to apply. */
  apply(t: AlarmTransition): AlarmEvent | undefined {
    const now = this.clock.now();
    return this.store.transaction(() => {
      const open = this.store.findOpenAlarm(t.rule.id, t.deviceId);
      const latest = t.evidence[t.evidence.length - 1]?.values ?? {};
      if (t.kind === 'fire' || (t.kind === 'update' && !open)) {
        // A repeat is never a new alarm; a fire with one already open (a restart
        // raced the evaluator) becomes a repeat too.
        if (open) return this.event('alarm.updated', now, this.store.recordAlarmRepeat(open.id, t.timestampMs, latest, now));
        const alarm = this.store.insertAlarm({
          ruleId: t.rule.id, ruleName: t.rule.name, severity: t.rule.severity, deviceId: t.deviceId, gatewayId: t.gatewayId,
          district: t.district, profile: t.profile, raisedAt: t.timestampMs, lastSeenAt: t.timestampMs, lastValues: latest,
          evidence: t.evidence, createdAt: now,
        });
        const outcome: CaseOutcome | undefined = this.cases.onAlarmFired(alarm, t.rule, now);
        return this.event('alarm.fired', now, { ...alarm, caseId: outcome?.case.id ?? null }, outcome?.opened ?? false);
      }
      if (!open) return undefined;
      if (t.kind === 'update') return this.event('alarm.updated', now, this.store.recordAlarmRepeat(open.id, t.timestampMs, latest, now));
      const cleared = this.store.clearAlarm(open.id, t.timestampMs, latest, now);
      this.cases.onAlarmCleared(cleared, now);
      return this.event('alarm.cleared', now, cleared);
    });
  }

  /** An operator takes note of an alarm; it stays open until its rule clears it. */
  acknowledge(id: number, who: string): AlarmEvent | undefined {
    const now = this.clock.now();
    const before = this.store.getAlarm(id);
    if (!before || before.state !== 'active') return undefined;
    return this.event('alarm.acknowledged', now, this.store.acknowledgeAlarm(id, who, now));
  }

  private event(type: AlarmEventType, at: number, alarm: AlarmRecord, caseOpened = false): AlarmEvent {
    return { type, at, alarm, caseId: alarm.caseId, caseOpened };
  }
}
