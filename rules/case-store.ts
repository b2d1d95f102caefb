import type { MetricValue } from './conditions.ts';
import type { EvidenceReading } from './evaluator.ts';

// The store of alarms, cases and the case audit trail, behind one interface
// so SQLite (one machine) can be swapped for PostgreSQL (scale-out).
// Every method is synchronous: the MQTT handler finishes its writes before
// the PUBACK goes out (at-least-once, see mqtt-consumer.ts).

export const ALARM_STATES = ['active', 'acknowledged', 'cleared'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];
/** States in which an alarm is still open: one per (rule, device). */
export const OPEN_ALARM_STATES: readonly AlarmState[] = ['active', 'acknowledged'];

/** The case workflow (discover → register → dispatch → handle → verify → close); this cut registers. */
export const CASE_STATUSES = ['registered', 'dispatched', 'handling', 'verifying', 'closed', 'cancelled'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
export const CLOSED_CASE_STATUSES: readonly CaseStatus[] = ['closed', 'cancelled'];

export type CasePriority = 'low' | 'normal' | 'high' | 'urgent';
export type Severity = 'info' | 'warning' | 'critical';

export interface AlarmRecord {
  id: number;
  ruleId: string;
  ruleName: string;
  severity: Severity;
  deviceId: string;
  gatewayId: string;
  district: string;
  profile: string;
  state: AlarmState;
  /** Readings that satisfied the rule while open, the first included. */
  count: number;
  /** Device time of the firing reading. */
  raisedAt: number;
  /** Device time of the latest reading that satisfied the rule. */
  lastSeenAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  /** Device time of the clearing reading. */
  clearedAt: number | null;
  lastValues: Record<string, MetricValue>;
  /** The readings that triggered it. */
  evidence: EvidenceReading[];
  /** Wall-clock times of the record. */
  createdAt: number;
  updatedAt: number;
  caseId: number | null;
}

export type NewAlarm = Omit<AlarmRecord, 'id' | 'state' | 'count' | 'acknowledgedAt' | 'acknowledgedBy' | 'clearedAt' | 'updatedAt' | 'caseId'>;

export interface CaseRecord {
  id: number;
  status: CaseStatus;
  category: string;
  priority: CasePriority;
  title: string;
  /** Who found the problem: 'sensor' for rule-opened cases (the "found automatically" share). */
  source: string;
  deviceId: string;
  gatewayId: string;
  district: string;
  createdAt: number;
  dueAt: number;
  updatedAt: number;
}

export type NewCase = Omit<CaseRecord, 'id' | 'updatedAt'>;

export interface CaseEventRecord {
  id: number;
  caseId: number;
  at: number;
  who: string;
  what: string;
  detail: Record<string, unknown>;
}

export interface AlarmQuery {
  state?: AlarmState | 'open';
  deviceId?: string;
  limit: number;
}

export interface CaseQuery {
  status?: CaseStatus | 'open';
  deviceId?: string;
  limit: number;
}

export interface CaseStore {
  /** Runs `fn` atomically: all of its writes or none. */
  transaction<T>(fn: () => T): T;

  insertAlarm(alarm: NewAlarm): AlarmRecord;
  /** A repeat: count + 1, latest values and time. */
  recordAlarmRepeat(id: number, lastSeenAt: number, lastValues: Record<string, MetricValue>, now: number): AlarmRecord;
  acknowledgeAlarm(id: number, who: string, now: number): AlarmRecord;
  clearAlarm(id: number, clearedAt: number, lastValues: Record<string, MetricValue>, now: number): AlarmRecord;
  getAlarm(id: number): AlarmRecord | undefined;
  findOpenAlarm(ruleId: string, deviceId: string): AlarmRecord | undefined;
  listAlarms(query: AlarmQuery): AlarmRecord[];
  openAlarms(): AlarmRecord[];
  countAlarms(state: AlarmState | 'open'): number;

  insertCase(c: NewCase): CaseRecord;
  getCase(id: number): CaseRecord | undefined;
  /** The newest case of a device that is not closed or cancelled. */
  findOpenCaseForDevice(deviceId: string): CaseRecord | undefined;
  listCases(query: CaseQuery): CaseRecord[];
  countCases(status: CaseStatus | 'open'): number;
  linkAlarm(caseId: number, alarmId: number, at: number): void;
  alarmsOfCase(caseId: number): AlarmRecord[];
  appendCaseEvent(caseId: number, at: number, who: string, what: string, detail?: Record<string, unknown>): CaseEventRecord;
  eventsOfCase(caseId: number): CaseEventRecord[];

  close(): void;
}
