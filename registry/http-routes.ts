import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { installErrorHandler, parseRequest, requireRole, TzError, type AccessTokens, type Role, actorOf } from '../service-kit/index.ts';
import { exportFile, importFile, type ImportFormat } from './import/apply.ts';
import type { RecordKind } from './import/report.ts';
import { LIFECYCLE_STATES, RECORD_STATES } from './model.ts';
import type { RegistryStore } from './registry-store.ts';

// /api/v1/devices…, /api/v1/assets…, /api/v1/gateways… as one Fastify
// plugin (its own error handler and body parsers, encapsulated). Every route
// needs a bearer token: reading is for every role, writing for admin and
// operator. Bodies are the flat records of the CSV columns (registry/README.md).
// LoRa keys go in, never out. Every store call is awaited (PostgreSQL answers
// Promises; a store that cannot be reached is TZ_STORE_UNAVAILABLE, 503).

const READ: readonly Role[] = ['operator', 'dispatcher', 'crew', 'readonly'];
const WRITE: readonly Role[] = ['operator'];
const IMPORT_BODY_LIMIT = 64 * 1024 * 1024;

export interface RegistryRoutesOptions {
  store: RegistryStore;
  access: AccessTokens;
}

const text = z.string().trim().min(1).max(64).optional();
const paging = { limit: z.coerce.number().int().min(1).max(10_000).default(1000), offset: z.coerce.number().int().min(0).default(0) };
// `gateway` and `grid` are accepted as short forms of `gatewayId` and `gridCell`.
const deviceQuery = z.strictObject({
  gatewayId: text, gateway: text, class: text, district: text, gridCell: text, grid: text, state: z.enum(LIFECYCLE_STATES).optional(), tag: text, assetId: text, ...paging,
}).transform(({ gateway, grid, ...q }) => ({ ...q, gatewayId: q.gatewayId ?? gateway, gridCell: q.gridCell ?? grid }));
const assetQuery = z.strictObject({ kind: text, district: text, gridCell: text, parentAssetId: text, state: z.enum(RECORD_STATES).optional(), tag: text, ...paging });
const gatewayQuery = z.strictObject({ district: text, state: z.enum(RECORD_STATES).optional(), tag: text, ...paging });
const idParam = z.object({ id: z.string().min(1).max(64) });
const noteBody = z.strictObject({ note: z.string().max(2000).optional() }).default({});
const transitionBody = z.strictObject({ state: z.enum(LIFECYCLE_STATES), note: z.string().max(2000).optional() });
const record = z.record(z.string(), z.unknown());
const importQuery = z.strictObject({ format: z.enum(['csv', 'geojson']).optional(), applyValid: z.enum(['true', 'false']).transform((v) => v === 'true').default(false) });
const exportQuery = z.strictObject({ format: z.enum(['csv', 'geojson']).default('csv') });

function who(request: FastifyRequest): string {
  return actorOf(request.principal);
}

