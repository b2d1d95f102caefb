import type { AlarmEvent } from '../proto/index.ts';
import type { Clock } from '../service-kit/index.ts';
import type { CaseTx } from './case-store.ts';
import { CaseWorkflow, SYSTEM_ACTOR, type ActorRef } from './case-workflow.ts';
import type { CaseRecord } from './model.ts';
import { placeOfAlarm, type AssetPlaces, type CasePlaceInput } from './places.ts';

// Alarms → cases. The rules service hands every alarm change to its sinks at
// least once; the event id is remembered in the same transaction as the case
// change, so a redelivered event changes nothing. One case per incident or
// asset: a new alarm joins the open case; a repeat soon after closing reopens
// the case (rework) instead of opening a new one.

/** Same shape as the rules room's sink (structural; cases does not import rules). */
export interface AlarmSink {
  name: string;
  deliver(event: AlarmEvent): Promise<void>;
}

export type IntakeResult = 'opened' | 'absorbed' | 'reopened' | 'updated' | 'cleared' | 'closed' | 'duplicate' | 'ignored';

export interface IntakeOptions {
  workflow: CaseWorkflow;
  clock: Clock;
  reopenWindowMs: number;
  onResult?(result: IntakeResult): void;
  /** New outbox messages were committed. */
  onOutbox?(): void;
  /** Where devices stand (the device registry); a sensor case carries its device's coordinates, address and grid cell. */
  places?: AssetPlaces;
}

export function createAlarmSink(opts: IntakeOptions): AlarmSink & { intake(event: AlarmEvent): Promise<IntakeResult> } {
  const { workflow, clock } = opts;

  async function apply(tx: CaseTx, event: AlarmEvent, place: CasePlaceInput): Promise<IntakeResult> {
    const alarm = event.alarm;
    const now = clock.now();
    if (!(await tx.rememberAlarmEvent(event.eventId, now))) return 'duplicate';
    const actor: ActorRef = { who: `rules:${alarm.ruleId}`, role: 'system', crewId: null };
    const linkedId = await tx.caseOfAlarm(alarm.id);
    const linked = linkedId === null ? null : await tx.getCase(linkedId);
    const note = (c: CaseRecord, action: string, text: string, detail: Record<string, unknown> = {}) =>
      tx.appendEvent({ caseId: c.id, at: now, who: actor.who, action, fromStatus: c.status, toStatus: c.status, note: text, detail: { alarmId: alarm.id, eventId: event.eventId, ...detail } });

    if (event.type === 'cleared' || event.type === 'closed') {
      if (!linked) return 'ignored';
      await tx.updateAlarmLink(alarm.id, alarm.state, now);
      if (event.type === 'closed') {
        await note(linked, 'alarm-closed', `alarm ${alarm.id} closed`);
        return 'closed';
      }
      if (CaseWorkflow.beforeDispatch(linked.status)) {
        const updated = await tx.updateCase(linked.id, linked.version, { clearedBeforeDispatch: true }, now);
        await note(updated ?? linked, 'alarm-cleared-before-dispatch', `alarm ${alarm.id} (${alarm.ruleName}) cleared before the case was dispatched; check whether it still needs a crew`, { clearedAt: alarm.clearedAt });
      } else {
        await note(linked, 'alarm-cleared', `alarm ${alarm.id} (${alarm.ruleName}) cleared`, { clearedAt: alarm.clearedAt });
      }
      return 'cleared';
    }

    // A silenced alarm (maintenance window) raises no case; rules does not deliver it, this holds if one slips through.
    if (!alarm.case || alarm.silencedBy) return 'ignored';
    if (linked) {
      await tx.updateAlarmLink(alarm.id, alarm.state, now);
      return 'updated';
    }
    const link = async (c: CaseRecord) => tx.linkAlarm({ caseId: c.id, alarmId: alarm.id, ruleId: alarm.ruleId, state: alarm.state, linkedAt: now, updatedAt: now });
    const evidence = { alarmId: alarm.id, ruleId: alarm.ruleId, severity: alarm.severity, incidentId: alarm.incidentId ?? null, lastValues: alarm.lastValues };

    const open = await tx.findOpenCase({ assetId: alarm.deviceId, ...(alarm.incidentId ? { incidentId: alarm.incidentId } : {}) });
    if (open) {
      await link(open);
      await note(open, 'alarm-absorbed', `alarm ${alarm.id} (${alarm.ruleName}) joined this case`, evidence);
      return 'absorbed';
    }
    if (opts.reopenWindowMs > 0) {
      const recent = await tx.findClosedSince(alarm.deviceId, now - opts.reopenWindowMs);
      if (recent) {
        await link(recent);
        await workflow.transitionIn(tx, recent, 'reopen', actor, `repeat alarm ${alarm.id} (${alarm.ruleName}) within ${Math.round(opts.reopenWindowMs / 3_600_000)} h of closing: rework`, {});
        return 'reopened';
      }
    }
    const created = await workflow.createIn(tx, {
      category: alarm.case.category, priority: alarm.case.priority as CaseRecord['priority'], title: `${alarm.ruleName} — ${alarm.deviceId}`,
      description: `Alarm ${alarm.id} (${alarm.severity}) raised ${alarm.raisedAt} by rule ${alarm.ruleId} on ${alarm.profile} ${alarm.deviceId}; last values ${JSON.stringify(alarm.lastValues)}`,
      source: 'sensor', assetId: alarm.deviceId, incidentId: alarm.incidentId ?? null, gatewayId: alarm.gatewayId, ...place,
      register: false, detail: evidence,
    }, actor);
    // Linked before it is registered, so the alerts of registration and dispatch name the alarm.
    await link(created);
    await workflow.transitionIn(tx, created, 'register', actor, null, {});
    return 'opened';
  }

  async function intake(event: AlarmEvent): Promise<IntakeResult> {
    // Looked up outside the transaction (the registry may be a slow HTTP call); only events that may open a case need it.
    const mayOpen = event.alarm.case && event.type !== 'cleared' && event.type !== 'closed';
    const place = mayOpen ? await placeOfAlarm(event.alarm, opts.places) : { district: event.alarm.district || null };
    const result = await workflow.store.atomically((tx) => apply(tx, event, place));
    opts.onResult?.(result);
    if (result === 'opened' || result === 'reopened') opts.onOutbox?.();
    return result;
  }

  return {
    name: 'cases',
    intake,
    async deliver(event) {
      await intake(event);
    },
  };
}

export { SYSTEM_ACTOR };
