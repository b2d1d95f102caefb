import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { TzError, type AccessTokens, type Clock } from '../service-kit/index.ts';
import { categoryLabel, type CaseConfig, type CategoryConfig } from './config.ts';
import type { CaseWorkflow } from './case-workflow.ts';
import { installErrorHandler, parse } from './http-errors.ts';
import { FINAL_STATUSES, type CaseRecord, type CaseStatus } from './model.ts';
import { rateCase, ratingBody } from './rating.ts';
import { timingSafeEqual } from 'node:crypto';

// Open311 GeoReport v2 (https://wiki.open311.org/GeoReport_v2) under
// /open311/v2/, JSON format, one jurisdiction (jurisdiction_id is accepted and
// ignored). Field names are the spec's. Reading is public; creating needs an
// api_key, which is an API token of role operator, dispatcher or admin (the
// 12345 hotline's or a citizen app's integration account). Our finer states
// travel in `status_notes`, as the spec suggests; `status` is open | closed.

const STATUS_NOTES: Record<CaseStatus, string> = {
  reported: 'reported: received, waiting to be registered',
  registered: 'registered: accepted as a case, waiting for dispatch',
  dispatched: 'dispatched: assigned to a maintenance crew',
  in_progress: 'in_progress: the crew is working on it',
  handled: 'handled: the crew reports it fixed, waiting for verification',
  verified: 'verified: the repair was checked on site',
  closed: 'closed: resolved',
  rejected: 'rejected: not a case for the city',
  cancelled: 'cancelled',
};

const coordinate = (min: number, max: number) => z.coerce.number().min(min).max(max);
const createBody = z.object({
  api_key: z.string().min(1, 'api_key is required'),
  jurisdiction_id: z.string().optional(),
  service_code: z.string().min(1, 'service_code is required'),
  lat: coordinate(-90, 90).optional(),
  long: coordinate(-180, 180).optional(),
  address_string: z.string().max(400).optional(),
  address_id: z.string().max(100).optional(),
  email: z.email().optional(),
  device_id: z.string().max(100).optional(),
  account_id: z.string().max(100).optional(),
  first_name: z.string().max(100).optional(),
  last_name: z.string().max(100).optional(),
  phone: z.string().max(40).optional(),
  description: z.string().max(4000).optional(),
  media_url: z.url().optional(),
}).refine((b) => (b.lat !== undefined && b.long !== undefined) || b.address_string || b.address_id, { message: 'a location is required: lat and long, address_string or address_id' });

const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date());
const listQuery = z.object({
  jurisdiction_id: z.string().optional(),
  service_request_id: z.string().regex(/^\d+(,\d+)*$/, 'comma-separated request ids').optional(),
  service_code: z.string().optional(),
  start_date: isoDate.optional(),
  end_date: isoDate.optional(),
  status: z.enum(['open', 'closed']).optional(),
});

export interface Open311Deps {
  workflow: CaseWorkflow;
  access: AccessTokens;
  config: Readonly<CaseConfig>;
  clock: Clock;
}

