import { randomBytes, randomUUID } from 'node:crypto';
import { topics } from '../proto/index.ts';
import { TzError, type Clock } from '../service-kit/index.ts';
import type { CaseStore, CaseTx } from './case-store.ts';
import { locatePlace, type GridLocator } from './places.ts';
import { isPriority, slaMs, type CaseConfig, type CategoryConfig } from './config.ts';
import { chooseCrew } from './dispatch.ts';
import type { CaseEventType, CasePatch, CasePriority, CaseRecord, CaseNotification, CaseSource, CaseStatus, NewCase, SlaStage } from './model.ts';
import { isOpenStatus } from './model.ts';
import { checkTransition, type Actor, type CaseAction } from './transitions.ts';
import { caseSummary, currentStage } from './views.ts';
import type { CaseEventRecord } from './model.ts';

// The workflow: every change to a case goes through here, inside one store
// transaction that also writes the audit line and the outbox notifications.

/** Who acts: a token's principal, or the case system itself. */
export interface ActorRef {
  who: string;
  role: Actor;
  crewId: string | null;
  /** An inspector bound to a supervision area (district or grid cell) verifies only there. */
  area?: string | null;
}

/** What a verification (pass or fail) rests on: a photo uploaded to the case, or a reference. */
export interface ActionInput {
  note?: string | null;
  crewId?: string | null;
  photoId?: string | null;
  evidence?: string | null;
  idempotencyKey?: string | null;
}

export const SYSTEM_ACTOR: ActorRef = { who: 'case-system', role: 'system', crewId: null };

export interface NewCaseInput {
  category: string;
  priority: CasePriority;
  title: string;
  description?: string;
  source: CaseSource;
  assetId?: string | null;
  incidentId?: string | null;
  gatewayId?: string | null;
  district?: string | null;
  gridCell?: string | null;
  lat?: number | null;
  long?: number | null;
  address?: string | null;
  reporter?: CaseRecord['reporter'];
  mediaUrl?: string | null;
  /** Register at once (sensor alarms, operators); citizen reports stay `reported` until an operator registers them. */
  register: boolean;
  /** Detail for the audit line of the report (alarm id, rule, …). */
  detail?: Record<string, unknown>;
}

export interface WorkflowHooks {
  /** A transition happened (metrics). */
  onTransition?(action: CaseAction | 'report', c: CaseRecord): void;
  onEscalation?(stage: SlaStage, level: number): void;
  onUnassigned?(c: CaseRecord): void;
  onUnknownCategory?(category: string): void;
  /** New outbox messages were committed: wake the deliverer. */
  onOutbox?(): void;
}

/** Queues people's alerts for a case event in the same transaction (subscriptions → outbox); see alert-router.ts. */
export type AlertQueue = (tx: CaseTx, c: CaseRecord, type: CaseEventType, extra: { crewId: string | null; note?: string | null; escalation?: CaseNotification['escalation'] }) => Promise<void>;

export interface WorkflowOptions {
  store: CaseStore;
  config: Readonly<CaseConfig>;
  clock: Clock;
  /** MQTT notifications are queued only when there is a publisher. */
  mqttEnabled: boolean;
  /** Alarm-close requests are queued only when someone can close alarms. */
  alarmCloseEnabled: boolean;
  hooks?: WorkflowHooks;
  /** District and grid cell of a case reported at a point (Open311, operators, sensors); see places.ts. */
  gridLocator?: GridLocator;
  /** People's alerts (WeCom, DingTalk, Feishu, e-mail, SMS) by subscription. */
  alerts?: AlertQueue;
}

/** Maximum escalation level; level n is reached n−1 stage allowances after the deadline. */
export const MAX_ESCALATION_LEVEL = 3;

export class CaseWorkflow {
  private readonly categories: Map<string, CategoryConfig>;

  constructor(private readonly opts: WorkflowOptions) {
    this.categories = new Map(opts.config.categories.map((c) => [c.code, c]));
  }

  get store(): CaseStore {
    return this.opts.store;
  }

  /** The category config; unknown codes fall back to the configured fallback (counted). */
  category(code: string): { category: CategoryConfig; known: boolean } {
    const found = this.categories.get(code);
    if (found) return { category: found, known: true };
    this.opts.hooks?.onUnknownCategory?.(code);
    return { category: this.fallbackCategory(), known: false };
  }

  /** The config check (config.ts) refuses a fallback that is not a category, so its absence here is a bug. */
  private fallbackCategory(): CategoryConfig {
    const code = this.opts.config.fallbackCategory;
    const fallback = this.categories.get(code);
    if (!fallback) throw new TzError('TZ_INTERNAL', `cases: fallback category ${code} is not among the configured categories`);
    return fallback;
  }

