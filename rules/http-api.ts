import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../proto/index.ts';
import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { installErrorHandler, parseRequest, requireRole, TzError, type AccessTokens, type InfluxTarget, type Role, actorOf } from '../service-kit/index.ts';
import { runBacktest } from './backtest.ts';
import type { RulesEngine } from './engine.ts';
import type { EffectiveRule } from './rule-set.ts';
import { ALARM_STATES, type RulesStore } from './rules-store.ts';
import { alarmView } from './views.ts';

// The rules service's HTTP API under /api/v1: alarms (list, get, acknowledge),
// incidents, rules (list, get, create, change, delete, history, rollback,
// validate, backtest, shadow records). Errors answer {code, message} (and
// `problems: [{path, problem}]` for an invalid rule).

const limit = z.coerce.number().int().min(1).max(1000).default(100);
const id = z.string().regex(ID_PATTERN, 'must be an id (letters, digits, _ . -)');
const alarmQuery = z.strictObject({
  state: z.enum([...ALARM_STATES, 'open']).optional(), deviceId: id.optional(), ruleId: z.string().optional(),
  suppressed: z.enum(['true', 'false']).transform((v) => v === 'true').optional(), limit, access_token: z.string().optional(),
  silenced: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
});
const numericId = z.object({ id: z.coerce.number().int().positive() });
const ruleParams = z.object({ id: z.string().min(1).max(64) });
const time = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : Date.parse(v);
  if (!Number.isFinite(ms)) { ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time or ms since the epoch' }); return z.NEVER; }
  return ms;
});
const backtestBody = z.strictObject({ rule: z.unknown().optional(), ruleId: z.string().optional(), from: time, to: time, devices: z.array(id).max(1000).optional() })
  .refine((b) => (b.rule === undefined) !== (b.ruleId === undefined), 'give either `rule` (a rule document) or `ruleId` (an existing rule)');

export interface RulesApiDeps {
  engine: RulesEngine;
  store: RulesStore;
  profiles: ProfileCatalogue;
  timeZone: string;
  influx?: InfluxTarget;
  access: AccessTokens;
}

function ruleView(r: EffectiveRule) {
  return {
    ...r.spec, source: r.source, version: r.version, updatedAt: r.updatedAt === null ? null : new Date(r.updatedAt).toISOString(), updatedBy: r.updatedBy,
    mode: r.spec.mode ?? 'live',
  };
}

/** Who made a change (every change route is guarded): service-kit's actorOf. */
function actor(req: FastifyRequest): string {
  return actorOf(req.principal);
}

