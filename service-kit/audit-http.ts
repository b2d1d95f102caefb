import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireRole, type AccessTokens } from './access.ts';
import type { AuditLog, AuditResult } from './audit.ts';
import { actorOf } from './actor.ts';
import { parseRequest } from './http-errors.ts';

// The audit log over HTTP: read by admins only, and written for every
// changing request whose route a service names. Only the route, its path
// parameters, the caller and the status are recorded, never a body (bodies
// may carry passwords or webhook secrets).

/** The audit action of a changing route (`POST /api/v1/rules`), or null when it is not audited. */
export type AuditedRoute = (method: string, route: string, params: Record<string, string>) => string | null;

function resultOf(status: number): AuditResult {
  if (status < 400) return 'ok';
  return status === 401 || status === 403 ? 'denied' : 'failed';
}

function targetOf(params: Record<string, string>): string {
  return params.id ?? params.crewId ?? params.deviceId ?? params.gatewayId ?? '';
}

/** Appends one audit record per finished request the table names (successful or not). */
export function recordHttpChanges(app: FastifyInstance, audit: AuditLog, audited: AuditedRoute): void {
  app.addHook('onResponse', async (request: FastifyRequest, reply) => {
    if (request.method === 'GET' || request.method === 'HEAD' || request.method === 'OPTIONS') return;
    const route = request.routeOptions.url;
    if (!route) return;
    const params = (request.params ?? {}) as Record<string, string>;
    const action = audited(request.method, route, params);
    if (!action) return;
    const p = request.principal;
    audit.append({
      actor: actorOf(p), action, target: targetOf(params), result: resultOf(reply.statusCode),
      details: { status: reply.statusCode, route: `${request.method} ${route}`, ...(p ? { tokenId: p.tokenId, role: p.role } : {}), ...(request.ip ? { ip: request.ip } : {}) },
    });
  });
}

const AuditQuerySchema = z.object({
  actor: z.string().min(1).max(200).optional(),
  action: z.string().min(1).max(100).optional(),
  from: z.string().datetime({ offset: true }).optional(),
  to: z.string().datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(10_000).optional(),
});

/** `GET /api/v1/audit?actor=&action=&from=&to=&limit=` (admin only), newest first. */
export function registerAuditApi(app: FastifyInstance, deps: { access: AccessTokens; audit: AuditLog }): void {
  app.get('/api/v1/audit', { preHandler: requireRole(deps.access, ['admin']) }, async (request) => {
    const q = parseRequest(AuditQuerySchema, request.query, 'query');
    const records = deps.audit.list({
      ...(q.actor ? { actor: q.actor } : {}), ...(q.action ? { action: q.action } : {}),
      ...(q.from ? { from: Date.parse(q.from) } : {}), ...(q.to ? { to: Date.parse(q.to) } : {}), ...(q.limit ? { limit: q.limit } : {}),
    });
    return { records: records.map((r) => ({ ...r, at: new Date(r.at).toISOString() })) };
  });
}
