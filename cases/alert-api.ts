import { randomBytes } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { requireRole, TzError, type AccessTokens, type Clock, type Role } from '../service-kit/index.ts';
import { maskedEndpoint } from './alert-config.ts';
import type { AlertRouter } from './alert-router.ts';
import type { CaseStore, CaseTx } from './case-store.ts';
import type { CaseConfig } from './config.ts';
import { actorRefOf } from './http-api.ts';
import { installErrorHandler, parse } from './http-errors.ts';
import type { CaseRecord } from './model.ts';
import { PHONE } from './channels/sms.ts';
import { subscriptionInput, type Subscription } from './subscriptions.ts';

// /api/v1/subscriptions (who hears about which cases, through which
// endpoint) and /api/v1/alert-endpoints (the configured endpoints, secrets
// masked). Admin and dispatcher only. Contract: ALERTS-API.md.

const MANAGE: readonly Role[] = ['dispatcher'];
const EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;

export interface AlertApiDeps {
  store: CaseStore;
  access: AccessTokens;
  config: Readonly<CaseConfig>;
  clock: Clock;
  alerts: AlertRouter;
  kickOutbox(): void;
}

/** Checks a subscription against the config (endpoint, department, recipient) and the crews; throws naming the problem. */
async function checkSubscription(tx: CaseTx, s: Omit<Subscription, 'source' | 'createdAt' | 'updatedAt'>, config: Readonly<CaseConfig>, alerts: AlertRouter, fail: (problem: string) => TzError): Promise<void> {
  const endpoint = alerts.endpoint(s.endpoint);
  if (!endpoint) throw fail(`endpoint: unknown alert endpoint "${s.endpoint}" (see GET /api/v1/alert-endpoints)`);
  if ('department' in s.audience && !config.departments.some((d) => 'department' in s.audience && d.id === s.audience.department)) throw fail(`audience.department: unknown department "${s.audience.department}"`);
  if ('crew' in s.audience && !(await tx.getCrew(s.audience.crew))) throw fail(`audience.crew: unknown crew "${s.audience.crew}"`);
  for (const c of s.categories) if (c !== '*' && !config.categories.some((k) => k.code === c)) throw fail(`categories: unknown category "${c}"`);
  if (endpoint.kind === 'sms' && !(s.to && PHONE.test(s.to.replace(/[\s-]/g, '')))) throw fail('to: an SMS subscription needs a mobile number (11 digits, optionally +86)');
  if (endpoint.kind === 'email' && !(s.to ? EMAIL.test(s.to) : endpoint.to)) throw fail('to: an e-mail subscription needs an address (or the endpoint a default "to")');
  if ((endpoint.kind === 'wecom' || endpoint.kind === 'dingtalk') && s.to !== null && !PHONE.test(s.to.replace(/[\s-]/g, ''))) throw fail('to: a chat robot can only @-mention a mobile number');
}

/** Seeds (and updates) the config file's subscriptions at start; API-made ones are left alone. */
export async function seedSubscriptions(store: CaseStore, config: Readonly<CaseConfig>, alerts: AlertRouter, now: number): Promise<void> {
  if (config.alerts.subscriptions.length === 0) return;
  await store.atomically(async (tx) => {
    for (const [i, raw] of config.alerts.subscriptions.entries()) {
      const s = subscriptionInput.parse(raw);
      const doc = { ...s, id: raw.id };
      await checkSubscription(tx, doc, config, alerts, (p) => new TzError('TZ_CASE_CONFIG', `alerts.subscriptions.${i}.${p}`));
      const before = await tx.getSubscription(raw.id);
      await tx.putSubscription({ ...doc, source: 'config', createdAt: before?.createdAt ?? now, updatedAt: now });
    }
  });
}

const iso = (ms: number) => new Date(ms).toISOString();
export const subscriptionView = (s: Subscription) => ({ ...s, createdAt: iso(s.createdAt), updatedAt: iso(s.updatedAt) });

/** A stand-in case for test messages: nothing real is referenced. */
function testCase(now: number): CaseRecord {
  return {
    id: 0, status: 'registered', category: 'other-event', department: '', priority: 'normal', title: '测试消息 Test message', description: '', source: 'operator',
    assetId: null, incidentId: null, gatewayId: null, district: null, gridCell: null, lat: null, long: null, address: null, crewId: null,
    dispatchDueAt: null, handleDueAt: null, verifyDueAt: null, dueAt: null, escalationLevel: 0, overdueStage: null, reworkCount: 0,
    clearedBeforeDispatch: false, open311Token: null, reporter: null, mediaUrl: null, createdAt: now, updatedAt: now, closedAt: null, version: 1,
  };
}

