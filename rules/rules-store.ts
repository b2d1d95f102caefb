import type { RuleSpec, Severity } from '../device-profiles/index.ts';
import type { AlarmWriter } from './alarm-writer.ts';
import type { EvidenceReading, MetricValue } from './evaluator.ts';

// The rules service's state, split into the parts it holds (issue 21): alarms
// (with incidents, shadow records and gateway connectivity), the alarm-event
// outbox, rule documents with their versions (and the silences audited
// beside them), and the evaluator's checkpoints. Each part is an interface;
// SQLite (sqlite-store.ts, the default) and PostgreSQL (postgres-rules-store.ts,
// several rules services on one database) stand behind them.
//
// The contract is "async-capable": a method answers a value or a Promise of
// it (`Maybe<T>`). SQLite answers synchronously, so with it the engine stays
// synchronous end to end — no Promise per reading, the alarm change committed
// inside the MQTT message handler before its PUBACK. Code that must run on
// both is written once as a generator of steps (`yield* step(store.x())`) and
// driven by `runSteps`, which stays synchronous until a step is a Promise.

// Maybe, Steps, step and runSteps are service-kit's (one copy, shared with the
// registry and token stores); re-exported so rules code keeps one import.
export { runSteps, step, type Maybe, type Steps } from '../service-kit/index.ts';
import type { Maybe, Steps } from '../service-kit/index.ts';

export const OPEN_STATES = ['active', 'acknowledged'] as const;
export const ALARM_STATES = ['active', 'acknowledged', 'cleared', 'closed'] as const;
export type AlarmState = (typeof ALARM_STATES)[number];
export type CaseSpec = { category: string; priority: string };

export interface AlarmRecord {
  id: number;
  ruleId: string;
  ruleName: string;
  severity: Severity;
  baseSeverity: Severity;
  deviceId: string;
  gatewayId: string;
  district: string;
  profile: string;
  state: AlarmState;
  count: number;
  raisedAt: number;
  lastSeenAt: number;
  acknowledgedAt: number | null;
  acknowledgedBy: string | null;
  ackNote: string | null;
  clearedAt: number | null;
  clearedBy: string | null;
  closedAt: number | null;
  closedBy: string | null;
  closeNote: string | null;
  caseId: string | null;
  incidentId: number | null;
  suppressedBy: number | null;
  /** The silence (or maintenance window) in force when it was raised: stored, not delivered. */
  silencedBy: number | null;
  flapping: boolean;
  escalationLevel: number;
  noData: boolean;
  caseSpec: CaseSpec | null;
  escalate: Array<{ afterMs: number; severity: Severity }>;
  lastValues: Record<string, MetricValue>;
  evidence: EvidenceReading[];
  createdAt: number;
  updatedAt: number;
}

export type NewAlarm = Pick<AlarmRecord, 'ruleId' | 'ruleName' | 'severity' | 'deviceId' | 'gatewayId' | 'district' | 'profile' | 'raisedAt'
  | 'lastSeenAt' | 'flapping' | 'noData' | 'caseSpec' | 'escalate' | 'lastValues' | 'evidence' | 'createdAt' | 'suppressedBy'> & { silencedBy?: number | null };

/** Columns of one alarm an update may set (names are the stores' own, never user input). */
export type AlarmPatch = Partial<Record<'state' | 'severity' | 'acknowledged_at' | 'acknowledged_by' | 'ack_note' | 'cleared_at' | 'cleared_by' | 'closed_at'
  | 'closed_by' | 'close_note' | 'case_id' | 'incident_id' | 'suppressed_by' | 'silenced_by' | 'flapping' | 'escalation_level' | 'last_values', string | number | null>>;
export const ALARM_PATCH_COLUMNS: ReadonlySet<string> = new Set(['state', 'severity', 'acknowledged_at', 'acknowledged_by', 'ack_note', 'cleared_at', 'cleared_by',
  'closed_at', 'closed_by', 'close_note', 'case_id', 'incident_id', 'suppressed_by', 'silenced_by', 'flapping', 'escalation_level', 'last_values']);

export interface AlarmQuery {
  state?: AlarmState | 'open';
  deviceId?: string;
  ruleId?: string;
  incidentId?: number;
  suppressed?: boolean;
  silenced?: boolean;
  limit: number;
}

export interface Incident { id: number; assetId: string; openedAt: number; closedAt: number | null }
export interface OutboxRow { id: number; eventId: string; sink: string; payload: string; attempts: number }
export interface RuleDocRow { id: string; doc: RuleSpec; version: number; updatedAt: number; updatedBy: string }
export interface RuleVersionRow { ruleId: string; version: number; action: string; doc: RuleSpec | null; diff: unknown; who: string; at: number; note: string | null }
export interface GatewayRow { gatewayId: string; online: boolean; clientId: string | null; connectionSeq: number; since: number; alarmId: number | null }
export interface ShadowRow { id: number; ruleId: string; deviceId: string; kind: string; at: number; severity: string; values: Record<string, MetricValue>; recordedAt: number }
export interface SilenceRecord {
  id: number; kind: string; matchers: string; startsAt: number; endsAt: number; reason: string; createdBy: string; createdAt: number;
  expiredAt: number | null; expiredBy: string | null;
}
export type NewSilenceRecord = Pick<SilenceRecord, 'kind' | 'matchers' | 'startsAt' | 'endsAt' | 'reason' | 'createdBy' | 'createdAt'>;
export interface DeviceCheckpoint { deviceId: string; state: string }

