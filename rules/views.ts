import type { AlarmEvent, AlarmView } from '../proto/index.ts';
import type { AlarmRecord } from './sqlite-store.ts';

// The JSON shapes of the HTTP API and of alarm events (proto/events.ts):
// camelCase, ids as strings, times as ISO 8601 UTC — one shape on both.

function iso(ms: number): string;
function iso(ms: number | null): string | null;
function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function alarmView(a: AlarmRecord): AlarmView {
  return {
    id: String(a.id), ruleId: a.ruleId, ruleName: a.ruleName, severity: a.severity, state: a.state,
    deviceId: a.deviceId, gatewayId: a.gatewayId, district: a.district, profile: a.profile,
    count: a.count, raisedAt: iso(a.raisedAt), lastSeenAt: iso(a.lastSeenAt), acknowledgedAt: iso(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy, clearedAt: iso(a.clearedAt), lastValues: a.lastValues,
    evidence: a.evidence.map((e) => ({ timestamp: iso(e.timestampMs), values: e.values })),
    case: a.caseSpec, incidentId: a.incidentId === null ? null : String(a.incidentId), caseId: a.caseId,
    createdAt: iso(a.createdAt), updatedAt: iso(a.updatedAt),
    baseSeverity: a.baseSeverity, clearedBy: a.clearedBy, closedAt: iso(a.closedAt), closedBy: a.closedBy,
    flapping: a.flapping, suppressedBy: a.suppressedBy === null ? null : String(a.suppressedBy), noData: a.noData,
    silencedBy: a.silencedBy === null ? null : String(a.silencedBy),
  };
}

export function alarmEvent(eventId: string, type: AlarmEvent['type'], at: number, alarm: AlarmRecord): AlarmEvent {
  return { eventId, type, at: iso(at), alarm: alarmView(alarm) };
}