  knownCategory(code: string): CategoryConfig | undefined {
    return this.categories.get(code);
  }

  private sla(c: Pick<CaseRecord, 'category' | 'priority'>, stage: SlaStage): number {
    const category = this.categories.get(c.category) ?? this.fallbackCategory();
    return slaMs(this.opts.config, category, c.priority, stage);
  }

  /** Creates a case in `tx` (audit: report, and register when asked), dispatching it when configured. */
  async createIn(tx: CaseTx, given: NewCaseInput, actor: ActorRef): Promise<CaseRecord> {
    const now = this.opts.clock.now();
    const input = locatePlace(given, this.opts.gridLocator);
    const { category, known } = this.category(input.category);
    const priority = isPriority(input.priority) ? input.priority : 'normal';
    const base: NewCase = {
      status: 'reported', category: category.code, department: category.department, priority, title: input.title, description: input.description ?? '',
      source: input.source, assetId: input.assetId ?? null, incidentId: input.incidentId ?? null, gatewayId: input.gatewayId ?? null,
      district: input.district ?? null, gridCell: input.gridCell ?? null, lat: input.lat ?? null, long: input.long ?? null, address: input.address ?? null,
      crewId: null, dispatchDueAt: null, handleDueAt: null, verifyDueAt: null, dueAt: null, escalationLevel: 0, overdueStage: null, reworkCount: 0,
      clearedBeforeDispatch: false, open311Token: randomBytes(12).toString('base64url'), reporter: input.reporter ?? null, mediaUrl: input.mediaUrl ?? null,
    };
    base.dispatchDueAt = now + this.sla(base, 'dispatch');
    base.dueAt = now + this.sla(base, 'dispatch') + this.sla(base, 'handle') + this.sla(base, 'verify');
    let c = await tx.insertCase(base, now);
    await tx.appendEvent({
      caseId: c.id, at: now, who: actor.who, action: 'report', fromStatus: null, toStatus: 'reported', note: null,
      detail: { source: c.source, category: c.category, priority: c.priority, dispatchDueAt: c.dispatchDueAt, dueAt: c.dueAt, ...(known ? {} : { requestedCategory: input.category }), ...input.detail },
    });
    this.opts.hooks?.onTransition?.('report', c);
    if (input.register) c = await this.transitionIn(tx, c, 'register', actor, null, {});
    return c;
  }

  async create(input: NewCaseInput, actor: ActorRef): Promise<CaseRecord> {
    const c = await this.store.atomically((tx) => this.createIn(tx, input, actor));
    this.opts.hooks?.onOutbox?.();
    return c;
  }

  /** Takes `action` on case `id` as `actor` (checked against the transition table and the crew's own cases). */
  async act(id: number, action: CaseAction, actor: ActorRef, input: Omit<ActionInput, 'idempotencyKey'>): Promise<CaseRecord> {
    return (await this.actOnce(id, action, actor, input)).case;
  }

  /**
   * `act` with an optional client idempotency key (a phone retrying over a flaky
   * network): a key already on one of the case's audit lines means the action
   * was done — the case is returned as it is now and nothing happens twice.
   */
  async actOnce(id: number, action: CaseAction, actor: ActorRef, input: ActionInput): Promise<{ case: CaseRecord; replayed: boolean }> {
    const result = await this.store.atomically(async (tx) => {
      const found = await tx.getCase(id);
      if (!found || !this.visibleTo(found, actor)) throw new TzError('TZ_CASE_NOT_FOUND', `no case ${id}`);
      if (input.idempotencyKey && (await eventWithKey(tx, id, input.idempotencyKey, action))) return { case: found, replayed: true };
      return { case: await this.transitionIn(tx, found, action, actor, input.note ?? null, { ...input, crewId: input.crewId ?? null, idempotencyKey: input.idempotencyKey ?? null }), replayed: false };
    });
    if (!result.replayed) this.opts.hooks?.onOutbox?.();
    return result;
  }

  /** A crew sees only its own cases. */
  visibleTo(c: CaseRecord, actor: ActorRef): boolean {
    return actor.role !== 'crew' || (actor.crewId !== null && c.crewId === actor.crewId);
  }

