import type { AlarmEvent } from './alarm-lifecycle.ts';
import type { AlarmRecord, CaseEventRecord, CaseRecord } from './case-store.ts';

// The JSON shapes of the HTTP API and the alarm events: camelCase, times as
// ISO 8601 strings (UTC), the same shape on both so consumers parse one thing.

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function alarmView(a: AlarmRecord) {
  return {
    id: a.id, ruleId: a.ruleId, ruleName: a.ruleName, severity: a.severity, state: a.state,
    deviceId: a.deviceId, gatewayId: a.gatewayId, district: a.district, profile: a.profile,
    count: a.count, raisedAt: iso(a.raisedAt), lastSeenAt: iso(a.lastSeenAt), acknowledgedAt: iso(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy, clearedAt: iso(a.clearedAt), lastValues: a.lastValues,
    evidence: a.evidence.map((e) => ({ timestamp: iso(e.timestampMs), values: e.values })),
    caseId: a.caseId, createdAt: iso(a.createdAt), updatedAt: iso(a.updatedAt),
  };
}

export function caseView(c: CaseRecord) {
  return {
    id: c.id, status: c.status, category: c.category, priority: c.priority, title: c.title, source: c.source,
    deviceId: c.deviceId, gatewayId: c.gatewayId, district: c.district,
    createdAt: iso(c.createdAt), dueAt: iso(c.dueAt), updatedAt: iso(c.updatedAt),
  };
}

export function caseEventView(e: CaseEventRecord) {
  return { id: e.id, at: iso(e.at), who: e.who, what: e.what, detail: e.detail };
}

/** What is published on tz/v1/events/alarm. */
export function alarmEventView(e: AlarmEvent) {
  return { type: e.type, at: iso(e.at), caseId: e.caseId, caseOpened: e.caseOpened, alarm: alarmView(e.alarm) };
}
