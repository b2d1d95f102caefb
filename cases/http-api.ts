import multipart from '@fastify/multipart';
import { createReadStream } from 'node:fs';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireRole, TzError, type AccessTokens, type Clock, type Role, actorOf } from '../service-kit/index.ts';
import { categoryLabel, type CaseConfig } from './config.ts';
import { eventWithKey, type ActorRef, type CaseWorkflow } from './case-workflow.ts';
import { computeKpis, kpisBy } from './kpis.ts';
import { cityInstant } from './city-time.ts';
import { buildMonthlyReport, casesWithTrails, monthlyReportCsv, monthlyReportHtml } from './monthly-report.ts';
import { htmlToPdf } from './report-pdf.ts';
import type { CaseMetrics } from './metrics.ts';
import { CASE_SOURCES, CASE_STATUSES, OUTBOX_CHANNELS, PRIORITIES, type CaseRecord } from './model.ts';
import type { PhotoFolder } from './photos.ts';
import { CASE_ACTIONS, actionsFrom } from './transitions.ts';
import { installErrorHandler, parse } from './http-errors.ts';
import { caseView, eventView, outboxView, photoView } from './views.ts';
import { callerPhone, rateCase, ratingBody, ratingOf } from './rating.ts';
import type { PhotoRecord } from './model.ts';

// /api/v1/cases…, /api/v1/crews…, /api/v1/kpis, /api/v1/outbox. Every route
// needs a bearer token; the role decides what it may do and a crew token sees
// only its own crew's cases (others answer 404, so ids do not leak).

const ALL: readonly Role[] = ['operator', 'dispatcher', 'crew', 'readonly', 'inspector'];
const DESK: readonly Role[] = ['operator', 'dispatcher'];
/** Who acts on cases: the command centre, crews, and the supervision centre's inspectors. */
const ACTORS: readonly Role[] = ['operator', 'dispatcher', 'crew', 'inspector'];
const WATCH: readonly Role[] = ['operator', 'dispatcher', 'readonly'];

const text = (max: number) => z.string().trim().min(1).max(max);
const idParam = z.object({ id: z.coerce.number().int().positive() });
const listQuery = z.object({
  status: z.enum([...CASE_STATUSES, 'open']).optional(),
  category: z.string().max(64).optional(),
  district: z.string().max(64).optional(),
  crewId: z.string().max(64).optional(),
  assetId: z.string().max(64).optional(),
  source: z.enum(CASE_SOURCES).optional(),
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  offset: z.coerce.number().int().min(0).default(0),
});
const newCase = z.strictObject({
  category: z.string().min(1).max(64),
  priority: z.enum(PRIORITIES).default('normal'),
  title: text(200),
  description: z.string().max(4000).optional(),
  source: z.enum(['inspector', 'citizen', 'hotline', 'operator']).default('operator'),
  assetId: z.string().max(64).nullable().optional(),
  district: z.string().max(64).nullable().optional(),
  gridCell: z.string().max(64).nullable().optional(),
  lat: z.number().min(-90).max(90).nullable().optional(),
  long: z.number().min(-180).max(180).nullable().optional(),
  address: z.string().max(400).nullable().optional(),
  register: z.boolean().default(true),
  /** 12345 hotline: the caller's number, stored masked (and hashed), never in clear. */
  callerPhone: z.string().regex(/^[+\d][\d -]{5,19}$/, 'a phone number').optional(),
});
const actionBody = z.strictObject({
  note: z.string().max(4000).nullable().optional(),
  crewId: z.string().max(64).nullable().optional(),
  /** Verification evidence (verify, rework): a photo uploaded to the case … */
  photoId: z.uuid().nullable().optional(),
  /** … or an explicit reference (e.g. a 12345 call-back record). */
  evidence: z.string().trim().min(1).max(400).nullable().optional(),
}).default({});
const noteBody = z.strictObject({ note: text(4000) });
/** A client-generated key (a UUID, say) that makes a retried POST harmless; see idempotencyKeyOf. */
const idempotencyKey = z.string().regex(/^[A-Za-z0-9_.:-]{8,128}$/, 'Idempotency-Key must be 8–128 letters, digits or _ . : -');
const crewBody = z.strictObject({
  id: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/),
  name: text(200),
  department: z.string().min(1).max(64),
  districts: z.array(z.string().min(1)).default(['*']),
  gridCells: z.array(z.string().min(1)).default([]),
  skills: z.array(z.string().min(1)).default(['*']),
  webhookUrl: z.url().nullable().default(null),
  active: z.boolean().default(true),
});
const kpiQuery = z.object({
  from: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  to: z.iso.datetime({ offset: true }).or(z.iso.date()).optional(),
  district: z.string().max(64).optional(),
  /** Also the same figures per district, department or category (code + Chinese name). */
  groupBy: z.enum(['district', 'department', 'category']).optional(),
});
const monthlyQuery = z.object({
  month: z.string().regex(/^\d{4}-(0[1-9]|1[0-2])$/, 'month is YYYY-MM, e.g. 2026-11'),
  format: z.enum(['json', 'csv', 'html', 'pdf']).default('json'),
});
const outboxQuery = z.object({ state: z.enum(['pending', 'delivered', 'dead']).optional(), channel: z.enum(OUTBOX_CHANNELS).optional(), caseId: z.coerce.number().int().positive().optional(), limit: z.coerce.number().int().min(1).max(1000).default(100) });