  /** A progress note (crew update or operator remark); no state change. */
  async addNote(id: number, actor: ActorRef, note: string, detail: Record<string, unknown> = {}, action = 'note'): Promise<{ replayed: boolean }> {
    return this.store.atomically(async (tx) => {
      const c = await tx.getCase(id);
      if (!c || !this.visibleTo(c, actor)) throw new TzError('TZ_CASE_NOT_FOUND', `no case ${id}`);
      if (typeof detail.idempotencyKey === 'string' && (await eventWithKey(tx, id, detail.idempotencyKey, action))) return { replayed: true };
      if (actor.role === 'crew' && !['dispatched', 'in_progress', 'handled'].includes(c.status)) {
        throw new TzError('TZ_CASE_TRANSITION', `a crew can add notes only while the case is dispatched, in progress or handled (it is ${c.status})`);
      }
      if (actor.role === 'readonly') throw new TzError('TZ_FORBIDDEN', 'role readonly may not add notes');
      await tx.appendEvent({ caseId: id, at: this.opts.clock.now(), who: actor.who, action, fromStatus: c.status, toStatus: c.status, note, detail });
      return { replayed: false };
    });
  }

  /** Checks and applies one transition in `tx`; follows register/reopen with auto-dispatch when configured. */
  async transitionIn(tx: CaseTx, c: CaseRecord, action: CaseAction, actor: ActorRef, note: string | null, input: Omit<ActionInput, 'note'>): Promise<CaseRecord> {
    const check = checkTransition(action, c.status, actor.role, note, input.photoId ?? input.evidence);
    if (!check.ok) {
      if (check.reason === 'role') throw new TzError('TZ_FORBIDDEN', check.message, { details: { action, status: c.status } });
      if (check.reason === 'note' || check.reason === 'evidence') throw new TzError('TZ_REQUEST_INVALID', check.message, { details: { action, reason: check.reason } });
      throw new TzError('TZ_CASE_TRANSITION', check.message, { details: { action, status: c.status } });
    }
    if (actor.role === 'crew' && c.crewId !== actor.crewId) throw new TzError('TZ_CASE_NOT_FOUND', `no case ${c.id}`);
    if (actor.role === 'inspector' && !inArea(c, actor.area)) {
      throw new TzError('TZ_FORBIDDEN', `inspector bound to ${actor.area} may not ${action} case ${c.id} (in ${c.gridCell ?? c.district ?? 'no known area'})`, { details: { action, reason: 'area' } });
    }
    const now = this.opts.clock.now();
    const patch: CasePatch = { status: check.to };
    const detail: Record<string, unknown> = input.idempotencyKey ? { idempotencyKey: input.idempotencyKey } : {};
    if (input.photoId) {
      if (!(await tx.getPhoto(c.id, input.photoId))) throw new TzError('TZ_REQUEST_INVALID', `no photo ${input.photoId} on case ${c.id}: upload it first (POST /api/v1/cases/${c.id}/photos)`, { details: { action, reason: 'evidence' } });
      detail.photoId = input.photoId;
    }
    if (input.evidence) detail.evidence = input.evidence;
    // Verification is the supervision centre's: anyone else doing it (admin) is an override, marked in the audit line.
    if (action === 'verify' && actor.role !== 'inspector') detail.override = true;
    if (action === 'verify' || (action === 'rework' && actor.role === 'inspector')) detail.verification = action === 'verify' ? 'passed' : 'failed';
    const previousCrew = c.crewId;
    let notify: CaseNotification['type'] | null = null;

    switch (action) {
      case 'register':
        if (c.dispatchDueAt === null) patch.dispatchDueAt = now + this.sla(c, 'dispatch');
        break;
      case 'dispatch':
      case 'reassign': {
        const crewId = input.crewId ?? (action === 'dispatch' ? await this.autoCrew(tx, c) : null);
        if (!crewId) throw new TzError('TZ_REQUEST_INVALID', action === 'reassign' ? 'reassign needs crewId' : `no active crew serves ${c.district ?? 'this place'} for ${c.category}: name a crewId`);
        const crew = await tx.getCrew(crewId);
        if (!crew || !crew.active) throw new TzError('TZ_CREW_NOT_FOUND', `no active crew ${crewId}`);
        if (action === 'reassign' && crewId === c.crewId) throw new TzError('TZ_REQUEST_INVALID', `case ${c.id} is already with crew ${crewId}`);
        patch.crewId = crewId;
        // The SLA clock runs from the first dispatch; a new crew does not reset it.
        if (c.handleDueAt === null) patch.handleDueAt = now + this.sla(c, 'handle');
        detail.crewId = crewId;
        detail.manual = input.crewId !== null && input.crewId !== undefined;
        notify = action === 'dispatch' ? 'case.dispatched' : 'case.reassigned';
        break;
      }
      case 'return':
        patch.crewId = null;
        detail.returnedBy = c.crewId;
        break;
      case 'handle':
        patch.verifyDueAt = now + this.sla(c, 'verify');
        break;
      case 'rework':
        patch.reworkCount = c.reworkCount + 1;
        patch.verifyDueAt = null;
        patch.handleDueAt = now + this.sla(c, 'handle');
        notify = 'case.rework';
        break;
      case 'close':
      case 'reject':
      case 'cancel':
        patch.closedAt = now;
        if (action === 'cancel' && c.crewId) notify = 'case.cancelled';
        break;
      case 'reopen':
        patch.reworkCount = c.reworkCount + 1;
        patch.closedAt = null;
        patch.dispatchDueAt = now + this.sla(c, 'dispatch');
        patch.handleDueAt = null;
        patch.verifyDueAt = null;
        patch.dueAt = now + this.sla(c, 'dispatch') + this.sla(c, 'handle') + this.sla(c, 'verify');
        detail.rework = true;
        break;
      default:
        break;
    }
    // A new SLA stage starts un-escalated (accepting a dispatched case does not: the handle clock keeps running).
    if (currentStage({ ...c, ...patch })?.stage !== currentStage(c)?.stage || action === 'rework' || action === 'reopen') {
      patch.escalationLevel = 0;
      patch.overdueStage = null;
    }
    const updated = await tx.updateCase(c.id, c.version, patch, now);
    if (!updated) throw new TzError('TZ_CASE_TRANSITION', `case ${c.id} was changed meanwhile; reload it and try again`, { retryable: true, details: { reason: 'conflict' } });
    const deadlines = { dispatchDueAt: updated.dispatchDueAt, handleDueAt: updated.handleDueAt, verifyDueAt: updated.verifyDueAt, dueAt: updated.dueAt };
    await tx.appendEvent({ caseId: c.id, at: now, who: actor.who, action, fromStatus: c.status, toStatus: updated.status, note, detail: { ...detail, ...deadlines } });
    this.opts.hooks?.onTransition?.(action, updated);

    if (action === 'register') await this.opts.alerts?.(tx, updated, 'case.opened', { crewId: null, note });
    if (action === 'reopen' || action === 'close') await this.opts.alerts?.(tx, updated, action === 'close' ? 'case.closed' : 'case.reopened', { crewId: updated.crewId, note });
    if (notify) await this.notifyCrew(tx, updated, notify, updated.crewId, { note });
    if (action === 'reassign' && previousCrew && previousCrew !== updated.crewId) await this.notifyCrew(tx, updated, 'case.reassigned', previousCrew, { note });
    if (action === 'close') await this.closeAlarmsOf(tx, updated, actor, note);
    if ((action === 'register' || action === 'reopen') && this.opts.config.autoDispatch) return this.autoDispatch(tx, updated);
    return updated;
  }

