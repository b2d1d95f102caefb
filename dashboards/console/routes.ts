import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyStatic from '@fastify/static';
import { Counter, type Registry } from 'prom-client';
import { ID_PATTERN } from '../../proto/index.ts';
import type { ProfileCatalogue } from '../../device-profiles/index.ts';
import { ROLES, httpStatusOf, requireRole, TzError, type AccessTokens, type InfluxTarget } from '../../service-kit/index.ts';
import type { AlarmFeed } from './alarm-feed.ts';
import { DeviceDirectory } from './device-directory.ts';
import { DevicePlacement, checkCityMap, loadCityMapFile, type CityMapCollection } from './district-map.ts';
import type { RegistryDeviceFacts, SiteDevice } from './device-directory.ts';

// The ops web console: static ES modules (no build step, no CDN — Leaflet and
// uPlot are served from node_modules), plus the few server-side routes the
// other services do not offer: who am I, the device map (registry + latest
// InfluxDB values), a device's 24 h history, and the live alarm feed as
// server-sent events. Everything under /console/api needs an API token.

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
export const CONSOLE_STATIC_DIR = join(here, 'static');

export interface ConsoleOptions {
  /** API tokens (service-kit): the console signs in with them and shows what the role allows. */
  access: AccessTokens;
  profiles: ProfileCatalogue;
  /** InfluxDB with the telemetry: latest values and device history. */
  influx?: InfluxTarget;
  /** Base URL of ingest's HTTP server, whose `GET /api/v1/devices` is the device registry. */
  deviceRegistryUrl?: string;
  /** Live alarm events for the SSE feed; without one the page polls `/api/v1/alarms`. */
  alarmFeed?: AlarmFeed;
  /** Where the rules/cases API is, as the browser sees it; default '' (same origin as the console). */
  apiBase?: string;
  /** A Grafana to link device pages to (its base URL). */
  grafanaUrl?: string;
  /** The city map (districts, grid cells 网格, streets) as GeoJSON; default districtsFile, else the schematic 驻马店 shipped in static/. */
  cityMap?: CityMapCollection;
  /** Background tiles under the map (a Leaflet URL template such as https://tile.example/{z}/{x}/{y}.png and its attribution); default none: offline, vector outlines only. */
  mapTiles?: { urlTemplate: string; attribution: string; maxZoom?: number };
  /** Devices known with their places when no registry has them (the simulator's sites under `npm start`). */
  siteDevices?: () => SiteDevice[];
  /** The device registry in-process (rules service with --registry-db): the map and device pages take position, district, grid cell, asset and tags from it. */
  registryDevices?: () => RegistryDeviceFacts[];
  /** true when the registry's command routes (POST /api/v1/devices/:id/commands) are mounted: the device page shows its command panel. */
  commands?: boolean;
  /** Counters (console requests refused, SSE clients) go here when given. */
  registry?: Registry;
  /** GeoJSON of the districts; default the one shipped in dashboards/console/static. */
  districtsFile?: string;
  /** The city's time zone: every time the console shows is in it (IANA name; default Asia/Shanghai). */
  timeZone?: string;
  /** The service's clock (city time under `npm start --sim-clock`); default the wall clock. */
  now?: () => number;
  /** Simulated ms per wall ms when `now` is a compressed run's simulated clock: the browser runs its own "now" at this speed from the server's. */
  clockSpeed?: number;
}

function vendorDir(pkg: string, sub: string): string {
  return join(dirname(require.resolve(`${pkg}/package.json`)), sub);
}