export async function registerAlertApi(scope: FastifyInstance, deps: AlertApiDeps): Promise<void> {
  const { store, access, config, clock, alerts } = deps;
  installErrorHandler(scope, 'alerts');
  const guard = { preHandler: requireRole(access, MANAGE) };
  const idParam = z.object({ id: z.string().min(1).max(64) });
  const listQuery = z.object({ audience: z.string().regex(/^(crew|department|role):.+$/).optional(), endpoint: z.string().max(64).optional() });

  scope.get('/api/v1/alert-endpoints', guard, async () => ({ endpoints: alerts.listEndpoints().map(maskedEndpoint) }));

  scope.get('/api/v1/subscriptions', guard, async (req) => {
    const q = parse(listQuery, req.query, 'query');
    let subs = await store.atomically((tx) => tx.listSubscriptions());
    if (q.endpoint) subs = subs.filter((s) => s.endpoint === q.endpoint);
    if (q.audience) {
      const [kind, value] = [q.audience.slice(0, q.audience.indexOf(':')), q.audience.slice(q.audience.indexOf(':') + 1)];
      subs = subs.filter((s) => (s.audience as Record<string, string>)[kind] === value);
    }
    return { subscriptions: subs.map(subscriptionView) };
  });

  const mustGet = async (tx: CaseTx, id: string) => {
    const s = await tx.getSubscription(id);
    if (!s) throw new TzError('TZ_SUBSCRIPTION_NOT_FOUND', `no subscription ${id}`);
    return s;
  };

  scope.get('/api/v1/subscriptions/:id', guard, async (req) => {
    const { id } = parse(idParam, req.params, 'subscription id');
    return subscriptionView(await store.atomically((tx) => mustGet(tx, id)));
  });

  const save = async (req: FastifyRequest, body: unknown, id: string | null, reply: FastifyReply) => {
    const input = parse(subscriptionInput, body ?? {}, 'subscription');
    const now = clock.now();
    const subId = id ?? input.id ?? `sub-${randomBytes(4).toString('hex')}`;
    const saved = await store.atomically(async (tx) => {
      const before = await tx.getSubscription(subId);
      if (id === null && before) throw new TzError('TZ_REQUEST_INVALID', `subscription ${subId} exists; change it with PUT /api/v1/subscriptions/${subId}`);
      if (id !== null && !before) throw new TzError('TZ_SUBSCRIPTION_NOT_FOUND', `no subscription ${subId}`);
      const doc = { ...input, id: subId };
      await checkSubscription(tx, doc, config, alerts, (p) => new TzError('TZ_REQUEST_INVALID', `invalid subscription: ${p}`));
      const sub: Subscription = { ...doc, source: 'api', createdAt: before?.createdAt ?? now, updatedAt: now };
      await tx.putSubscription(sub);
      return sub;
    });
    scope.log.info({ subscriptionId: subId, by: actorRefOf(req).who }, 'cases: subscription saved');
    if (id === null) reply.code(201);
    return subscriptionView(saved);
  };

  scope.post('/api/v1/subscriptions', guard, async (req, reply) => save(req, req.body, null, reply));
  scope.put('/api/v1/subscriptions/:id', guard, async (req, reply) => {
    const { id } = parse(idParam, req.params, 'subscription id');
    const body = { ...(req.body as object), id };
    return save(req, body, id, reply);
  });
  scope.delete('/api/v1/subscriptions/:id', guard, async (req, reply) => {
    const { id } = parse(idParam, req.params, 'subscription id');
    const gone = await store.atomically((tx) => tx.deleteSubscription(id));
    if (!gone) throw new TzError('TZ_SUBSCRIPTION_NOT_FOUND', `no subscription ${id}`);
    scope.log.info({ subscriptionId: id, by: actorRefOf(req).who }, 'cases: subscription deleted');
    return reply.code(204).send();
  });
  scope.post('/api/v1/subscriptions/:id/test', guard, async (req, reply) => {
    const { id } = parse(idParam, req.params, 'subscription id');
    const queued = await store.atomically(async (tx) => alerts.queueTest(tx, await mustGet(tx, id), testCase(clock.now())));
    deps.kickOutbox();
    reply.code(202);
    return { outboxId: queued?.id ?? null };
  });
}
