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
  // The device registry (--registry-db): commands from the centre and every change to devices, assets and gateways.
  'POST /api/v1/devices/:id/commands': 'device.command',
  'POST /api/v1/devices': 'device.create',
  'PATCH /api/v1/devices/:id': 'device.update',
  'POST /api/v1/devices/:id/transition': 'device.transition',
  'POST /api/v1/devices/:id/retire': 'device.retire',
  'POST /api/v1/devices/:id/accept': 'device.accept',
  'POST /api/v1/devices/import': 'device.import',
  'POST /api/v1/assets': 'asset.create',
  'PATCH /api/v1/assets/:id': 'asset.update',
  'POST /api/v1/assets/:id/retire': 'asset.retire',
  'POST /api/v1/assets/import': 'asset.import',
  'POST /api/v1/gateways': 'gateway.create',
  'PATCH /api/v1/gateways/:id': 'gateway.update',
  'POST /api/v1/gateways/:id/retire': 'gateway.retire',
  'POST /api/v1/gateways/import': 'gateway.import',
};

export const rulesServiceAuditedRoutes: AuditedRoute = (method, route, params) => {
  // A case action names its step (dispatch, accept, finish, verify, close…): one action per step.
  if (method === 'POST' && route === '/api/v1/cases/:id/actions/:action') return /^[a-z][a-z_-]{0,31}$/.test(params.action ?? '') ? `case.${params.action}` : 'case.action';
  return ROUTES[`${method} ${route}`] ?? null;
};