  private async autoCrew(tx: CaseTx, c: CaseRecord): Promise<string | null> {
    const choice = chooseCrew(c, await tx.listCrews(), await tx.openCaseCounts());
    return choice?.crew.id ?? null;
  }

  private async autoDispatch(tx: CaseTx, c: CaseRecord): Promise<CaseRecord> {
    const choice = chooseCrew(c, await tx.listCrews(), await tx.openCaseCounts());
    if (!choice) {
      await tx.appendEvent({ caseId: c.id, at: this.opts.clock.now(), who: SYSTEM_ACTOR.who, action: 'dispatch-pending', fromStatus: c.status, toStatus: c.status,
        note: `no active crew serves ${c.district ?? 'this place'} for ${c.category}; a dispatcher must choose one`, detail: {} });
      this.opts.hooks?.onUnassigned?.(c);
      return c;
    }
    return this.transitionIn(tx, c, 'dispatch', SYSTEM_ACTOR, `auto-dispatch by ${choice.matchedBy}`, { crewId: choice.crew.id });
  }

  /** Queues a notification for a crew: MQTT (when enabled) and its webhook (when it has one). */
  async notifyCrew(tx: CaseTx, c: CaseRecord, type: CaseNotification['type'], crewId: string | null, extra: { note?: string | null; escalation?: CaseNotification['escalation'] }): Promise<void> {
    const now = this.opts.clock.now();
    const body = (): string => JSON.stringify({ notificationId: randomUUID(), type, at: new Date(now).toISOString(), crewId, case: caseSummary(c), ...extra } satisfies CaseNotification);
    await this.opts.alerts?.(tx, c, type, { crewId, ...extra });
    if (crewId) {
      if (this.opts.mqttEnabled) await tx.enqueue(c.id, { channel: 'mqtt', target: topics.crewCases(crewId), payload: body() }, now);
      const crew = await tx.getCrew(crewId);
      if (crew?.webhookUrl) await tx.enqueue(c.id, { channel: 'webhook', target: crew.webhookUrl, payload: body() }, now);
    }
  }