function open311Error(status: number, description: string) {
  return [{ code: status, description }];
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export async function registerOpen311(scope: FastifyInstance, deps: Open311Deps): Promise<void> {
  const { workflow, config, clock } = deps;
  const services = config.categories.filter((c) => c.public);
  const byCode = new Map(services.map((c) => [c.code, c]));
  const departments = new Map(config.departments.map((d) => [d.id, d.name]));
  installErrorHandler(scope, 'open311', (status, _code, message) => open311Error(status, message.replace(/^TZ_[A-Z_]+: /, '')));
  // The spec posts application/x-www-form-urlencoded; JSON is accepted too.
  scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string' }, (_req, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(String(body))));
  });

  // The standard's code and Chinese name first (GB/T 30428.2), e.g. "部件 01 公用设施 / 0102 污水井盖 · ".
  const standardText = (c: CategoryConfig): string => {
    const l = categoryLabel(config, c.code);
    return l.code ? `${l.kindZh} ${l.classCode} ${l.className} / ${l.code} ${l.nameZh} · ` : '';
  };
  const serviceOf = (c: CategoryConfig) => ({
    service_code: c.code,
    service_name: c.name,
    description: `${standardText(c)}${c.kind === 'component' ? 'Component (部件)' : 'Event (事件)'} · ${c.group} · handled by ${departments.get(c.department) ?? c.department}`,
    metadata: false,
    type: 'realtime',
    keywords: [c.code, c.group, c.kind].join(','),
    group: c.group,
  });

  const requestOf = (c: CaseRecord) => {
    return {
      service_request_id: String(c.id),
      status: FINAL_STATUSES.includes(c.status) ? 'closed' : 'open',
      status_notes: STATUS_NOTES[c.status],
      service_name: byCode.get(c.category)?.name ?? c.category,
      service_code: c.category,
      description: c.description || c.title,
      agency_responsible: departments.get(c.department) ?? c.department,
      service_notice: null,
      requested_datetime: iso(c.createdAt),
      updated_datetime: iso(c.updatedAt),
      expected_datetime: iso(c.dueAt),
      address: c.address,
      address_id: null,
      zipcode: null,
      lat: c.lat,
      long: c.long,
      media_url: c.mediaUrl,
    };
  };

  const requireJson = (format: string): void => {
    if (format !== 'json') throw new TzError('TZ_REQUEST_INVALID', `format ${format} is not served; use .json`);
  };

  scope.get('/open311/v2/services.:format', async (req) => {
    requireJson((req.params as { format: string }).format);
    return services.map(serviceOf);
  });

  scope.get('/open311/v2/services/:code.:format', async (req) => {
    const { code, format } = req.params as { code: string; format: string };
    requireJson(format);
    if (!byCode.has(code)) throw new TzError('TZ_OPEN311_SERVICE', `service_code ${code} not found`);
    return { service_code: code, attributes: [] };
  });

  scope.get('/open311/v2/requests.:format', async (req) => {
    requireJson((req.params as { format: string }).format);
    const q = parse(listQuery, req.query, 'query');
    const now = clock.now();
    const end = q.end_date ? Date.parse(q.end_date) : now + 1;
    const start = q.start_date ? Date.parse(q.start_date) : end - 90 * 24 * 3_600_000;
    const ids = q.service_request_id?.split(',').map(Number);
    const cases = await workflow.store.atomically((tx) => tx.listCases({
      ...(ids ? { ids } : { createdFrom: start, createdTo: end }),
      ...(q.service_code ? { category: q.service_code } : {}),
      limit: 1000,
    }));
    return cases
      .filter((c) => byCode.has(c.category))
      .filter((c) => !q.status || (FINAL_STATUSES.includes(c.status) ? 'closed' : 'open') === q.status)
      .map(requestOf);
  });

  scope.get('/open311/v2/requests/:id.:format', async (req) => {
    const { id, format } = req.params as { id: string; format: string };
    requireJson(format);
    const n = Number(id);
    const c = Number.isInteger(n) && n > 0 ? await workflow.store.atomically((tx) => tx.getCase(n)) : null;
    if (!c || !byCode.has(c.category)) throw new TzError('TZ_CASE_NOT_FOUND', `service_request_id ${id} not found`);
    return [requestOf(c)];
  });

  scope.get('/open311/v2/tokens/:token.:format', async (req) => {
    const { token, format } = req.params as { token: string; format: string };
    requireJson(format);
    const c = await workflow.store.atomically((tx) => tx.getCaseByToken(token));
    if (!c) throw new TzError('TZ_CASE_NOT_FOUND', `token ${token} not found`);
    return [{ service_request_id: String(c.id), token }];
  });

  // Not in GeoReport v2: the citizen's rating (评价) of a closed request, once.
  // Proof of being the reporter: the request's token (returned at creation) or
  // the api_key the request was filed with.
  scope.post('/open311/v2/requests/:id/rating.:format', async (req, reply) => {
    // The proof of being the reporter is checked before anything else (the format included): no proof, no answer about the request.
    const { id, format } = req.params as { id: string; format: string };
    const raw = (req.body ?? {}) as { token?: unknown; api_key?: unknown; stars?: unknown; comment?: unknown };
    const n = Number(id);
    const c = Number.isInteger(n) && n > 0 ? await workflow.store.atomically((tx) => tx.getCase(n)) : null;
    const sameToken = (a: string, b: string | null): boolean => b !== null && a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
    let who: string | null = null;
    if (c && typeof raw.token === 'string' && sameToken(raw.token, c.open311Token)) who = `open311:token`;
    else if (c && typeof raw.api_key === 'string' && raw.api_key) {
      const principal = await deps.access.verify(raw.api_key);
      const filedWith = principal ? (await workflow.store.atomically((tx) => tx.eventsOf(c.id))).find((e) => e.action === 'report')?.detail.apiKey : undefined;
      if (principal && filedWith === principal.tokenId) who = `open311:${principal.name}#${principal.tokenId}`;
    }
    if (!c || !byCode.has(c.category) || who === null) {
      reply.code(403);
      return open311Error(403, 'token or api_key missing or not the one this request was filed with');
    }
    requireJson(format);
    const body = parse(ratingBody, { stars: raw.stars, ...(typeof raw.comment === 'string' ? { comment: raw.comment } : {}) }, 'rating');
    const rating = await rateCase(workflow.store, clock, c.id, body, { who, channel: 'open311' });
    reply.code(201);
    return [{ service_request_id: String(c.id), stars: rating.stars, satisfaction: rating.satisfaction, satisfaction_zh: rating.satisfactionZh, comment: rating.comment, rated_datetime: rating.at }];
  });

  scope.post('/open311/v2/requests.:format', async (req, reply) => {
    // The key is checked before anything else is looked at: no key, no answer about the request.
    const raw = (req.body ?? {}) as { api_key?: unknown };
    const principal = typeof raw.api_key === 'string' && raw.api_key ? await deps.access.verify(raw.api_key) : null;
    if (!principal || !['admin', 'operator', 'dispatcher'].includes(principal.role)) {
      reply.code(403);
      return open311Error(403, 'api_key is missing, unknown or may not file requests');
    }
    requireJson((req.params as { format: string }).format);
    const body = parse(createBody, req.body ?? {}, 'request');
    const category = byCode.get(body.service_code);
    if (!category) throw new TzError('TZ_OPEN311_SERVICE', `service_code ${body.service_code} not found`);
    const reporter = Object.fromEntries(Object.entries({
      email: body.email, name: [body.first_name, body.last_name].filter(Boolean).join(' ') || undefined, phone: body.phone, deviceId: body.device_id, accountId: body.account_id,
    }).filter(([, v]) => v !== undefined)) as NonNullable<CaseRecord['reporter']>;
    const c = await workflow.create({
      category: category.code, priority: 'normal', title: (body.description ?? category.name).slice(0, 120), description: body.description ?? '',
      source: 'citizen', lat: body.lat ?? null, long: body.long ?? null, address: body.address_string ?? body.address_id ?? null,
      reporter: Object.keys(reporter).length ? reporter : null, mediaUrl: body.media_url ?? null, register: false, detail: { via: 'open311', apiKey: principal.tokenId },
    }, { who: `open311:${principal.name}#${principal.tokenId}`, role: principal.role, crewId: null });
    reply.code(201);
    return [{ service_request_id: String(c.id), token: c.open311Token, service_notice: `expected by ${iso(c.dueAt)}`, account_id: body.account_id ?? null }];
  });
}
