import type { CaseEventRecord, CaseRecord, CaseSummary, OutboxMessage, PhotoRecord, SlaStage } from './model.ts';

// JSON shapes of the HTTP API (ISO 8601 times). Reporter contact never leaves
// through these views.

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** The SLA stage the case is waiting on in its status, and its deadline. */
export function currentStage(c: Pick<CaseRecord, 'status' | 'dispatchDueAt' | 'handleDueAt' | 'verifyDueAt'>): { stage: SlaStage; dueAt: number } | null {
  switch (c.status) {
    case 'reported':
    case 'registered':
      return c.dispatchDueAt === null ? null : { stage: 'dispatch', dueAt: c.dispatchDueAt };
    case 'dispatched':
    case 'in_progress':
      return c.handleDueAt === null ? null : { stage: 'handle', dueAt: c.handleDueAt };
    case 'handled':
      return c.verifyDueAt === null ? null : { stage: 'verify', dueAt: c.verifyDueAt };
    default:
      return null;
  }
}

export function caseSummary(c: CaseRecord): CaseSummary {
  return {
    id: c.id, status: c.status, category: c.category, department: c.department, priority: c.priority, title: c.title, assetId: c.assetId,
    district: c.district, gridCell: c.gridCell, lat: c.lat, long: c.long, address: c.address, crewId: c.crewId, dueAt: iso(c.dueAt),
    stageDueAt: iso(currentStage(c)?.dueAt ?? null),
  };
}

export function caseView(c: CaseRecord, now: number) {
  const stage = currentStage(c);
  return {
    id: c.id, status: c.status, category: c.category, department: c.department, priority: c.priority, title: c.title, description: c.description,
    source: c.source, assetId: c.assetId, incidentId: c.incidentId, gatewayId: c.gatewayId, district: c.district, gridCell: c.gridCell,
    lat: c.lat, long: c.long, address: c.address, crewId: c.crewId,
    deadlines: { dispatch: iso(c.dispatchDueAt), handle: iso(c.handleDueAt), verify: iso(c.verifyDueAt), case: iso(c.dueAt) },
    stage: stage ? { name: stage.stage, dueAt: iso(stage.dueAt), overdue: now > stage.dueAt, remainingMs: stage.dueAt - now } : null,
    overdueStage: c.overdueStage, escalationLevel: c.escalationLevel, reworkCount: c.reworkCount, clearedBeforeDispatch: c.clearedBeforeDispatch,
    mediaUrl: c.mediaUrl, createdAt: iso(c.createdAt), updatedAt: iso(c.updatedAt), closedAt: iso(c.closedAt), version: c.version,
  };
}

export function eventView(e: CaseEventRecord) {
  return { id: e.id, at: iso(e.at), who: e.who, action: e.action, from: e.fromStatus, to: e.toStatus, note: e.note, detail: e.detail };
}

export function photoView(p: PhotoRecord) {
  return { id: p.id, mime: p.mime, size: p.size, sha256: p.sha256, uploadedBy: p.uploadedBy, at: iso(p.at), url: `/api/v1/cases/${p.caseId}/photos/${p.id}` };
}

export function outboxView(m: OutboxMessage) {
  return {
    id: m.id, caseId: m.caseId, channel: m.channel, target: m.target, state: m.state, attempts: m.attempts, nextAttemptAt: iso(m.nextAttemptAt),
    createdAt: iso(m.createdAt), deliveredAt: iso(m.deliveredAt), lastError: m.lastError, dedupKey: m.dedupKey ?? null, subscriptionId: m.subscriptionId ?? null,
  };
}
