import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadProfiles, type ProfileCatalogue } from '../device-profiles/index.ts';
import { startBroker, BrokerUsers, type RunningBroker } from '../broker/index.ts';
import { startIngest, type Ingest, type InfluxTarget } from '../ingest/index.ts';
import { startRulesService, type RunningRulesService } from './rules-service.ts';
import type { SiteDevice } from '../dashboards/index.ts';
import { parseEdgeAgentConfig, startEdgeAgent, type EdgeAgent } from '../edge-agent/index.ts';
import { startSimulatedDistrict, type SimulatedDistrict } from '../firmware-sim/index.ts';
import { loadCityMap, streetSites, RegistryBinding, RegistryKey, SqliteRegistryStore } from '../registry/index.ts';
import { seedSimulatedRegistry, type SeedOutcome } from './sim-registry.ts';
import { Gauge } from 'prom-client';
import { createLogger, createServiceHttp, createRegistry, listenService, openAccessTokens, openAuditLog, openSqlite, type Logger, type SimulatedClock } from '../service-kit/index.ts';
import { startManagedInfluxd } from '../testing/index.ts';
import { prometheusScrapeConfig } from './prometheus-config.ts';

// The whole pipeline on one machine: managed influxd (unless INFLUX_URL),
// broker, ingest, rules, a simulated district and one edge agent polling it.

export interface StackOptions {
  /** Folder for the managed influxd, SQLite files and logs. */
  varDir: string;
  devices: number;
  seed: number;
  gatewayId: string;
  pollIntervalMs: number;
  /** An existing InfluxDB; when absent a managed influxd is started under varDir. */
  influx?: Omit<InfluxTarget, 'database'> & { database?: string };
  database: string;
  /** Fixed MQTT port (0 = a free one). */
  mqttPort: number;
  /** Port of the stack's own status API (0 = a free one). */
  statusPort: number;
  /** Device profiles folder; the built-in profiles when absent. */
  profileDir?: string;
  log?: Logger;
  /** A compressed run's one simulated clock (`--sim-clock`, TZ_SIM_CLOCK): sim, the agent's stamps, ingest, rules and cases read it. Released once everything listens. */
  clock?: SimulatedClock;
  /** Case config (YAML/JSON file) for the rules service; built-in defaults when absent. */
  caseConfig?: string;
  /** Simulated devices per Modbus bus (the sim's default 50); smaller buses poll in parallel. */
  devicesPerBus?: number;
}

export interface PipelineCounters {
  readingsPolled: number;
  readingsReceived: number;
  readingsWritten: number;
  readingsRejected: number;
  alarmsRaised: number;
  alarmsActive: number;
  casesOpened: number;
  casesOpen: number;
}

export interface RunningStack {
  influxUrl: string;
  database: string;
  mqttUrl: string;
  urls: { broker: string; ingest: string; rules: string; edgeAgent: string; status: string; console: string };
  /** Operator API token valid while this stack runs (console sign-in, `TZ_API_TOKEN`). */
  operatorToken: string;
  /** A Prometheus scrape configuration for this run's /metrics endpoints (var/prometheus.yml). */
  prometheusConfig: string;
  sim: SimulatedDistrict;
  profiles: ProfileCatalogue;
  /** The device registry of this run (var/registry.sqlite): the simulated city seeded into it, ingest bound to it. */
  registry: { path: string; seeded: SeedOutcome };
  counters(): PipelineCounters;
  details(): Record<string, Record<string, number>>;
  stop(): Promise<void>;
}

/** A password for one run: nothing secret ships with the code. */
function oneRunPassword(): string {
  return randomBytes(18).toString('base64url');
}

