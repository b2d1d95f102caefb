// The case (work order) as the city's digital urban-management workflow knows
// it: discover → register → dispatch → handle → verify → close (GB/T 30428).

export const CASE_STATUSES = ['reported', 'registered', 'dispatched', 'in_progress', 'handled', 'verified', 'closed', 'rejected', 'cancelled'] as const;
export type CaseStatus = (typeof CASE_STATUSES)[number];
/** Final states; a case here is no longer "open". `closed` can still be reopened by a repeat alarm. */
export const FINAL_STATUSES: readonly CaseStatus[] = ['closed', 'rejected', 'cancelled'];
export const isOpenStatus = (s: CaseStatus): boolean => !FINAL_STATUSES.includes(s);

export const PRIORITIES = ['urgent', 'high', 'normal', 'low'] as const;
export type CasePriority = (typeof PRIORITIES)[number];

/** Who found the problem. `sensor` cases count towards the "found automatically" share. */
export const CASE_SOURCES = ['sensor', 'inspector', 'citizen', 'hotline', 'operator'] as const;
export type CaseSource = (typeof CASE_SOURCES)[number];

/** The SLA stage a status is waiting on; null when nothing is due. */
export type SlaStage = 'dispatch' | 'handle' | 'verify';

export interface CaseRecord {
  id: number;
  status: CaseStatus;
  category: string;
  department: string;
  priority: CasePriority;
  title: string;
  description: string;
  source: CaseSource;
  /** The asset (device id) the problem is on; null for citizen reports without one. */
  assetId: string | null;
  incidentId: string | null;
  gatewayId: string | null;
  district: string | null;
  gridCell: string | null;
  lat: number | null;
  long: number | null;
  address: string | null;
  crewId: string | null;
  /** Deadlines (ms since epoch) of the three SLA stages; null until the stage starts. */
  dispatchDueAt: number | null;
  handleDueAt: number | null;
  verifyDueAt: number | null;
  /** Deadline of the whole case (registration + all three stage allowances). */
  dueAt: number | null;
  /** Escalation level reached for the current stage (0 = none). */
  escalationLevel: number;
  /** Stage whose deadline has passed, or null. */
  overdueStage: SlaStage | null;
  reworkCount: number;
  /** An alarm of this case cleared before it was dispatched. */
  clearedBeforeDispatch: boolean;
  /** Secret handle an Open311 client follows a request by (tokens/{token}.json). */
  open311Token: string | null;
  /** Reporter contact (citizen reports); never shown in public APIs. */
  reporter: { email?: string; name?: string; phone?: string; phoneHash?: string; deviceId?: string; accountId?: string } | null;
  mediaUrl: string | null;
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  /** Optimistic concurrency: bumped on every update. */
  version: number;
}

export type NewCase = Omit<CaseRecord, 'id' | 'createdAt' | 'updatedAt' | 'version' | 'closedAt'>;
export type CasePatch = Partial<Omit<CaseRecord, 'id' | 'createdAt' | 'version'>>;

/** One line of the audit trail: who did what, when, with a note. */
export interface CaseEventRecord {
  id: number;
  caseId: number;
  at: number;
  who: string;
  /** Transition action (`register`, `dispatch`, …) or a note kind (`alarm-absorbed`, `photo`, `escalated`, …). */
  action: string;
  fromStatus: CaseStatus | null;
  toStatus: CaseStatus | null;
  note: string | null;
  detail: Record<string, unknown>;
}

export type NewCaseEvent = Omit<CaseEventRecord, 'id'>;

export interface CaseAlarmLink {
  caseId: number;
  alarmId: string;
  ruleId: string;
  state: string;
  linkedAt: number;
  updatedAt: number;
}

export interface Crew {
  id: string;
  name: string;
  department: string;
  /** Districts and grid cells it serves; '*' = everywhere. */
  districts: string[];
  gridCells: string[];
  /** Categories it can handle; '*' = all. */
  skills: string[];
  /** Where its notifications are POSTed (signed), if anywhere. */
  webhookUrl: string | null;
  active: boolean;
}

export interface PhotoRecord {
  id: string;
  caseId: number;
  file: string;
  mime: string;
  size: number;
  sha256: string;
  uploadedBy: string;
  at: number;
}

/** Alert channels (issue 16): adapters in `channels/`, endpoints from the config file. */
export const ALERT_CHANNELS = ['wecom', 'dingtalk', 'feishu', 'email', 'sms'] as const;
export type AlertChannelKind = (typeof ALERT_CHANNELS)[number];
export const OUTBOX_CHANNELS = ['webhook', 'mqtt', 'alarms', ...ALERT_CHANNELS] as const;
export type OutboxChannel = (typeof OUTBOX_CHANNELS)[number];
export type OutboxState = 'pending' | 'delivered' | 'dead';

/** A notification waiting for (or done with) delivery; written in the same transaction as the change it reports. */
export interface OutboxMessage {
  id: number;
  caseId: number;
  channel: OutboxChannel;
  /** URL (webhook), topic (mqtt) or 'close' (alarms). */
  target: string;
  payload: string;
  state: OutboxState;
  attempts: number;
  nextAttemptAt: number;
  createdAt: number;
  deliveredAt: number | null;
  lastError: string | null;
  /** Alerts: idempotency key (event × subscription); a second message with the same key is not queued. */
  dedupKey?: string | null;
  /** Alerts: the subscription that asked for this message. */
  subscriptionId?: string | null;
}

export type NewOutboxMessage = Pick<OutboxMessage, 'channel' | 'target' | 'payload'>;

export const CASE_EVENT_TYPES = ['case.opened', 'case.dispatched', 'case.reassigned', 'case.escalated', 'case.rework', 'case.reopened', 'case.cancelled', 'case.closed'] as const;
export type CaseEventType = (typeof CASE_EVENT_TYPES)[number];

/** Published to crews (MQTT `tz/v1/crews/{crewId}/cases`) and webhooks (JSON). */
export interface CaseNotification {
  notificationId: string;
  type: CaseEventType;
  at: string;
  crewId: string | null;
  case: CaseSummary;
  escalation?: { stage: SlaStage; level: number; dueAt: string };
  note?: string | null;
}

export interface CaseSummary {
  id: number;
  status: CaseStatus;
  category: string;
  department: string;
  priority: CasePriority;
  title: string;
  assetId: string | null;
  district: string | null;
  gridCell: string | null;
  lat: number | null;
  long: number | null;
  address: string | null;
  crewId: string | null;
  dueAt: string | null;
  stageDueAt: string | null;
}
