import type { Severity } from '../device-profiles/index.ts';
import type { EvidenceReading, MetricValue } from './evaluator.ts';
import type { AlarmRecord, AlarmState, CaseSpec } from './rules-store.ts';

// One row mapping of an alarm for the SQLite and PostgreSQL rules stores: the
// same column names, flags as 0/1 integers, JSON documents as text.

export interface AlarmRow {
  id: number; rule_id: string; rule_name: string; severity: string; base_severity: string; device_id: string; gateway_id: string; district: string;
  profile: string; state: string; count: number; raised_at: number; last_seen_at: number; acknowledged_at: number | null; acknowledged_by: string | null;
  ack_note: string | null; cleared_at: number | null; cleared_by: string | null; closed_at: number | null; closed_by: string | null; close_note: string | null;
  case_id: string | null; incident_id: number | null; suppressed_by: number | null; silenced_by: number | null; flapping: number; escalation_level: number; no_data: number;
  case_spec: string | null; escalate: string; last_values: string; evidence: string; created_at: number; updated_at: number;
}

export function toAlarm(r: AlarmRow): AlarmRecord {
  return {
    id: r.id, ruleId: r.rule_id, ruleName: r.rule_name, severity: r.severity as Severity, baseSeverity: r.base_severity as Severity, deviceId: r.device_id,
    gatewayId: r.gateway_id, district: r.district, profile: r.profile, state: r.state as AlarmState, count: r.count, raisedAt: r.raised_at, lastSeenAt: r.last_seen_at,
    acknowledgedAt: r.acknowledged_at, acknowledgedBy: r.acknowledged_by, ackNote: r.ack_note, clearedAt: r.cleared_at, clearedBy: r.cleared_by,
    closedAt: r.closed_at, closedBy: r.closed_by, closeNote: r.close_note, caseId: r.case_id, incidentId: r.incident_id, suppressedBy: r.suppressed_by, silencedBy: r.silenced_by ?? null,
    flapping: r.flapping === 1, escalationLevel: r.escalation_level, noData: r.no_data === 1,
    caseSpec: r.case_spec ? (JSON.parse(r.case_spec) as CaseSpec) : null, escalate: JSON.parse(r.escalate) as AlarmRecord['escalate'],
    lastValues: JSON.parse(r.last_values) as Record<string, MetricValue>, evidence: JSON.parse(r.evidence) as EvidenceReading[],
    createdAt: r.created_at, updatedAt: r.updated_at,
  };
}
