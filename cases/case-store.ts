import type {
  CaseAlarmLink, CaseEventRecord, CaseRecord, CaseStatus, Crew, NewCase, NewCaseEvent, NewOutboxMessage, OutboxChannel, OutboxMessage,
  OutboxState, PhotoRecord, CasePatch, CaseSource,
} from './model.ts';
import type { Subscription } from './subscriptions.ts';

// Storage of cases, their audit trail, alarm links, photos, crews and the
// notification outbox, behind one interface so SQLite (one machine) can be
// swapped for PostgreSQL (scale-out). Everything happens inside
// `atomically`: one database transaction, so a state change, its audit line
// and its notifications commit together or not at all (transactional outbox).
// Methods are async so a network database fits the same shape.

export interface CaseQuery {
  status?: CaseStatus | 'open';
  category?: string;
  district?: string;
  crewId?: string;
  assetId?: string;
  source?: CaseSource;
  overdue?: boolean;
  ids?: number[];
  createdFrom?: number;
  createdTo?: number;
  limit?: number;
  offset?: number;
}

export interface OutboxCounts {
  channel: OutboxChannel;
  state: OutboxState;
  count: number;
}

export interface CaseTx {
  insertCase(input: NewCase, at: number): Promise<CaseRecord>;
  /** Applies a patch if the case is still at `expectedVersion`; returns null when someone else changed it first. */
  updateCase(id: number, expectedVersion: number, patch: CasePatch, at: number): Promise<CaseRecord | null>;
  getCase(id: number): Promise<CaseRecord | null>;
  getCaseByToken(token: string): Promise<CaseRecord | null>;
  listCases(query: CaseQuery): Promise<CaseRecord[]>;
  countCases(query: CaseQuery): Promise<number>;
  /** Open case on an asset (one per asset), or of an incident. */
  findOpenCase(by: { assetId?: string; incidentId?: string }): Promise<CaseRecord | null>;
  /** Most recent closed case of an asset closed at or after `since`. */
  findClosedSince(assetId: string, since: number): Promise<CaseRecord | null>;

  appendEvent(event: NewCaseEvent): Promise<CaseEventRecord>;
  eventsOf(caseId: number): Promise<CaseEventRecord[]>;
  /** Audit lines of many cases (KPIs), oldest first. */
  eventsOfCases(caseIds: number[]): Promise<CaseEventRecord[]>;

  linkAlarm(link: CaseAlarmLink): Promise<void>;
  updateAlarmLink(alarmId: string, state: string, at: number): Promise<void>;
  caseOfAlarm(alarmId: string): Promise<number | null>;
  alarmsOf(caseId: number): Promise<CaseAlarmLink[]>;
  /** Remembers an alarm event id; false when it was seen before (at-least-once delivery). */
  rememberAlarmEvent(eventId: string, at: number): Promise<boolean>;
  forgetAlarmEventsBefore(at: number): Promise<number>;

  addPhoto(photo: PhotoRecord): Promise<void>;
  photosOf(caseId: number): Promise<PhotoRecord[]>;
  getPhoto(caseId: number, photoId: string): Promise<PhotoRecord | null>;

  upsertCrew(crew: Crew): Promise<void>;
  getCrew(id: string): Promise<Crew | null>;
  listCrews(): Promise<Crew[]>;
  /** Open cases per crew (load balancing). */
  openCaseCounts(): Promise<Map<string, number>>;

  enqueue(caseId: number, message: NewOutboxMessage, at: number): Promise<OutboxMessage>;
  /** Pending messages due at `now`, oldest first. */
  dueOutbox(now: number, limit: number): Promise<OutboxMessage[]>;
  markDelivered(id: number, at: number): Promise<void>;
  markFailed(id: number, error: string, nextAttemptAt: number, dead: boolean): Promise<void>;
  /** Puts a dead message back in the queue; false when it was not dead. */
  retryOutbox(id: number, at: number): Promise<boolean>;
  listOutbox(query: { state?: OutboxState; caseId?: number; limit?: number; channel?: OutboxChannel }): Promise<OutboxMessage[]>;
  outboxCounts(): Promise<OutboxCounts[]>;
  /** Earliest nextAttemptAt of a pending message, or null. */
  nextOutboxDue(): Promise<number | null>;

  // --- people's alerts (issue 16) ---
  /** Queues a message unless one with the same `dedupKey` exists (idempotent per event × subscription); null when it did. */
  enqueueOnce(caseId: number, message: NewOutboxMessage, at: number, o: { dedupKey: string; dueAt: number; subscriptionId: string | null }): Promise<OutboxMessage | null>;
  putSubscription(sub: Subscription): Promise<void>;
  getSubscription(id: string): Promise<Subscription | null>;
  listSubscriptions(): Promise<Subscription[]>;
  deleteSubscription(id: string): Promise<boolean>;
}

export interface CaseStore {
  /**
   * Runs `work` in one transaction; transactions never interleave. Do not await anything but the tx inside.
   * A networked store may run `work` again (PostgreSQL: after a connection lost before COMMIT), so keep its side effects outside.
   */
  atomically<T>(work: (tx: CaseTx) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}
