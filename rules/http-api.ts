import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../proto/index.ts';
import type { ProfileCatalogue, RuleSpec, DeviceProfile } from '../device-profiles/index.ts';
import { TzError, type TzErrorCode } from '../service-kit/index.ts';
import { ALARM_STATES, CASE_STATUSES, type CaseStore } from './case-store.ts';
import { alarmView, caseEventView, caseView } from './views.ts';

// Read API of alarms, cases and rules under /api/v1. Query parameters are
// validated with zod; errors answer {code, message}.

const limit = z.coerce.number().int().min(1).max(1000).default(100);
const deviceId = z.string().regex(ID_PATTERN, 'deviceId must be a device id (letters, digits, _ . -)').optional();
const alarmQuery = z.object({ state: z.enum([...ALARM_STATES, 'open']).optional(), deviceId, limit });
const caseQuery = z.object({ status: z.enum([...CASE_STATUSES, 'open']).optional(), deviceId, limit });
const idParams = z.object({ id: z.coerce.number().int().positive() });

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const problems = result.error.issues.map((i) => `${i.path.join('.') || what}: ${i.message}`).join('; ');
  throw new TzError('TZ_REQUEST_INVALID', `invalid ${what}: ${problems}`);
}

const STATUS_BY_CODE: Partial<Record<TzErrorCode, number>> = { TZ_REQUEST_INVALID: 400, TZ_ALARM_NOT_FOUND: 404, TZ_CASE_NOT_FOUND: 404 };

function sendError(reply: FastifyReply, err: TzError): FastifyReply {
  return reply.code(STATUS_BY_CODE[err.code] ?? 500).send({ code: err.code, message: err.message });
}

export interface RulesApiDeps {
  store: CaseStore;
  profiles: ProfileCatalogue;
  rulesOf: (profile: DeviceProfile) => readonly RuleSpec[];
}

export function registerRulesApi(app: FastifyInstance, deps: RulesApiDeps): void {
  const { store } = deps;

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof TzError) return sendError(reply, err);
    const status = (err as { statusCode?: number }).statusCode ?? 500;
    if (status >= 500) app.log.error({ err }, 'rules: request failed');
    const code: TzErrorCode = status >= 500 ? 'TZ_INTERNAL' : 'TZ_REQUEST_INVALID';
    return reply.code(status).send({ code, message: status >= 500 ? 'internal error' : err instanceof Error ? err.message : String(err) });
  });

  app.get('/api/v1/alarms', async (req) => {
    const q = parse(alarmQuery, req.query, 'query');
    return { alarms: store.listAlarms(q).map(alarmView) };
  });

  app.get('/api/v1/alarms/:id', async (req) => {
    const { id } = parse(idParams, req.params, 'alarm id');
    const alarm = store.getAlarm(id);
    if (!alarm) throw new TzError('TZ_ALARM_NOT_FOUND', `no alarm ${id}`);
    return alarmView(alarm);
  });

  app.get('/api/v1/cases', async (req) => {
    const q = parse(caseQuery, req.query, 'query');
    return { cases: store.listCases(q).map(caseView) };
  });

  app.get('/api/v1/cases/:id', async (req) => {
    const { id } = parse(idParams, req.params, 'case id');
    const found = store.getCase(id);
    if (!found) throw new TzError('TZ_CASE_NOT_FOUND', `no case ${id}`);
    return { ...caseView(found), alarms: store.alarmsOfCase(id).map(alarmView), events: store.eventsOfCase(id).map(caseEventView) };
  });

  app.get('/api/v1/rules', async () => ({
    profiles: deps.profiles.all().map((p) => ({ profile: p.class, version: p.version, title: p.title, rules: deps.rulesOf(p) })),
  }));
}