export function registerRulesApi(app: FastifyInstance, deps: RulesApiDeps): void {
  const { engine, store } = deps;
  const guard = (roles: readonly Role[]) => ({ preHandler: requireRole(deps.access, roles) });
  const read = guard(['operator', 'dispatcher', 'readonly']);
  const editRules = guard(['operator']);
  const ack = guard(['operator', 'dispatcher']);

  installErrorHandler(app, 'rules');

  app.get('/api/v1/alarms', read, async (req) => {
    const q = parseRequest(alarmQuery, req.query, 'query');
    return { alarms: (await store.listAlarms(q)).map(alarmView) };
  });

  app.get('/api/v1/alarms/:id', read, async (req) => {
    const { id: alarmId } = parseRequest(numericId, req.params, 'alarm id');
    const alarm = await store.getAlarm(alarmId);
    if (!alarm) throw new TzError('TZ_ALARM_NOT_FOUND', `no alarm ${alarmId}`);
    return alarmView(alarm);
  });

  app.post('/api/v1/alarms/:id/ack', ack, async (req) => {
    const { id: alarmId } = parseRequest(numericId, req.params, 'alarm id');
    const body = parseRequest(z.strictObject({ note: z.string().max(2000).optional() }).default({}), req.body ?? {}, 'body');
    return alarmView(await engine.acknowledge(alarmId, actor(req), body.note));
  });

  app.get('/api/v1/incidents/:id', read, async (req) => {
    const { id: incidentId } = parseRequest(numericId, req.params, 'incident id');
    const incident = (await store.getIncident(incidentId));
    if (!incident) throw new TzError('TZ_ALARM_NOT_FOUND', `no incident ${incidentId}`);
    return {
      id: String(incident.id), assetId: incident.assetId, openedAt: new Date(incident.openedAt).toISOString(),
      closedAt: incident.closedAt === null ? null : new Date(incident.closedAt).toISOString(),
      alarms: (await store.listAlarms({ incidentId, limit: 1000 })).map(alarmView),
    };
  });

  app.get('/api/v1/rules', read, async () => ({ rules: engine.rules.list().map(ruleView) }));

  app.get('/api/v1/rules/:id', read, async (req) => {
    const r = engine.rules.get(parseRequest(ruleParams, req.params, 'rule id').id);
    return { ...ruleView(r), default: r.defaultSpec };
  });

  app.post('/api/v1/rules/validate', editRules, async (req) => {
    const spec = engine.rules.validate(req.body);
    return { ok: true, rule: spec };
  });

  app.post('/api/v1/rules', editRules, async (req, reply) => {
    const created = (await engine.rules.create(req.body, actor(req)));
    reply.code(201);
    return ruleView(created);
  });

  app.put('/api/v1/rules/:id', editRules, async (req) => {
    const ruleId = parseRequest(ruleParams, req.params, 'rule id').id;
    const q = parseRequest(z.object({ expectedVersion: z.coerce.number().int().min(0).optional() }), req.query, 'query');
    const who = actor(req);
    const before = engine.rules.get(ruleId);
    const after = (await engine.rules.replace(ruleId, req.body, who, q.expectedVersion));
    if ((after.spec.mode ?? 'live') !== 'live' && (before.spec.mode ?? 'live') === 'live') (await engine.retireRule(ruleId, who));
    return ruleView(after);
  });

  app.delete('/api/v1/rules/:id', editRules, async (req) => {
    const ruleId = parseRequest(ruleParams, req.params, 'rule id').id;
    const who = actor(req);
    const result = (await engine.rules.remove(ruleId, who));
    if (result.deleted) (await engine.retireRule(ruleId, who));
    return { ruleId, deleted: result.deleted, revertedTo: result.revertedTo };
  });

  app.get('/api/v1/rules/:id/history', read, async (req) => {
    const ruleId = parseRequest(ruleParams, req.params, 'rule id').id;
    return { ruleId, versions: (await engine.rules.history(ruleId)).map((v) => ({ ...v, at: new Date(v.at).toISOString() })) };
  });

  app.post('/api/v1/rules/:id/rollback', editRules, async (req) => {
    const ruleId = parseRequest(ruleParams, req.params, 'rule id').id;
    const { version } = parseRequest(z.strictObject({ version: z.number().int().min(1) }), req.body, 'body');
    const who = actor(req);
    const after = (await engine.rules.rollback(ruleId, version, who));
    if (!after) (await engine.retireRule(ruleId, who));
    return { ruleId, rule: after ? ruleView(after) : null };
  });

  app.get('/api/v1/rules/:id/shadow', read, async (req) => {
    const ruleId = parseRequest(ruleParams, req.params, 'rule id').id;
    const q = parseRequest(z.object({ limit, access_token: z.string().optional() }), req.query, 'query');
    return {
      ruleId, fires: (await store.countShadow(ruleId)),
      records: (await store.shadowRecords(ruleId, q.limit)).map((r) => ({ ...r, at: new Date(r.at).toISOString(), recordedAt: new Date(r.recordedAt).toISOString() })),
    };
  });

  app.post('/api/v1/rules/backtest', editRules, async (req) => {
    const body = parseRequest(backtestBody, req.body, 'body');
    if (!deps.influx) throw new TzError('TZ_CONFIG_INVALID', 'backtest needs InfluxDB: start the rules service with --influx-url (or INFLUX_URL)');
    const rule = body.ruleId !== undefined ? engine.rules.get(body.ruleId).spec : engine.rules.validate(body.rule);
    return runBacktest(deps.influx, deps.profiles, deps.timeZone, { rule, from: body.from, to: body.to, devices: body.devices });
  });
}
