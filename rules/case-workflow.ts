import type { RuleSpec } from '../device-profiles/index.ts';
import type { AlarmRecord, CasePriority, CaseRecord, CaseStore } from './case-store.ts';

// Work-order cases opened by sensors. This cut registers cases and absorbs
// further alarms of the same device; dispatch, SLA tracking and Open311 grow here.

/** Who the rules engine writes into the case audit trail. */
export const RULES_ENGINE_ACTOR = 'rules-engine';

/** Time to resolve a case, by priority (the one place this is defined). */
export const CASE_DUE_HOURS: Readonly<Record<CasePriority, number>> = { urgent: 2, high: 8, normal: 24, low: 72 };

export function dueAt(priority: CasePriority, createdAt: number): number {
  return createdAt + CASE_DUE_HOURS[priority] * 3_600_000;
}

export interface CaseOutcome {
  case: CaseRecord;
  /** true: a new case; false: the alarm joined the device's open case. */
  opened: boolean;
}

export class CaseWorkflow {
  constructor(private readonly store: CaseStore) {}

  /**
   * Called inside the transaction that inserted the alarm. Exactly one case
   * per fault: an alarm on a device with an open case joins that case.
   */
  onAlarmFired(alarm: AlarmRecord, rule: RuleSpec, now: number): CaseOutcome | undefined {
    if (!rule.case) return undefined;
    const open = this.store.findOpenCaseForDevice(alarm.deviceId);
    if (open) {
      this.store.linkAlarm(open.id, alarm.id, now);
      this.store.appendCaseEvent(open.id, now, RULES_ENGINE_ACTOR, 'alarm-absorbed', { alarmId: alarm.id, ruleId: alarm.ruleId, severity: alarm.severity });
      return { case: open, opened: false };
    }
    const created = this.store.insertCase({
      status: 'registered',
      category: rule.case.category,
      priority: rule.case.priority,
      title: rule.name,
      source: 'sensor',
      deviceId: alarm.deviceId,
      gatewayId: alarm.gatewayId,
      district: alarm.district,
      createdAt: now,
      dueAt: dueAt(rule.case.priority, now),
    });
    this.store.linkAlarm(created.id, alarm.id, now);
    this.store.appendCaseEvent(created.id, now, RULES_ENGINE_ACTOR, 'registered', {
      alarmId: alarm.id, ruleId: alarm.ruleId, category: created.category, priority: created.priority, dueAt: created.dueAt,
    });
    return { case: created, opened: true };
  }

  /** A cleared alarm does not close its case (a crew must verify the repair); it is noted in the audit trail. */
  onAlarmCleared(alarm: AlarmRecord, now: number): void {
    if (alarm.caseId === null) return;
    this.store.appendCaseEvent(alarm.caseId, now, RULES_ENGINE_ACTOR, 'alarm-cleared', { alarmId: alarm.id, ruleId: alarm.ruleId, clearedAt: alarm.clearedAt });
  }
}