export async function registerRegistryRoutes(app: FastifyInstance, options: RegistryRoutesOptions): Promise<void> {
  await app.register(async (scope) => {
    const { store, access } = options;
    const read = requireRole(access, READ);
    const write = requireRole(access, WRITE);
    // Import bodies come as the file's text.
    for (const type of ['text/csv', 'application/geo+json']) {
      scope.addContentTypeParser(type, { parseAs: 'string', bodyLimit: IMPORT_BODY_LIMIT }, (_req, body, done) => done(null, body));
    }
    installErrorHandler(scope, 'registry');

    const importRoute = (kind: RecordKind) => async (request: FastifyRequest, reply: FastifyReply) => {
      const q = parseRequest(importQuery, request.query, 'query');
      const type = String(request.headers['content-type'] ?? '');
      const format: ImportFormat = q.format ?? (type.startsWith('text/csv') ? 'csv' : 'geojson');
      const body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body ?? null);
      const report = await importFile(store, { kind, format, text: body, applyValid: q.applyValid, by: who(request) });
      request.log.info({ kind, format, rows: report.rows, invalid: report.invalid, applied: report.applied, created: report.created, updated: report.updated, by: who(request) }, 'registry import');
      return reply.code(report.applied ? 200 : 422).send(report);
    };
    const exportRoute = (kind: RecordKind) => async (request: FastifyRequest, reply: FastifyReply) => {
      const { format } = parseRequest(exportQuery, request.query, 'query');
      reply.header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/geo+json');
      reply.header('content-disposition', `attachment; filename="${kind}.${format === 'csv' ? 'csv' : 'geojson'}"`);
      return await exportFile(store, { kind, format });
    };
    const importOptions = { preHandler: write, bodyLimit: IMPORT_BODY_LIMIT };

    // ------------------------------------------------------------ devices
    scope.get('/api/v1/devices', { preHandler: read }, async (request) => {
      const q = parseRequest(deviceQuery, request.query, 'query');
      const { limit, offset, ...filter } = q;
      return { total: await store.countDevices(filter), devices: await store.listDevices({ ...filter, limit, offset }) };
    });
    scope.get('/api/v1/devices/export', { preHandler: read }, exportRoute('devices'));
    scope.post('/api/v1/devices/import', importOptions, importRoute('devices'));
    scope.get('/api/v1/devices/:id', { preHandler: read }, async (request) => {
      const { id } = parseRequest(idParam, request.params, 'path');
      const device = await store.getDevice(id);
      if (!device) throw new TzError('TZ_REGISTRY_NOT_FOUND', `no device "${id}" in the registry`);
      return { ...device, history: await store.history(id) };
    });
    scope.post('/api/v1/devices', { preHandler: write }, async (request, reply) => {
      return reply.code(201).send(await store.createDevice(parseRequest(record, request.body, 'body'), who(request)));
    });
    scope.patch('/api/v1/devices/:id', { preHandler: write }, async (request) => {
      const { id } = parseRequest(idParam, request.params, 'path');
      return (await store.patchDevice(id, parseRequest(record, request.body, 'body'), who(request))).device;
    });
    scope.post('/api/v1/devices/:id/transition', { preHandler: write }, async (request) => {
      const { id } = parseRequest(idParam, request.params, 'path');
      const body = parseRequest(transitionBody, request.body, 'body');
      return await store.transition(id, body.state, who(request), body.note ?? null);
    });
    scope.post('/api/v1/devices/:id/retire', { preHandler: write }, async (request) => {
      const { id } = parseRequest(idParam, request.params, 'path');
      return await store.retireDevice(id, who(request), parseRequest(noteBody, request.body ?? {}, 'body').note ?? null);
    });
    scope.post('/api/v1/devices/:id/accept', { preHandler: write }, async (request) => {
      const { id } = parseRequest(idParam, request.params, 'path');
      return await store.acceptDevice(id, who(request), parseRequest(record, request.body ?? {}, 'body'));
    });

    // ------------------------------------------------------------ assets
    scope.get('/api/v1/assets', { preHandler: read }, async (request) => {
      const { limit, offset, ...filter } = parseRequest(assetQuery, request.query, 'query');
      const all = await store.listAssets(filter);
      return { total: all.length, assets: all.slice(offset, offset + limit) };
    });
    scope.get('/api/v1/assets/export', { preHandler: read }, exportRoute('assets'));
    scope.post('/api/v1/assets/import', importOptions, importRoute('assets'));
    scope.get('/api/v1/assets/:id', { preHandler: read }, async (request) => {
      const { id } = parseRequest(idParam, request.params, 'path');
      const asset = await store.getAsset(id);
      if (!asset) throw new TzError('TZ_REGISTRY_NOT_FOUND', `no asset "${id}" in the registry`);
      return { ...asset, children: (await store.listAssets({ parentAssetId: id })).map((a) => a.id), devices: (await store.listDevices({ assetId: id })).map((d) => d.id) };
    });
    scope.post('/api/v1/assets', { preHandler: write }, async (request, reply) => reply.code(201).send(await store.createAsset(parseRequest(record, request.body, 'body'))));
    scope.patch('/api/v1/assets/:id', { preHandler: write }, async (request) => await store.patchAsset(parseRequest(idParam, request.params, 'path').id, parseRequest(record, request.body, 'body')));
    scope.post('/api/v1/assets/:id/retire', { preHandler: write }, async (request) => await store.retireAsset(parseRequest(idParam, request.params, 'path').id));

    // ------------------------------------------------------------ gateways
    scope.get('/api/v1/gateways', { preHandler: read }, async (request) => {
      const { limit, offset, ...filter } = parseRequest(gatewayQuery, request.query, 'query');
      const all = await store.listGateways(filter);
      return { total: all.length, gateways: all.slice(offset, offset + limit) };
    });
    scope.get('/api/v1/gateways/export', { preHandler: read }, exportRoute('gateways'));
    scope.post('/api/v1/gateways/import', importOptions, importRoute('gateways'));
    scope.get('/api/v1/gateways/:id', { preHandler: read }, async (request) => {
      const { id } = parseRequest(idParam, request.params, 'path');
      const gateway = await store.getGateway(id);
      if (!gateway) throw new TzError('TZ_REGISTRY_NOT_FOUND', `no gateway "${id}" in the registry`);
      return { ...gateway, devices: await store.countDevices({ gatewayId: id }), discovered: (await store.listDiscovered(id)).map((d) => d.id) };
    });
    scope.post('/api/v1/gateways', { preHandler: write }, async (request, reply) => reply.code(201).send(await store.createGateway(parseRequest(record, request.body, 'body'))));
    scope.patch('/api/v1/gateways/:id', { preHandler: write }, async (request) => await store.patchGateway(parseRequest(idParam, request.params, 'path').id, parseRequest(record, request.body, 'body')));
    scope.post('/api/v1/gateways/:id/retire', { preHandler: write }, async (request) => await store.retireGateway(parseRequest(idParam, request.params, 'path').id));
  });
}