/** Alarms and what hangs on them: incidents, shadow-mode records, gateway connectivity. */
export interface AlarmRecords {
  /**
   * Makes the writers of one subject (a device or gateway id) take turns until
   * the transaction ends: two processes never both see "no open alarm" and
   * both raise one. A no-op where there is one writer (SQLite).
   */
  lockSubject(subject: string): Maybe<void>;
  findOpenAlarm(ruleId: string, deviceId: string): Maybe<AlarmRecord | undefined>;
  /** The alarm a reading raised: a reading delivered again (after a crash before its PUBACK) raises nothing new. */
  findRaisedAlarm(ruleId: string, deviceId: string, raisedAt: number): Maybe<AlarmRecord | undefined>;
  insertAlarm(a: NewAlarm): Maybe<AlarmRecord>;
  recordRepeat(id: number, lastSeenAt: number, lastValues: Record<string, MetricValue>, flapping: boolean, now: number): Maybe<AlarmRecord>;
  updateAlarm(id: number, set: AlarmPatch, now: number): Maybe<AlarmRecord>;
  getAlarm(id: number): Maybe<AlarmRecord | undefined>;
  listAlarms(q: AlarmQuery): Maybe<AlarmRecord[]>;
  openAlarms(): Maybe<AlarmRecord[]>;
  openAlarmsOfDevice(deviceId: string): Maybe<AlarmRecord[]>;
  countAlarms(state: AlarmState | 'open'): Maybe<number>;
  openIncident(assetId: string): Maybe<number | undefined>;
  createIncident(assetId: string, now: number): Maybe<number>;
  closeIncident(id: number, now: number): Maybe<void>;
  getIncident(id: number): Maybe<Incident | undefined>;
  recordShadow(ruleId: string, deviceId: string, kind: string, at: number, severity: string, values: Record<string, MetricValue>, now: number): Maybe<void>;
  shadowRecords(ruleId: string, limit: number): Maybe<ShadowRow[]>;
  countShadow(ruleId: string): Maybe<number>;
  gateways(): Maybe<GatewayRow[]>;
  putGateway(g: GatewayRow): Maybe<void>;
}

/** The alarm-event outbox: rows written with the alarm change, deleted once their sink resolved. */
export interface OutboxQueue {
  enqueue(eventId: string, sinks: readonly string[], payload: string, now: number): Maybe<void>;
  /** The oldest rows of a sink that no live deliverer holds; they are held (leased) by the caller until delivered or failed. */
  claimOutbox(sink: string, limit: number): Maybe<OutboxRow[]>;
  delivered(id: number): Maybe<void>;
  /** Counts the failure and lets the row go (due again at once for the next claim). */
  deliveryFailed(id: number, error: string): Maybe<void>;
  outboxDepth(): Maybe<Record<string, number>>;
}

/** Operators' rule documents, every version of them, and the silences (audited as versions too). */
export interface RuleDocuments {
  ruleDocs(): Maybe<RuleDocRow[]>;
  putRuleDoc(id: string, doc: RuleSpec, version: number, who: string, now: number): Maybe<void>;
  deleteRuleDoc(id: string): Maybe<void>;
  latestRuleVersion(ruleId: string): Maybe<number>;
  addRuleVersion(v: RuleVersionRow): Maybe<void>;
  ruleVersions(ruleId: string): Maybe<RuleVersionRow[]>;
  liveSilences(now: number): Maybe<SilenceRecord[]>;
  getSilence(id: number): Maybe<SilenceRecord | undefined>;
  listSilences(limit: number): Maybe<SilenceRecord[]>;
  insertSilence(s: NewSilenceRecord): Maybe<number>;
  expireSilence(id: number, at: number, who: string): Maybe<void>;
  deleteSilence(id: number): Maybe<void>;
}

/** The evaluator's write-behind checkpoints, one JSON document per device. */
export interface Checkpoints {
  /**
   * `relaxed`: one slice of a sliced write-behind that need not wait for the
   * disk (a later full commit makes it durable); a store may ignore it.
   */
  saveDeviceStates(states: ReadonlyArray<readonly [string, string]>, now: number, relaxed?: boolean): Maybe<void>;
  deviceStates(): Maybe<Iterable<DeviceCheckpoint>>;
  /** One device's checkpoint (a device that came over from another rules service). */
  deviceState(deviceId: string): Maybe<string | undefined>;
}

/** What one transaction may touch. */
export interface RulesTx extends AlarmRecords, OutboxQueue, RuleDocuments {}

export interface RulesStore extends RulesTx, Checkpoints {
  /** 'sqlite' answers synchronously and has one writer; 'postgres' is shared by several rules services. */
  readonly kind: 'sqlite' | 'postgres';
  /**
   * Runs `work` in one transaction (all or nothing). With PostgreSQL, a
   * transaction whose connection was lost before COMMIT runs again from the
   * start, so `work` keeps its side effects outside.
   */
  transaction<T>(work: (tx: RulesTx) => Steps<T>): Maybe<T>;
  /**
   * Optional (a SQLite file): the thread that commits the engine's batches of
   * alarm changes with a connection of its own, off the event loop
   * (alarm-writer.ts); while it runs, the engine posts them there.
   */
  readonly alarmWriter?: AlarmWriter | undefined;
  close(): Maybe<void>;
}
