import mqtt, { type MqttClient } from 'mqtt';
import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { startRules, type DeviceFacts, type RulesService } from '../rules/index.ts';
import { openCaseSystem, type AssetPlaces, type CaseSystem } from '../cases/index.ts';
import { RegistryBinding, cityMapGeoJson, commandRoutes, loadCityMap, registerDeviceInfoGauges, registerRegistryRoutes, RegistryKey, SqliteRegistryStore, openRegistry, RegistryDeviceSnapshot, ruleCommandSink, startRegistryCentre, type RegistryCentre, type RegistryStore, type RegisteredDevice } from '../registry/index.ts';
import { registerConsoleRoutes, AlarmFanOut, type RegistryDeviceFacts, type SiteDevice } from '../dashboards/index.ts';
import { rulesServiceAuditedRoutes } from './audit-routes.ts';
import { createRegistry, openAccessStore, openAuditLog, openSqlite, recordHttpChanges, registerAuditApi, systemClock, type AuditLog, type Clock, SimulatedClock, TzError, type AccessTokens, type InfluxTarget, type Logger, type MqttServiceAccount } from '../service-kit/index.ts';

// The "rules service" process as operators run it: the rules engine, the case
// system and the ops console on one HTTP server, one set of API tokens. Three
// rooms that do not import each other; this file connects them:
// rules → (alarm sink, at least once) → cases → (close alarms) → rules.

export interface RulesServiceOptions extends MqttServiceAccount {
  profiles: ProfileCatalogue;
  /** SQLite files (or postgres:// URLs): alarms and rules; cases; API tokens (may be shared with other services). */
  rulesDbPath: string;
  casesDbPath: string;
  accessDbPath: string;
  photoDir: string;
  /** Case categories, departments, SLA, crews (YAML/JSON file); built-in defaults when absent. */
  caseConfig?: string;
  webhookSecret?: string;
  influx?: InfluxTarget;
  /** Ingest's HTTP base URL: its /api/v1/devices is the device registry the console shows. */
  deviceRegistryUrl?: string;
  timeZone?: string;
  /** City plan GeoJSON (districts, grid cells, streets); default env TZ_CITY_BOUNDARIES, else the shipped schematic 驻马店. */
  cityFile?: string;
  /** Where devices stand, for sensor cases (the device registry; `npm start`: the simulator's sites). */
  assetPlaces?: AssetPlaces;
  /** Devices with places the console shows when the registry does not know them (`npm start`: the simulator's). */
  siteDevices?: () => SiteDevice[];
  /** Background tiles for the console map; default from env TZ_MAP_TILES + TZ_MAP_TILES_ATTRIBUTION, else none (offline). */
  mapTiles?: { urlTemplate: string; attribution: string };
  /** Asset and district of a device, for silences (the device registry when it is wired); default: the alarm's own facts. */
  deviceFacts?: DeviceFacts;
  http?: { host?: string; port?: number };
  log: (component: string) => Logger;
  /** SQLite file or postgres:// URL of the device registry: serves /api/v1/devices, /assets, /gateways (LoRa keys sealed with TZ_REGISTRY_KEY). */
  registryDbPath?: string;
  /** With a registry on PostgreSQL: the SQLite file of the centre's command log and config ledger (over SQLite they live in the registry's file). */
  registryLedgerDbPath?: string;
  /** The one audit log (SQLite, append-only): token issues/revocations, rule, silence and case changes; GET /api/v1/audit. */
  auditDbPath?: string;
  /** The service's clock (`serviceClock()`: wall, or a compressed run's simulated clock) for rules, cases and the registry centre. */
  clock?: Clock;
}

export interface RunningRulesService {
  httpUrl: string;
  rules: RulesService;
  cases: CaseSystem;
  access: AccessTokens;
  audit?: AuditLog;
  stats(): Record<string, number>;
  stop(): Promise<void>;
}

/** Console map tiles from the environment: a Leaflet URL template with {z}/{x}/{y} and the attribution its provider requires. */
export function mapTilesFromEnv(env: NodeJS.ProcessEnv): { urlTemplate: string; attribution: string } | undefined {
  const urlTemplate = env.TZ_MAP_TILES?.trim();
  if (!urlTemplate) return undefined;
  if (!/^https?:\/\/.*\{z\}.*\{x\}.*\{y\}/.test(urlTemplate)) throw new TzError('TZ_CONFIG_INVALID', `TZ_MAP_TILES must be an http(s) URL template with {z}, {x} and {y}, got "${urlTemplate}"`);
  const attribution = env.TZ_MAP_TILES_ATTRIBUTION?.trim();
  if (!attribution) throw new TzError('TZ_CONFIG_INVALID', 'TZ_MAP_TILES needs TZ_MAP_TILES_ATTRIBUTION (tile providers require their attribution on the map)');
  return { urlTemplate, attribution };
}