/** Registers `/console/…` on the service's Fastify instance (the rules service calls this). */
export async function registerConsoleRoutes(app: FastifyInstance, options: ConsoleOptions): Promise<void> {
  if (!options.access) throw new TzError('TZ_CONFIG_INVALID', 'console: API tokens (options.access) are required; the console never runs open');
  const cityMap = options.cityMap ? checkCityMap(options.cityMap, 'cityMap') : loadCityMapFile(options.districtsFile ?? join(CONSOLE_STATIC_DIR, 'districts.geojson'));
  const placement = new DevicePlacement(cityMap);
  const directory = new DeviceDirectory({ profiles: options.profiles, placement, influx: options.influx, registryUrl: options.deviceRegistryUrl, now: options.now, ...(options.siteDevices ? { siteDevices: options.siteDevices } : {}), ...(options.registryDevices ? { registryDevices: options.registryDevices } : {}) });
  const anyRole = requireRole(options.access, ROLES);
  const sseClients = new Set<FastifyReply>();
  const failures = options.registry
    ? new Counter({ name: 'tz_console_api_failures_total', help: 'Console API requests that failed, by route', labelNames: ['route'], registers: [options.registry] })
    : undefined;

  await app.register(async (scope) => {
    await scope.register(fastifyStatic, { root: CONSOLE_STATIC_DIR, prefix: '/console/', decorateReply: false, index: ['index.html'] });
    await scope.register(fastifyStatic, { root: vendorDir('leaflet', 'dist'), prefix: '/console/vendor/leaflet/', decorateReply: false });
    await scope.register(fastifyStatic, { root: vendorDir('uplot', 'dist'), prefix: '/console/vendor/uplot/', decorateReply: false });
  });
  app.get('/console', async (_req, reply) => reply.redirect('/console/'));

  const fail = (route: string, reply: FastifyReply, err: unknown): FastifyReply => {
    failures?.inc({ route });
    const tz = err instanceof TzError ? err : new TzError('TZ_INTERNAL', 'internal error (see the service log)', { cause: err });
    const status = httpStatusOf(tz);
    if (status >= 500) app.log.error({ err, route }, 'console: request failed');
    else app.log.warn({ err, route }, 'console: request refused');
    return reply.code(status).send({ code: tz.code, message: tz.message });
  };

  app.get('/console/api/session', { preHandler: anyRole }, async (req: FastifyRequest) => {
    const p = req.principal;
    // anyRole ran first and refuses a request without a principal.
    if (!p) throw new TzError('TZ_INTERNAL', 'console session: no principal after the role check');
    return { name: p.name, role: p.role, crewId: p.crewId };
  });

  app.get('/console/api/config', { preHandler: anyRole }, async () => ({
    apiBase: options.apiBase ?? '',
    grafanaUrl: options.grafanaUrl ?? null,
    liveFeed: Boolean(options.alarmFeed),
    history: Boolean(options.influx),
    timeZone: options.timeZone ?? 'Asia/Shanghai',
    // A compressed run's city time (npm start --sim-clock): SLA countdowns and "silent" read it, not the browser's clock.
    clock: options.clockSpeed && options.now ? { now: options.now(), speed: options.clockSpeed } : null,
    profiles: options.profiles.all().map((p) => ({ class: p.class, title: p.title, version: p.version, measurement: p.measurement, reportIntervalSeconds: p.reportIntervalSeconds, metrics: p.metrics.map((m) => ({ name: m.name, unit: m.unit, type: m.type, min: m.min ?? null, max: m.max ?? null })) })),
    mapTiles: options.mapTiles ?? null,
    registry: Boolean(options.registryDevices),
    commands: Boolean(options.commands),
    // What each class accepts (the profile's commands): the device page's command panel offers these.
    deviceCommands: Object.fromEntries(options.profiles.all().map((p) => [p.class, p.commands.map((c) => ({ name: c.name, description: c.description, params: c.params.map((x) => ({ name: x.name, type: x.type, min: x.min ?? null, max: x.max ?? null })) }))])),
  }));

  // The city the map draws: districts, grid cells and streets.
  app.get('/console/api/city', { preHandler: anyRole }, async () => cityMap);

  app.get('/console/api/devices', { preHandler: anyRole }, async (req, reply) => {
    try {
      return { devices: await directory.list(req.headers.authorization) };
    } catch (err) {
      return fail('devices', reply, err);
    }
  });

  app.get('/console/api/devices/:id/history', { preHandler: anyRole }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const { profile: cls, hours } = req.query as { profile?: string; hours?: string };
    try {
      if (!ID_PATTERN.test(id)) throw new TzError('TZ_REQUEST_INVALID', `"${id}" is not a device id`);
      const profile = cls ? options.profiles.get(cls) : undefined;
      if (!profile) throw new TzError('TZ_REQUEST_INVALID', `profile "${cls ?? ''}" is not a known device class`);
      const h = hours === undefined ? 24 : Number(hours);
      if (!Number.isInteger(h) || h < 1 || h > 24 * 31) throw new TzError('TZ_REQUEST_INVALID', 'hours must be a whole number from 1 to 744');
      return await directory.history(id, profile, h);
    } catch (err) {
      return fail('history', reply, err);
    }
  });

  // Server-sent events: EventSource cannot send headers, so the token comes as ?access_token= (GET only).
  app.get('/console/api/alarms/stream', { preHandler: anyRole }, async (req, reply) => {
    if (!options.alarmFeed) return reply.code(404).send({ code: 'TZ_REQUEST_INVALID', message: 'no live alarm feed configured; poll /api/v1/alarms' });
    reply.hijack();
    reply.raw.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    reply.raw.write(': tianzhong alarm feed\n\n');
    sseClients.add(reply);
    const unsubscribe = options.alarmFeed.subscribe((event) => reply.raw.write(`event: alarm\ndata: ${JSON.stringify(event)}\n\n`));
    const heartbeat = setInterval(() => reply.raw.write(': keep-alive\n\n'), 15_000);
    req.raw.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
      sseClients.delete(reply);
    });
  });

  // Open event streams would keep app.close() waiting forever.
  app.addHook('onClose', async () => {
    for (const reply of sseClients) reply.raw.end();
    sseClients.clear();
  });
}