export interface CaseApiDeps {
  workflow: CaseWorkflow;
  access: AccessTokens;
  config: Readonly<CaseConfig>;
  clock: Clock;
  photos: PhotoFolder;
  metrics: CaseMetrics;
  kickOutbox(): void;
}

/** The workflow's view of who is acting (who, role, crew, area) from the request's token. */
export function actorRefOf(req: FastifyRequest): ActorRef {
  const p = req.principal;
  if (!p) throw new TzError('TZ_AUTH_REQUIRED', 'no principal on the request');
  return { who: actorOf(p), role: p.role, crewId: p.crewId, area: p.area ?? null };
}

/** The request's `Idempotency-Key` header, checked; undefined when absent. */
export function idempotencyKeyOf(req: FastifyRequest): string | undefined {
  const raw = req.headers['idempotency-key'];
  if (raw === undefined) return undefined;
  return parse(idempotencyKey, Array.isArray(raw) ? raw[0] : raw, 'Idempotency-Key header');
}

export async function registerCaseApi(scope: FastifyInstance, deps: CaseApiDeps): Promise<void> {
  const { workflow, access, clock } = deps;
  const store = workflow.store;
  installErrorHandler(scope, 'cases');
  await scope.register(multipart, { limits: { fileSize: deps.photos.maxBytes, files: 1, fields: 10, parts: 11 } });
  const guard = (roles: readonly Role[]) => ({ preHandler: requireRole(access, roles) });

  async function visibleCase(id: number, actor: ActorRef): Promise<CaseRecord> {
    const c = await store.atomically((tx) => tx.getCase(id));
    if (!c || !workflow.visibleTo(c, actor)) throw new TzError('TZ_CASE_NOT_FOUND', `no case ${id}`);
    return c;
  }

  scope.get('/api/v1/cases', guard(ALL), async (req) => {
    const q = parse(listQuery, req.query, 'query');
    const actor = actorRefOf(req);
    // A crew sees only its own cases, whatever it asks for.
    const query = { ...q, ...(actor.role === 'crew' ? { crewId: actor.crewId ?? '\u0000' } : {}) };
    const [cases, total] = await store.atomically(async (tx) => [await tx.listCases(query), await tx.countCases(query)] as const);
    const now = clock.now();
    return { total, cases: cases.map((c) => ({ ...caseView(c, now), categoryInfo: categoryLabel(deps.config, c.category) })) };
  });

  scope.post('/api/v1/cases', guard([...DESK, 'inspector']), async (req, reply) => {
    const { callerPhone: phone, ...body } = parse(newCase, req.body ?? {}, 'case');
    if (!workflow.knownCategory(body.category)) throw new TzError('TZ_REQUEST_INVALID', `unknown category "${body.category}"; see GET /api/v1/case-categories`);
    const actor = actorRefOf(req);
    // What an inspector finds on patrol is an inspector case, in the inspector's area unless placed otherwise.
    if (actor.role === 'inspector') {
      body.source = 'inspector';
      if (actor.area && !body.district && !body.gridCell && (body.lat === undefined || body.lat === null)) body.district = actor.area;
    }
    if (phone !== undefined && body.source !== 'hotline') throw new TzError('TZ_REQUEST_INVALID', 'callerPhone is for hotline (12345) cases: set source "hotline"');
    const reporter = phone !== undefined ? callerPhone(phone) : null;
    const c = await workflow.create({ ...body, register: body.register, reporter, ...(body.source === 'hotline' ? { detail: { via: 'hotline-12345' } } : {}) }, actor);
    reply.code(201);
    return caseView(c, clock.now());
  });

  scope.get('/api/v1/cases/:id', guard(ALL), async (req) => {
    const { id } = parse(idParam, req.params, 'case id');
    const actor = actorRefOf(req);
    const c = await visibleCase(id, actor);
    const [events, alarms, photos, outbox] = await store.atomically(async (tx) => [await tx.eventsOf(id), await tx.alarmsOf(id), await tx.photosOf(id), await tx.listOutbox({ caseId: id })] as const);
    return {
      ...caseView(c, clock.now()),
      categoryInfo: categoryLabel(deps.config, c.category),
      actions: actionsFrom(c.status),
      alarms: alarms.map((a) => ({ alarmId: a.alarmId, ruleId: a.ruleId, state: a.state, linkedAt: new Date(a.linkedAt).toISOString() })),
      events: events.map(eventView),
      photos: photos.map(photoView),
      rating: ratingOf(events),
      notifications: actor.role === 'crew' ? undefined : outbox.map(outboxView),
    };
  });

  scope.post('/api/v1/cases/:id/actions/:action', guard(ACTORS), async (req, reply) => {
    const { id } = parse(idParam, req.params, 'case id');
    const { action } = parse(z.object({ action: z.enum(CASE_ACTIONS) }), req.params, 'action');
    const body = parse(actionBody, req.body ?? {}, 'body');
    const result = await workflow.actOnce(id, action, actorRefOf(req), { ...body, idempotencyKey: idempotencyKeyOf(req) });
    if (result.replayed) reply.header('idempotent-replayed', 'true');
    return caseView(result.case, clock.now());
  });

  scope.post('/api/v1/cases/:id/notes', guard(ACTORS), async (req, reply) => {
    const { id } = parse(idParam, req.params, 'case id');
    const { note } = parse(noteBody, req.body ?? {}, 'body');
    const key = idempotencyKeyOf(req);
    const { replayed } = await workflow.addNote(id, actorRefOf(req), note, key ? { idempotencyKey: key } : {}, actorRefOf(req).role === 'crew' ? 'update' : 'note');
    if (replayed) reply.header('idempotent-replayed', 'true');
    reply.code(replayed ? 200 : 201);
    return { ok: true };
  });

  scope.post('/api/v1/cases/:id/photos', guard(ACTORS), async (req, reply) => {
    const { id } = parse(idParam, req.params, 'case id');
    const actor = actorRefOf(req);
    const c = await visibleCase(id, actor);
    const key = idempotencyKeyOf(req);
    // A retried upload: answer with the photo the first one stored.
    const earlier = async (): Promise<PhotoRecord | null> => {
      if (!key) return null;
      const line = await store.atomically((tx) => eventWithKey(tx, id, key, 'photo'));
      return line ? store.atomically((tx) => tx.getPhoto(id, String(line.detail.photoId))) : null;
    };
    const first = await earlier();
    if (first) {
      reply.header('idempotent-replayed', 'true');
      return photoView(first);
    }
    if (actor.role === 'crew' && !['dispatched', 'in_progress', 'handled'].includes(c.status)) {
      throw new TzError('TZ_CASE_TRANSITION', `a crew can add photos only while the case is dispatched, in progress or handled (it is ${c.status})`);
    }
    if (!req.isMultipart()) throw new TzError('TZ_REQUEST_INVALID', 'send the photo as multipart/form-data (field "photo")');
    const part = await req.file();
    if (!part) throw new TzError('TZ_REQUEST_INVALID', 'no file in the upload (field "photo")');
    let bytes: Buffer;
    try {
      bytes = await part.toBuffer();
    } catch (err) {
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
        deps.metrics.photosRejected.inc({ reason: 'too-large' });
        throw new TzError('TZ_PHOTO_TOO_LARGE', `the photo is larger than ${deps.photos.maxBytes} bytes`, { details: { reason: 'too-large' } });
      }
      throw err;
    }
    let stored;
    try {
      stored = await deps.photos.save(id, bytes);
    } catch (err) {
      if (err instanceof TzError && (err.code === 'TZ_PHOTO_INVALID' || err.code === 'TZ_PHOTO_TOO_LARGE')) deps.metrics.photosRejected.inc({ reason: String(err.details.reason ?? 'type') });
      throw err;
    }
    const caption = typeof (part.fields.caption as { value?: unknown } | undefined)?.value === 'string' ? String((part.fields.caption as { value: string }).value).slice(0, 500) : null;
    const at = clock.now();
    let duplicate: PhotoRecord | null = null;
    try {
      duplicate = await store.atomically(async (tx) => {
        // The same key may have raced in while this upload was being written.
        const line = key ? await eventWithKey(tx, id, key, 'photo') : null;
        if (line) return tx.getPhoto(id, String(line.detail.photoId));
        await tx.addPhoto({ id: stored.id, caseId: id, file: stored.file, mime: stored.mime, size: stored.size, sha256: stored.sha256, uploadedBy: actor.who, at });
        await tx.appendEvent({ caseId: id, at, who: actor.who, action: 'photo', fromStatus: c.status, toStatus: c.status, note: caption, detail: { photoId: stored.id, mime: stored.mime, size: stored.size, sha256: stored.sha256, ...(key ? { idempotencyKey: key } : {}) } });
        return null;
      });
    } catch (err) {
      await deps.photos.remove(stored.file);
      throw err;
    }
    if (duplicate) {
      await deps.photos.remove(stored.file);
      reply.header('idempotent-replayed', 'true');
      return photoView(duplicate);
    }
    reply.code(201);
    return photoView({ ...stored, caseId: id, uploadedBy: actor.who, at });
  });

  scope.get('/api/v1/cases/:id/photos/:photoId', guard(ALL), async (req, reply) => {
    const { id } = parse(idParam, req.params, 'case id');
    const { photoId } = parse(z.object({ photoId: z.uuid() }), req.params, 'photo id');
    await visibleCase(id, actorRefOf(req));
    const photo = await store.atomically((tx) => tx.getPhoto(id, photoId));
    if (!photo) throw new TzError('TZ_CASE_NOT_FOUND', `no photo ${photoId} on case ${id}`);
    reply.header('content-type', photo.mime).header('x-content-type-options', 'nosniff').header('cache-control', 'private, max-age=86400');
    return reply.send(createReadStream(deps.photos.pathOf(photo.file)));
  });

  // The hotline's call-back: the dispatcher records what the caller said (评价).
  scope.post('/api/v1/cases/:id/rating', guard(DESK), async (req, reply) => {
    const { id } = parse(idParam, req.params, 'case id');
    const body = parse(ratingBody, req.body ?? {}, 'rating');
    reply.code(201);
    return rateCase(store, clock, id, body, { who: actorRefOf(req).who, channel: 'api' });
  });

  scope.get('/api/v1/case-categories', guard(ALL), async () => ({
    sla: deps.config.sla,
    departments: deps.config.departments.map((d) => ({ id: d.id, name: d.name })),
    categories: deps.config.categories.map((c) => ({ ...c, standard: categoryLabel(deps.config, c.code) })),
  }));

  scope.get('/api/v1/crews', guard(ALL), async () => {
    const [crews, load] = await store.atomically(async (tx) => [await tx.listCrews(), await tx.openCaseCounts()] as const);
    return { crews: crews.map((c) => ({ ...c, openCases: load.get(c.id) ?? 0 })) };
  });

  const saveCrew = async (body: unknown) => {
    const crew = parse(crewBody, body ?? {}, 'crew');
    if (!deps.config.departments.some((d) => d.id === crew.department)) throw new TzError('TZ_REQUEST_INVALID', `unknown department "${crew.department}"`);
    for (const s of crew.skills) if (s !== '*' && !workflow.knownCategory(s)) throw new TzError('TZ_REQUEST_INVALID', `unknown category "${s}" in skills`);
    await store.atomically((tx) => tx.upsertCrew(crew));
    return crew;
  };
  scope.post('/api/v1/crews', guard(['dispatcher']), async (req, reply) => {
    reply.code(201);
    return saveCrew(req.body);
  });
  scope.put('/api/v1/crews/:crewId', guard(['dispatcher']), async (req) => {
    const { crewId } = parse(z.object({ crewId: z.string() }), req.params, 'crew id');
    return saveCrew({ ...(req.body as object), id: crewId });
  });

  scope.get('/api/v1/kpis', guard(WATCH), async (req) => {
    const q = parse(kpiQuery, req.query, 'query');
    // A date without a time is midnight in the city (alerts.timeZone, default Asia/Shanghai).
    const tz = deps.config.alerts.timeZone;
    const to = q.to ? cityInstant(q.to, tz) : clock.now();
    const from = q.from ? cityInstant(q.from, tz) : to - 30 * 24 * 3_600_000;
    if (!(from < to)) throw new TzError('TZ_REQUEST_INVALID', 'from must be before to');
    const district = q.district ?? null;
    const { cases, events } = await casesWithTrails(store, from, to, district);
    const overall = computeKpis(cases, events, { from, to, district });
    if (!q.groupBy) return overall;
    const by = q.groupBy;
    const keyOf = (c: CaseRecord): string => (by === 'district' ? c.district ?? '—' : by === 'department' ? c.department : c.category);
    const nameOf = (key: string) => {
      if (by === 'category') return categoryLabel(deps.config, key);
      if (by === 'department') return { name: deps.config.departments.find((d) => d.id === key)?.name ?? key };
      return { name: key };
    };
    return { ...overall, groupBy: by, groups: kpisBy(cases, events, { from, to }, keyOf).map((g) => ({ key: g.key, ...nameOf(g.key), kpis: g.kpis })) };
  });

  // The urban-management office's monthly report: JSON, CSV, printable HTML (Chinese first) or PDF (headless Chromium).
  scope.get('/api/v1/reports/monthly', guard(WATCH), async (req, reply) => {
    const q = parse(monthlyQuery, req.query, 'query');
    const report = await buildMonthlyReport(store, deps.config, { month: q.month, timeZone: deps.config.alerts.timeZone, now: clock.now() });
    const name = `monthly-report-${q.month}`;
    if (q.format === 'csv') return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', `attachment; filename="${name}.csv"`).send(monthlyReportCsv(report));
    if (q.format === 'html') return reply.header('content-type', 'text/html; charset=utf-8').send(monthlyReportHtml(report));
    if (q.format === 'pdf') return reply.header('content-type', 'application/pdf').header('content-disposition', `attachment; filename="${name}.pdf"`).send(await htmlToPdf(monthlyReportHtml(report)));
    return report;
  });

  scope.get('/api/v1/outbox', guard(WATCH), async (req) => {
    const q = parse(outboxQuery, req.query, 'query');
    const [messages, counts] = await store.atomically(async (tx) => [await tx.listOutbox(q), await tx.outboxCounts()] as const);
    return { counts, messages: messages.map(outboxView) };
  });

  scope.post('/api/v1/outbox/:id/retry', guard([]), async (req) => {
    const { id } = parse(idParam, req.params, 'message id');
    const ok = await store.atomically((tx) => tx.retryOutbox(id, clock.now()));
    if (!ok) throw new TzError('TZ_REQUEST_INVALID', `outbox message ${id} is not dead (only dead messages can be retried)`);
    deps.kickOutbox();
    return { ok: true };
  });
}