export async function startStack(options: StackOptions): Promise<RunningStack> {
  const log = options.log ?? createLogger('stack');
  // First, before anything starts: a broken profile stops the stack with nothing left running.
  const profiles = loadProfiles(options.profileDir);
  const cityMap = loadCityMap();
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async (): Promise<void> => {
    for (const stop of stops.reverse()) {
      try {
        await stop();
      } catch (err) {
        log.error({ err }, 'component did not stop cleanly');
      }
    }
    stops.length = 0;
  };

  try {
    let influxUrl = options.influx?.url;
    if (!influxUrl) {
      const started = await startManagedInfluxd({ dataDir: join(options.varDir, 'influxdb'), log });
      stops.push(() => started.stop());
      influxUrl = started.url;
    }
    const influx: InfluxTarget = { ...options.influx, url: influxUrl, database: options.influx?.database ?? options.database };

    const users = BrokerUsers.inMemory();
    const secrets = { ingest: oneRunPassword(), rules: oneRunPassword(), gateway: oneRunPassword() };
    users.add('tz-ingest', secrets.ingest, 'ingest');
    users.add('tz-rules', secrets.rules, 'rules');
    users.add(options.gatewayId, secrets.gateway, 'gateway');

    // The one audit log (the rules service opens the same file): broker logins go to it from the start.
    mkdirSync(options.varDir, { recursive: true });
    const auditDb = openSqlite(join(options.varDir, 'audit.sqlite'), { durability: 'full' });
    const audit = openAuditLog(auditDb);
    stops.push(async () => { auditDb.close(); });
    const broker: RunningBroker = await startBroker({ users, port: options.mqttPort, log: createLogger('broker'), audit: (entry) => { audit.append(entry); } });
    stops.push(() => broker.stop());

    // One token store for every API of the stack (the rules service opens the same file).
    mkdirSync(options.varDir, { recursive: true });
    const accessDb = openSqlite(join(options.varDir, 'access.sqlite'), { durability: 'full' });
    accessDb.pragma('journal_mode = WAL');
    stops.push(async () => { accessDb.close(); });
    // The device registry: the source of device facts. Ingest is bound to it (readings of unregistered devices
    // are dead-lettered); the rules service serves its API and runs the centre (config push, commands) on it.
    const registryPath = join(options.varDir, 'registry.sqlite');
    const registryStore = new SqliteRegistryStore(registryPath, { profiles, key: RegistryKey.load() });
    stops.push(async () => { registryStore.close(); });
    const binding = new RegistryBinding(registryStore, { log: createLogger('registry') });
    binding.start();
    stops.push(async () => { binding.close(); });
    const ingest: Ingest = await startIngest({
      binding,
      brokerUrl: broker.mqttUrl, username: 'tz-ingest', password: secrets.ingest, influx, profiles, access: openAccessTokens(accessDb),
      deadLetterPath: join(options.varDir, 'dead-letter.sqlite'), log: createLogger('ingest'), ...(options.clock ? { clock: options.clock } : {}),
    });
    stops.push(() => ingest.stop());

    // Sensor cases carry their device's place from the registry (position, address, district, grid cell);
    // the console map draws the registry's positions.
    let sited: SiteDevice[] = [];
    const rules: RunningRulesService = await startRulesService({
      registryDbPath: registryPath,
      siteDevices: () => sited,
      brokerUrl: broker.mqttUrl, username: 'tz-rules', password: secrets.rules, profiles, influx, deviceRegistryUrl: ingest.httpUrl,
      rulesDbPath: join(options.varDir, 'rules.sqlite'), casesDbPath: join(options.varDir, 'cases.sqlite'), accessDbPath: join(options.varDir, 'access.sqlite'),
      photoDir: join(options.varDir, 'photos'), log: createLogger, auditDbPath: join(options.varDir, 'audit.sqlite'),
      ...(options.clock ? { clock: options.clock } : {}), ...(options.caseConfig ? { caseConfig: options.caseConfig } : {}),
    });
    stops.push(() => rules.stop());
    // A console sign-in for this run: an operator token, revoked when the stack stops.
    const operator = await rules.access.issue({ name: `npm-start-${process.pid}`, role: 'operator' });
    stops.push(async () => { await rules.access.revoke(operator.principal.tokenId); });

    // The simulated devices stand along the city plan's streets (registry/places; TZ_CITY_BOUNDARIES for another city).
    const sim = await startSimulatedDistrict({ profiles, devices: options.devices, seed: options.seed, sites: streetSites(cityMap), ...(options.devicesPerBus ? { devicesPerBus: options.devicesPerBus } : {}), ...(options.clock ? { simulatedClock: options.clock, stepSeconds: 60 } : {}) });
    stops.push(() => sim.stop());
    const seeded = seedSimulatedRegistry(registryStore, sim.devices, { gatewayId: options.gatewayId, by: 'npm-start' });
    // Before the agent's first poll: the binding knows every seeded device.
    binding.refresh();
    sited = registryStore.devicesOfGateway(options.gatewayId).flatMap((d) => (d.position && d.state !== 'retired' && d.state !== 'discovered'
      ? [{ deviceId: d.id, profile: d.class, gatewayId: d.gatewayId, district: d.district ?? 'unknown', lat: d.position.lat, lon: d.position.lon, address: d.address ?? '', gridCell: d.gridCell ?? '' }]
      : []));

    const agent: EdgeAgent = await startEdgeAgent(
      parseEdgeAgentConfig({
        gatewayId: options.gatewayId, brokerUrl: broker.mqttUrl, username: options.gatewayId, password: secrets.gateway,
        dataDir: join(options.varDir, 'edge-agent', options.gatewayId),
        devices: sim.devices.map((d) => ({ deviceId: d.deviceId, profile: d.profile, district: d.district, modbus: { host: d.host, port: d.port, unitId: d.unitId } })),
        pollIntervalMs: options.pollIntervalMs, requestTimeoutMs: 1000, offlineAfterFailures: 3,
      }, 'stack'),
      { profiles, log: createLogger('edge-agent'), ...(options.clock ? { readingClock: options.clock } : {}) },
    );
    stops.push(() => agent.stop());

    // Named parts, so the counters below read each without an index check.
    const details = (): Record<'broker' | 'ingest' | 'rules' | 'edgeAgent' | 'sim', Record<string, number>> => ({
      broker: broker.stats(), ingest: ingest.stats(), rules: rules.stats(), edgeAgent: agent.stats(), sim: sim.stats(),
    });
    const counters = (): PipelineCounters => {
      const d = details();
      return {
        readingsPolled: d.edgeAgent.readings ?? 0,
        readingsReceived: d.ingest.received ?? 0,
        readingsWritten: d.ingest.written ?? 0,
        readingsRejected: d.ingest.rejected ?? 0,
        alarmsRaised: d.rules.alarmsRaised ?? 0,
        alarmsActive: d.rules.alarmsActive ?? 0,
        casesOpened: d.rules.casesOpened ?? 0,
        casesOpen: d.rules.casesOpen ?? 0,
      };
    };

    // The stack's own face: pipeline counters for anyone checking a run.
    const statusLog = createLogger('stack-status');
    const stackRegistry = createRegistry('stack', true);
    // The pipeline report of /api/v1/pipeline, for Prometheus too.
    new Gauge({
      name: 'tz_stack_pipeline', help: 'Whole-pipeline counts as GET /api/v1/pipeline reports them (readings polled/received/written/rejected, alarms, cases)',
      labelNames: ['count'], registers: [stackRegistry],
      collect() {
        for (const [count, value] of Object.entries(counters())) this.set({ count }, value);
      },
    });
    const statusApp = createServiceHttp({
      component: 'stack', registry: stackRegistry, log: statusLog,
      health: async () => {
        const parts = await Promise.all(
          Object.entries({ broker: broker.httpUrl, ingest: ingest.httpUrl, rules: rules.httpUrl, edgeAgent: agent.httpUrl }).map(async ([name, url]) => {
            const res = await fetch(`${url}/healthz`).catch(() => null);
            return [name, res?.ok ?? false] as const;
          }),
        );
        return { ok: parts.every(([, ok]) => ok), components: Object.fromEntries(parts) };
      },
    });
    statusApp.get('/api/v1/pipeline', async () => ({ counters: counters(), components: details() }));
    const statusUrl = await listenService(statusApp, '127.0.0.1', options.statusPort);
    stops.push(() => statusApp.close());
    const prometheusConfig = join(options.varDir, 'prometheus.yml');
    writeFileSync(prometheusConfig, prometheusScrapeConfig({ broker: broker.httpUrl, ingest: ingest.httpUrl, rules: rules.httpUrl, 'edge-agent': agent.httpUrl, stack: statusUrl }));

    // Everything listens: simulated time starts to flow now (a wall clock has nothing to release).
    options.clock?.release();
    return {
      influxUrl, database: influx.database, mqttUrl: broker.mqttUrl, sim, profiles, registry: { path: registryPath, seeded },
      urls: { broker: broker.httpUrl, ingest: ingest.httpUrl, rules: rules.httpUrl, edgeAgent: agent.httpUrl, status: statusUrl, console: `${rules.httpUrl}/console/` },
      operatorToken: operator.token,
      prometheusConfig,
      counters, details, stop: stopAll,
    };
  } catch (err) {
    await stopAll();
    throw err;
  }
}
