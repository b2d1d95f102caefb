import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { parseRequest, requireRole, TzError, type AccessTokens, type Clock, actorOf } from '../service-kit/index.ts';
import { SILENCE_KINDS, silenceMatchers, silenceView, type SilenceBook } from './silences.ts';

// /api/v1/silences: create, list, show (with its audit lines), expire,
// delete. Operators change them, every desk role reads them. Contract:
// cases/ALERTS-API.md. Errors go through the rules API's error handler
// (registered on the same app).

const time = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) { ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time or ms since the epoch' }); return z.NEVER; }
  return ms;
});
const newSilence = z.strictObject({
  kind: z.enum(SILENCE_KINDS).default('silence'),
  matchers: silenceMatchers,
  startsAt: time.optional(),
  endsAt: time,
  reason: z.string().trim().min(1).max(1000),
});
const listQuery = z.object({ state: z.enum(['pending', 'active', 'expired', 'all', 'current']).default('current'), access_token: z.string().optional() });
const idParam = z.object({ id: z.coerce.number().int().positive() });
const reasonBody = z.strictObject({ reason: z.string().trim().min(1).max(1000).optional() }).default({});

/** Who: service-kit's actorOf, as every record of a change writes it. */
function who(req: FastifyRequest): string {
  return actorOf(req.principal);
}

export interface SilenceApiDeps {
  silences: SilenceBook;
  clock: Clock;
  access: AccessTokens;
  /** A silence ended: release its alarms now rather than at the next tick. */
  /** After a change (the engine's tick releases what it no longer silences). */
  onChange(): unknown;
}

export function registerSilenceApi(app: FastifyInstance, deps: SilenceApiDeps): void {
  const { silences, clock } = deps;
  const read = { preHandler: requireRole(deps.access, ['operator', 'dispatcher', 'readonly']) };
  const edit = { preHandler: requireRole(deps.access, ['operator']) };
  const iso = (ms: number) => new Date(ms).toISOString();

  app.get('/api/v1/silences', read, async (req) => {
    const { state } = parseRequest(listQuery, req.query, 'query');
    const now = clock.now();
    return { silences: (await silences.list(state)).map((s) => silenceView(s, now)) };
  });

  app.get('/api/v1/silences/:id', read, async (req) => {
    const { id } = parseRequest(idParam, req.params, 'silence id');
    const s = (await silences.get(id));
    return { ...silenceView(s, clock.now()), history: (await silences.history(id)).map((v) => ({ version: v.version, action: v.action, who: v.who, at: iso(v.at), note: v.note, diff: v.diff })) };
  });

  app.post('/api/v1/silences', edit, async (req, reply) => {
    const body = parseRequest(newSilence, req.body ?? {}, 'silence');
    const s = (await silences.create(body, who(req)));
    app.log.info({ silenceId: s.id, kind: s.kind, matchers: s.matchers, endsAt: iso(s.endsAt), by: s.createdBy }, 'rules: silence created');
    reply.code(201);
    return silenceView(s, clock.now());
  });

  app.post('/api/v1/silences/:id/expire', edit, async (req) => {
    const { id } = parseRequest(idParam, req.params, 'silence id');
    const { reason } = parseRequest(reasonBody, req.body ?? {}, 'body');
    const s = (await silences.expire(id, who(req), reason));
    await deps.onChange();
    app.log.info({ silenceId: id, by: s.expiredBy }, 'rules: silence expired');
    return silenceView(s, clock.now());
  });

  app.delete('/api/v1/silences/:id', edit, async (req, reply) => {
    const { id } = parseRequest(idParam, req.params, 'silence id');
    const { reason } = parseRequest(z.object({ reason: z.string().max(1000).optional() }), req.query, 'query');
    (await silences.delete(id, who(req), reason));
    await deps.onChange();
    app.log.info({ silenceId: id, by: who(req) }, 'rules: silence deleted');
    return reply.code(204).send();
  });
}
