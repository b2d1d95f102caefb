import type { AuditedRoute } from '../service-kit/index.ts';

// Which changing requests of the rules service go to the one audit log, and
// under which action name. Rule versions and case events stay where they are
// (their workflows read them); this is the cross-cutting record.
const ROUTES: Record<string, string> = {
  'POST /api/v1/rules': 'rule.create',
  'PUT /api/v1/rules/:id': 'rule.update',
  'DELETE /api/v1/rules/:id': 'rule.delete',
  'POST /api/v1/rules/:id/rollback': 'rule.rollback',
  'POST /api/v1/alarms/:id/ack': 'alarm.ack',
  'POST /api/v1/silences': 'silence.create',
  'POST /api/v1/silences/:id/expire': 'silence.expire',
  'DELETE /api/v1/silences/:id': 'silence.delete',
  'POST /api/v1/cases': 'case.create',
  'POST /open311/v2/requests.:format': 'case.report',
  'POST /api/v1/cases/:id/notes': 'case.note',
  'POST /api/v1/cases/:id/photos': 'case.photo',
  'POST /api/v1/crews': 'crew.create',
  'PUT /api/v1/crews/:crewId': 'crew.update',
  'POST /api/v1/outbox/:id/retry': 'outbox.retry',
  'POST /api/v1/subscriptions': 'subscription.create',
  'PUT /api/v1/subscriptions/:id': 'subscription.update',
  'DELETE /api/v1/subscriptions/:id': 'subscription.delete',
};

export const rulesServiceAuditedRoutes: AuditedRoute = (method, route, params) => {
  // A case action names its step (dispatch, accept, finish, verify, close…): one action per step.
  if (method === 'POST' && route === '/api/v1/cases/:id/actions/:action') return /^[a-z][a-z_-]{0,31}$/.test(params.action ?? '') ? `case.${params.action}` : 'case.action';
  return ROUTES[`${method} ${route}`] ?? null;
};
