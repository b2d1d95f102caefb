import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { ID_PATTERN } from '../../proto/index.ts';
import { installErrorHandler, parseRequest, requireRole, type AccessTokens, actorOf } from '../../service-kit/index.ts';
import type { CommandCenter } from './command-center.ts';
import type { CommandRecord } from './command-log.ts';

// HTTP face of the CommandCenter:
//   POST /api/v1/devices/:id/commands   operator, admin   {name, params, waitMs?, timeoutMs?}
//   GET  /api/v1/devices/:id/commands   operator, dispatcher, readonly, admin   ?limit=
//   GET  /api/v1/commands/:commandId    same readers
// Register with `app.register(commandRoutes, {center, access})` (encapsulated:
// its error handler answers only its own routes).

export interface CommandRoutesOptions {
  center: CommandCenter;
  access: AccessTokens;
}

/** JSON shape of a command (ISO 8601 times). */
export interface CommandView {
  commandId: string;
  deviceId: string;
  gatewayId: string;
  name: string;
  params: Record<string, number | boolean>;
  requestedBy: string;
  requestedAt: string;
  expiresAt: string;
  state: CommandRecord['state'];
  result: string | null;
  detail: string | null;
  answeredAt: string | null;
}

export function commandView(r: CommandRecord): CommandView {
  return {
    commandId: r.commandId, deviceId: r.deviceId, gatewayId: r.gatewayId, name: r.name, params: r.params, requestedBy: r.requestedBy,
    requestedAt: new Date(r.requestedAt).toISOString(), expiresAt: new Date(r.expiresAt).toISOString(), state: r.state, result: r.result, detail: r.detail,
    answeredAt: r.answeredAt === null ? null : new Date(r.answeredAt).toISOString(),
  };
}

const deviceParams = z.strictObject({ id: z.string().regex(ID_PATTERN, 'a device id') });
const commandParams = z.strictObject({ commandId: z.string().uuid('a command id') });
const sendBody = z.strictObject({
  name: z.string().min(1).max(48),
  params: z.record(z.string().min(1).max(48), z.union([z.number(), z.boolean()])).default({}),
  /** Answer when the gateway acknowledged (or after this many ms, state "sent"); 0 = at once. */
  waitMs: z.number().int().min(0).max(60_000).default(0),
  timeoutMs: z.number().int().min(1000).max(24 * 3600_000).optional(),
});
const listQuery = z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

export const commandRoutes: FastifyPluginAsync<CommandRoutesOptions> = async (app, { center, access }) => {
  const send = { preHandler: requireRole(access, ['operator']) };
  const read = { preHandler: requireRole(access, ['operator', 'dispatcher', 'readonly']) };

  installErrorHandler(app, 'commands');

  app.post('/api/v1/devices/:id/commands', send, async (req, reply) => {
    const { id } = parseRequest(deviceParams, req.params, 'device id');
    const body = parseRequest(sendBody, req.body ?? {}, 'body');
    const sent = await center.send({ deviceId: id, name: body.name, params: body.params, requestedBy: actorOf(req.principal), ...(body.timeoutMs ? { timeoutMs: body.timeoutMs } : {}) });
    const now = await center.settled(sent.commandId, body.waitMs);
    return reply.code(now.state === 'sent' ? 202 : 200).send(commandView(now));
  });

  app.get('/api/v1/devices/:id/commands', read, async (req) => {
    const { id } = parseRequest(deviceParams, req.params, 'device id');
    const { limit } = parseRequest(listQuery, req.query ?? {}, 'query');
    return { commands: center.history(id, limit).map(commandView) };
  });

  app.get('/api/v1/commands/:commandId', read, async (req) => {
    const { commandId } = parseRequest(commandParams, req.params, 'command id');
    return commandView(center.get(commandId));
  });
};
