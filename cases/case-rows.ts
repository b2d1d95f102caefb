import type { CaseEventRecord, CaseRecord, CaseStatus, Crew, OutboxMessage } from './model.ts';
import type { Subscription } from './subscriptions.ts';

// Rows of the case tables as both stores read them (SQLite and PostgreSQL have
// the same columns). Only flags differ: SQLite gives 0/1, PostgreSQL booleans;
// `Boolean()` reads both, and each store says how it writes one.

/** A flag column: 0/1 in SQLite, boolean in PostgreSQL. */
type Flag = number | boolean;

export interface CaseRow {
  id: number; status: string; category: string; department: string; priority: string; title: string; description: string; source: string;
  asset_id: string | null; incident_id: string | null; gateway_id: string | null; district: string | null; grid_cell: string | null;
  lat: number | null; long: number | null; address: string | null; crew_id: string | null;
  dispatch_due_at: number | null; handle_due_at: number | null; verify_due_at: number | null; due_at: number | null;
  escalation_level: number; overdue_stage: string | null; rework_count: number; cleared_before_dispatch: Flag;
  open311_token: string | null; reporter: string | null; media_url: string | null;
  created_at: number; updated_at: number; closed_at: number | null; version: number;
}

/** Record field → column, for inserts and patches. */
export const CASE_COLUMNS: Record<keyof Omit<CaseRecord, 'id'>, keyof CaseRow> = {
  status: 'status', category: 'category', department: 'department', priority: 'priority', title: 'title', description: 'description', source: 'source',
  assetId: 'asset_id', incidentId: 'incident_id', gatewayId: 'gateway_id', district: 'district', gridCell: 'grid_cell', lat: 'lat', long: 'long',
  address: 'address', crewId: 'crew_id', dispatchDueAt: 'dispatch_due_at', handleDueAt: 'handle_due_at', verifyDueAt: 'verify_due_at', dueAt: 'due_at',
  escalationLevel: 'escalation_level', overdueStage: 'overdue_stage', reworkCount: 'rework_count', clearedBeforeDispatch: 'cleared_before_dispatch',
  open311Token: 'open311_token', reporter: 'reporter', mediaUrl: 'media_url', createdAt: 'created_at', updatedAt: 'updated_at', closedAt: 'closed_at',
  version: 'version',
};

/** A record field's value as its column holds it; `flag` writes a boolean the store's way. */
export function caseColumnValue(key: keyof Omit<CaseRecord, 'id'>, value: unknown, flag: (b: boolean) => Flag): unknown {
  if (key === 'reporter') return value === null || value === undefined ? null : JSON.stringify(value);
  if (key === 'clearedBeforeDispatch') return flag(Boolean(value));
  return value ?? null;
}

export function caseOf(row: CaseRow): CaseRecord {
  return {
    id: row.id, status: row.status as CaseStatus, category: row.category, department: row.department, priority: row.priority as CaseRecord['priority'],
    title: row.title, description: row.description, source: row.source as CaseRecord['source'], assetId: row.asset_id, incidentId: row.incident_id,
    gatewayId: row.gateway_id, district: row.district, gridCell: row.grid_cell, lat: row.lat, long: row.long, address: row.address, crewId: row.crew_id,
    dispatchDueAt: row.dispatch_due_at, handleDueAt: row.handle_due_at, verifyDueAt: row.verify_due_at, dueAt: row.due_at,
    escalationLevel: row.escalation_level, overdueStage: row.overdue_stage as CaseRecord['overdueStage'], reworkCount: row.rework_count,
    clearedBeforeDispatch: Boolean(row.cleared_before_dispatch), open311Token: row.open311_token,
    reporter: row.reporter === null ? null : (JSON.parse(row.reporter) as CaseRecord['reporter']), mediaUrl: row.media_url,
    createdAt: row.created_at, updatedAt: row.updated_at, closedAt: row.closed_at, version: row.version,
  };
}

export interface EventRow { id: number; case_id: number; at: number; who: string; action: string; from_status: string | null; to_status: string | null; note: string | null; detail: string }
export const eventOf = (r: EventRow): CaseEventRecord => ({
  id: r.id, caseId: r.case_id, at: r.at, who: r.who, action: r.action, fromStatus: r.from_status as CaseStatus | null,
  toStatus: r.to_status as CaseStatus | null, note: r.note, detail: JSON.parse(r.detail) as Record<string, unknown>,
});

export interface OutboxRow { id: number; case_id: number; channel: string; target: string; payload: string; state: string; attempts: number; next_attempt_at: number; created_at: number; delivered_at: number | null; last_error: string | null; dedup_key: string | null; subscription_id: string | null }
export const outboxOf = (r: OutboxRow): OutboxMessage => ({
  id: r.id, caseId: r.case_id, channel: r.channel as OutboxMessage['channel'], target: r.target, payload: r.payload, state: r.state as OutboxMessage['state'],
  attempts: r.attempts, nextAttemptAt: r.next_attempt_at, createdAt: r.created_at, deliveredAt: r.delivered_at, lastError: r.last_error,
  dedupKey: r.dedup_key, subscriptionId: r.subscription_id,
});

export interface SubscriptionRow { id: string; doc: string; source: string; created_at: number; updated_at: number }
export const subscriptionOf = (r: SubscriptionRow): Subscription => ({
  ...(JSON.parse(r.doc) as Omit<Subscription, 'id' | 'source' | 'createdAt' | 'updatedAt'>), id: r.id, source: r.source as Subscription['source'], createdAt: r.created_at, updatedAt: r.updated_at,
});

export interface CrewRow { id: string; name: string; department: string; districts: string; grid_cells: string; skills: string; webhook_url: string | null; active: Flag }
export const crewOf = (r: CrewRow): Crew => ({
  id: r.id, name: r.name, department: r.department, districts: JSON.parse(r.districts) as string[], gridCells: JSON.parse(r.grid_cells) as string[],
  skills: JSON.parse(r.skills) as string[], webhookUrl: r.webhook_url, active: Boolean(r.active),
});
