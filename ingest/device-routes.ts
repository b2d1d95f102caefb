import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../proto/index.ts';
import { installErrorHandler, parseRequest, requireRole, TzError, type AccessTokens } from '../service-kit/index.ts';
import type { DeviceRegistry } from './device-registry.ts';

// The device registry over HTTP, for the rules engine and the console:
// GET /api/v1/devices (filters, paging) and GET /api/v1/devices/:id.
// Errors answer {code, message}.

const deviceQuery = z.strictObject({
  profile: z.string().max(64).optional(),
  gatewayId: z.string().regex(ID_PATTERN).optional(),
  district: z.string().max(128).optional(),
  state: z.enum(['online', 'offline', 'fault', 'unknown']).optional(),
  overdue: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  offset: z.coerce.number().int().min(0).default(0),
});
const deviceParams = z.object({ id: z.string().regex(ID_PATTERN, 'a device id (letters, digits, _ . -)') });


export function registerDeviceRoutes(app: FastifyInstance, registry: DeviceRegistry, access: AccessTokens): void {
  // Crews see cases, not the city's device list.
  const preHandler = requireRole(access, ['operator', 'dispatcher', 'readonly']);
  installErrorHandler(app, 'ingest');

  app.get('/api/v1/devices', { preHandler }, async (req) => {
    const q = parseRequest(deviceQuery, req.query, 'query');
    return registry.list(q);
  });

  app.get('/api/v1/devices/:id', { preHandler }, async (req) => {
    const { id } = parseRequest(deviceParams, req.params, 'device id');
    const device = registry.get(id);
    if (!device) throw new TzError('TZ_DEVICE_UNKNOWN', `no device ${id} has reported to this ingest`);
    return device;
  });
}