export async function startRulesService(o: RulesServiceOptions): Promise<RunningRulesService> {
  const stops: Array<() => Promise<void>> = [];
  const auditDb = o.auditDbPath ? openSqlite(o.auditDbPath, { durability: 'full' }) : undefined;
  if (auditDb) stops.push(async () => { auditDb.close(); });
  const audit = auditDb ? openAuditLog(auditDb) : undefined;
  // API tokens: a SQLite file, or a postgres:// URL shared by every service of the city (a revocation holds everywhere at once).
  const accessStore = await openAccessStore(o.accessDbPath, { log: o.log('access'), ...(audit ? { audit: (entry) => { audit.append(entry); } } : {}) })
    .catch((err: unknown) => { auditDb?.close(); throw err; });
  stops.push(() => accessStore.close());
  const access = accessStore.tokens;
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) await stop().catch((err: unknown) => o.log('rules').error({ err }, 'part of the rules service did not stop cleanly'));
    stops.length = 0;
  };
  try {
    // Crew notifications leave over MQTT (QoS 1, resolved on PUBACK) from a client of their own.
    const notifier: MqttClient = await mqtt.connectAsync(o.brokerUrl, {
      clientId: `${o.clientId ?? 'tz-rules'}-cases`, username: o.username, password: o.password, clean: true, reconnectPeriod: 2000, connectTimeout: 10_000,
    });
    stops.push(async () => { await notifier.endAsync(); });

    // The device registry, when given, is where cases, silences and the console read device facts from.
    let registry: RegistryStore | undefined;
    // Readers that answer synchronously: the SQLite store itself, or over PostgreSQL a snapshot refreshed by revision.
    let deviceNow: DeviceNow | undefined;
    if (o.registryDbPath) {
      const store = await openRegistry(o.registryDbPath, { profiles: o.profiles, key: RegistryKey.load(), log: o.log('registry') });
      registry = store;
      stops.push(async () => { await store.close(); });
      if (store instanceof SqliteRegistryStore) deviceNow = { get: (id) => store.getDevice(id), list: () => store.listDevices() };
      else {
        const snapshot = await RegistryDeviceSnapshot.open(store, { log: o.log('registry') });
        stops.push(async () => { snapshot.close(); });
        deviceNow = snapshot;
      }
    }
    const assetPlaces: AssetPlaces | undefined = o.assetPlaces ?? (registry ? registryPlaces(registry) : undefined);
    const deviceFacts: DeviceFacts | undefined = o.deviceFacts ?? (deviceNow ? registryFacts(deviceNow) : undefined);
    // District-scoped rules use the registry's district, from memory (refreshed by revision), not the gateway's claim.
    let districts: RegistryBinding | undefined;
    if (registry) {
      const binding = new RegistryBinding(registry, { log: o.log('registry') });
      binding.start();
      districts = binding;
      stops.push(async () => { binding.close(); });
    }

    // rules.alarms is known only once rules has started; the case system may ask before (at start-up it only queues).
    let rules: RulesService | undefined;
    // The city plan: Open311 and other cases reported at a point get district and grid cell from it (dispatch by 网格).
    const cityMap = loadCityMap(o.cityFile);
    const tiles = o.mapTiles ?? mapTilesFromEnv(process.env);
    // One /metrics for the process: the case system's gauges (open cases, KPIs) are served beside the rules engine's.
    const metricsRegistry = createRegistry('rules');
    accessStore.registerMetrics(metricsRegistry);
    const clock = o.clock ?? systemClock;
    const cases = await openCaseSystem({
      registry: metricsRegistry,
      // Under a simulated clock the SLA check runs often enough in wall time to keep up (30 s of wall time is hours of city time).
      clock, ...(clock instanceof SimulatedClock ? { slaCheckMs: 500, outboxPollMs: 250 } : {}),
      gridLocator: cityMap, ...(assetPlaces ? { assetPlaces } : {}),
      dbPath: o.casesDbPath, photoDir: o.photoDir, access, log: o.log('cases'), config: o.caseConfig, webhookSecret: o.webhookSecret,
      publishMqtt: async (topic, payload) => { await notifier.publishAsync(topic, payload, { qos: 1 }); },
      closeAlarms: async (ids, caseId, by, note) => {
        // Thrown errors make the case outbox retry later.
        if (!rules) throw new TzError('TZ_NOT_READY', 'rules service is still starting');
        await rules.alarms.closeByCase(ids, caseId, by, note);
      },
    });
    stops.push(() => cases.stop());

    // Commands and gateway configs from the centre, when the registry is here.
    let centre: RegistryCentre | undefined;
    if (registry) {
      const r = registry;
      // Grafana's district / grid cell / asset / tag variables read the registry through these.
      registerDeviceInfoGauges(metricsRegistry, r);
      const ledgerDb = r instanceof SqliteRegistryStore || !o.registryLedgerDbPath ? undefined : openSqlite(o.registryLedgerDbPath, { durability: 'full' });
      if (ledgerDb) stops.push(async () => { ledgerDb.close(); });
      centre = await startRegistryCentre({
        store: r, ...(ledgerDb ? { ledgerDb } : {}), profiles: o.profiles, clock, log: o.log('registry'), metrics: metricsRegistry, ...(audit ? { audit } : {}),
        mqtt: { brokerUrl: o.brokerUrl, username: o.username, password: o.password, clientId: `${o.clientId ?? 'tz-rules'}-registry` },
      });
      const c = centre;
      stops.push(() => c.stop());
    }
    // A rule may ask for a device command when it raises (the pole's loudspeaker warning).
    const commandSinks = centre ? [ruleCommandSink(centre.commands, (ruleId) => {
      try {
        return rules?.engine.rules.get(ruleId).spec.command;
      } catch {
        return undefined;
      }
    }, o.log('registry'), audit)] : [];

    // Live alarms for the console's SSE feed, in-process.
    const feed = new AlarmFanOut();
    rules = await startRules({
      brokerUrl: o.brokerUrl, username: o.username, password: o.password, clientId: o.clientId, shareGroup: o.shareGroup, metricsRegistry,
      clock, ...(clock instanceof SimulatedClock ? { tickMs: 250 } : {}), profiles: o.profiles, dbPath: o.rulesDbPath, http: o.http, log: o.log('rules'), timeZone: o.timeZone, influx: o.influx, access, ...(deviceFacts ? { deviceFacts } : {}), ...(districts ? { districtOf: (id: string) => districts?.districtOf(id) } : {}),
      alarmSinks: [cases.alarmSink, { name: 'console-feed', deliver: async (event) => feed.publish(event) }, ...commandSinks],
      registerRoutes: async (app) => {
        if (audit) {
          registerAuditApi(app, { access, audit });
          recordHttpChanges(app, audit, rulesServiceAuditedRoutes);
        }
        await cases.registerRoutes(app);
        await registerConsoleRoutes(app, {
          access, profiles: o.profiles, influx: o.influx, deviceRegistryUrl: o.deviceRegistryUrl, alarmFeed: feed, timeZone: o.timeZone,
          // The console's "now" (device silent, SLA left) is the service's clock: city time under --sim-clock.
          now: () => clock.now(), ...(clock instanceof SimulatedClock ? { clockSpeed: clock.speed } : {}),
          cityMap: cityMapGeoJson(cityMap), ...(tiles ? { mapTiles: tiles } : {}), ...(o.siteDevices ? { siteDevices: o.siteDevices } : {}),
          // The registry, when here, is where the map and device pages take places, assets and tags from; its centre sends commands.
          ...(deviceNow ? { registryDevices: consoleRegistryDevices(deviceNow), commands: Boolean(centre) } : {}),
        });
        if (registry) await registerRegistryRoutes(app, { store: registry, access });
        if (centre) await app.register(commandRoutes, { center: centre.commands, access });
      },
    });
    const started = rules;
    stops.push(() => started.stop());
    return {
      httpUrl: started.httpUrl, rules: started, cases, access, ...(audit ? { audit } : {}),
      stats: () => {
        const c = cases.stats();
        return { ...started.stats(), casesOpened: c.casesOpened, casesOpen: c.casesOpen, casesAbsorbed: c.casesAbsorbed, casesOverdue: c.casesOverdue, caseOutboxPending: c.outboxPending };
      },
      stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** The registry's devices, answered at once. */
interface DeviceNow {
  get(id: string): RegisteredDevice | undefined;
  list(): RegisteredDevice[];
}

/** Sensor cases take the device's place from the registry. */
function registryPlaces(store: RegistryStore): AssetPlaces {
  return {
    async placeOf(deviceId) {
      const d = await store.getDevice(deviceId);
      if (!d) return null;
      return { lat: d.position?.lat ?? null, long: d.position?.lon ?? null, address: d.address, district: d.district, gridCell: d.gridCell };
    },
  };
}

/** Silences match a device's asset and district as the registry has them, not as a gateway claims. */
function registryFacts(devices: DeviceNow): DeviceFacts {
  return (deviceId) => {
    const d = devices.get(deviceId);
    if (!d) return undefined;
    return { ...(d.assetId ? { assetId: d.assetId } : {}), ...(d.district ? { district: d.district } : {}) };
  };
}

/** The console reads the registry's devices (places, assets, tags) in-process. */
function consoleRegistryDevices(devices: DeviceNow): () => RegistryDeviceFacts[] {
  return () => devices.list();
}