  private async closeAlarmsOf(tx: CaseTx, c: CaseRecord, actor: ActorRef, note: string | null): Promise<void> {
    if (!this.opts.alarmCloseEnabled) return;
    const alarmIds = (await tx.alarmsOf(c.id)).filter((a) => a.state !== 'closed').map((a) => a.alarmId);
    if (alarmIds.length === 0) return;
    await tx.enqueue(c.id, { channel: 'alarms', target: 'close', payload: JSON.stringify({ alarmIds, caseId: String(c.id), by: actor.who, note }) }, this.opts.clock.now());
  }

  /**
   * Flags and escalates overdue cases: level 1 at the stage deadline, one more
   * level per further stage allowance, up to MAX_ESCALATION_LEVEL. Idempotent:
   * running it twice at the same time escalates nothing more.
   */
  async runSlaCheck(): Promise<number> {
    const now = this.opts.clock.now();
    const escalated = await this.store.atomically(async (tx) => {
      let count = 0;
      for (let offset = 0; ; offset += 1000) {
        const open = await tx.listCases({ status: 'open', limit: 1000, offset });
        for (const c of open) if (await this.escalateIfDue(tx, c, now)) count += 1;
        if (open.length < 1000) break;
      }
      // Alarm event ids are kept a week: at-least-once redelivery comes much sooner.
      await tx.forgetAlarmEventsBefore(now - 7 * 24 * 3_600_000);
      return count;
    });
    if (escalated > 0) this.opts.hooks?.onOutbox?.();
    return escalated;
  }

  private async escalateIfDue(tx: CaseTx, c: CaseRecord, now: number): Promise<boolean> {
    if (!isOpenStatus(c.status)) return false;
    const stage = currentStage(c);
    if (!stage || now <= stage.dueAt) return false;
    const allowance = this.sla(c, stage.stage);
    const level = Math.min(MAX_ESCALATION_LEVEL, 1 + Math.floor((now - stage.dueAt) / allowance));
    if (level <= c.escalationLevel && c.overdueStage === stage.stage) return false;
    const updated = await tx.updateCase(c.id, c.version, { escalationLevel: level, overdueStage: stage.stage }, now);
    if (!updated) return false;
    const escalation = { stage: stage.stage, level, dueAt: new Date(stage.dueAt).toISOString() };
    await tx.appendEvent({ caseId: c.id, at: now, who: 'sla-checker', action: 'escalated', fromStatus: c.status, toStatus: c.status,
      note: `${stage.stage} deadline passed ${Math.round((now - stage.dueAt) / 60_000)} min ago; escalation level ${level}`, detail: escalation });
    const dept = this.opts.config.departments.find((d) => d.id === c.department);
    if (dept?.escalationUrl) {
      await tx.enqueue(c.id, { channel: 'webhook', target: dept.escalationUrl, payload: JSON.stringify({
        notificationId: randomUUID(), type: 'case.escalated', at: new Date(now).toISOString(), crewId: c.crewId, case: caseSummary(updated), escalation,
      } satisfies CaseNotification) }, now);
    }
    await this.notifyCrew(tx, updated, 'case.escalated', updated.crewId, { escalation });
    this.opts.hooks?.onEscalation?.(stage.stage, level);
    return true;
  }

  /** Statuses in which a repeat alarm only joins the case; before dispatch a clear is worth a note. */
  static beforeDispatch(status: CaseStatus): boolean {
    return status === 'reported' || status === 'registered';
  }
}

/** An unbound inspector works city-wide; a bound one where the case's district or grid cell is its area. */
function inArea(c: Pick<CaseRecord, 'district' | 'gridCell'>, area: string | null | undefined): boolean {
  return !area || c.district === area || c.gridCell === area;
}

/**
 * The audit line that carries a client idempotency key, if any. The key is kept
 * in the line's detail, so every store implementation has it without a schema
 * change; a key reused for a different action is refused.
 */
export async function eventWithKey(tx: CaseTx, caseId: number, key: string, action: string): Promise<CaseEventRecord | null> {
  const found = (await tx.eventsOf(caseId)).find((e) => e.detail.idempotencyKey === key) ?? null;
  if (found && found.action !== action) {
    throw new TzError('TZ_REQUEST_INVALID', `Idempotency-Key ${key} was already used for "${found.action}" on case ${caseId}, not "${action}"`, { details: { reason: 'idempotency-key-reused' } });
  }
  return found;
}
