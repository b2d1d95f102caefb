import type { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { decodeUplinkBatch, parseGatewayTopic, topics, type UplinkBatch } from '../proto/index.ts';
import {
  claimSqliteFileClock, createLogger, isPostgresUrl, createRegistry, DEFAULT_TIME_ZONE, createServiceHttp, isTzError, listenService, systemClock, toError, TzError,
  type AccessTokens, type Clock, type InfluxTarget, type Logger, type MqttServiceAccount, type RunningService,
} from '../service-kit/index.ts';
import { RulesEngine } from './engine.ts';
import { registerSilenceApi } from './silence-api.ts';
import { SilenceBook, type DeviceFacts } from './silences.ts';
import { registerRulesApi } from './http-api.ts';
import { createRulesMetrics } from './metrics.ts';
import { connectRulesMqtt } from './mqtt-consumer.ts';
import { AlarmOutbox, type AlarmSink } from './outbox.ts';
import { SqliteRulesStore } from './sqlite-store.ts';
import type { RulesStore } from './rules-store.ts';
import { alarmView } from './views.ts';
import type { AlarmView } from '../proto/index.ts';

/** The broker account: client id default 'tz-rules'; with shareGroup, one member of a partitioned group. */
export interface RulesOptions extends MqttServiceAccount {
  profiles: ProfileCatalogue;
  /** SQLite file of alarms, rules and evaluator state (':memory:' allowed, tests), or a postgres:// URL (several rules services on one database). */
  dbPath: string;
  http?: { host?: string; port?: number };
  /** IANA time zone of the city for time-of-day conditions; default Asia/Shanghai. */
  timeZone?: string;
  /** History for backtests (InfluxQL). */
  influx?: InfluxTarget;
  /** Where alarm events go besides MQTT, at least once (the case system, notifiers). */
  alarmSinks?: AlarmSink[];
  /** Mounts more routes (cases, the console) on this service's HTTP server. */
  registerRoutes?: (app: FastifyInstance) => void | Promise<void>;
  /** API tokens (service-kit access): every API route needs a token of the right role. Required: no open API. */
  access: AccessTokens;
  /** Timer period for no-data, escalation and checkpoints (wall time), ms. Default 1000. */
  tickMs?: number;
  /** Outbox retry backoff, ms. */
  outboxRetry?: { minMs?: number; maxMs?: number };
  clock?: Clock;
  log?: Logger;
  /** Where the service's metrics go (served on its /metrics); default a registry of its own. Parts composed beside it (the registry centre) add theirs. */
  metricsRegistry?: Registry;
  /** Asset and district of a device for silences (the device registry); default: asset = device, district = the reading's. */
  deviceFacts?: DeviceFacts;
  /** A device's registered district (the registry), over what its gateway's readings claim. */
  districtOf?: (deviceId: string) => string | undefined;
  /** Test seam of a SQLite store's alarm writer thread (alarm-writer-protocol.ts): tests hold, fail or crash its commits. */
  writerGate?: Int32Array;
}

export interface RulesService extends RunningService {
  engine: RulesEngine;
  alarms: {
    /** Closing a case closes its alarms; returns the alarms that changed. */
    closeByCase(alarmIds: string[], caseId: string, by: string, note?: string): Promise<AlarmView[]>;
    get(alarmId: string): Promise<AlarmView | undefined>;
  };
  /** Runs the timers once now (tests with a manual clock). */
  tick(): Promise<void>;
  /** Resolves when every sink has received every stored event (or after timeoutMs: false). */
  drained(timeoutMs?: number): Promise<boolean>;
}

const MQTT_SINK = 'mqtt';
/** How often a rules service sharing a PostgreSQL store reads the rule documents and silences again (another service may have changed them). */
const SHARED_REFRESH_MS = 5_000;

/** As cases/open-case-store.ts: a postgres:// (or postgresql://) URL; anything else is a SQLite file. */

/** Opens the store a `dbPath` names: a SQLite file (default) or a PostgreSQL database. */
export async function openRulesStore(dbPath: string, log: Logger, registry?: Registry, writerGate?: Int32Array): Promise<RulesStore> {
  if (isPostgresUrl(dbPath)) {
    // Loaded only when asked for: a SQLite rules service does not load pg.
    const { PostgresRulesStore } = await import('./postgres-rules-store.ts');
    return PostgresRulesStore.open({ url: dbPath, log, registry });
  }
  // The batches' alarm changes are committed on a writer thread, off the event loop that evaluates readings (issue 18).
  return new SqliteRulesStore(dbPath, { log, alarmWriter: true, ...(registry ? { registry } : {}), ...(writerGate ? { writerGate } : {}) });
}

export async function startRules(options: RulesOptions): Promise<RulesService> {
  if (!options.brokerUrl || !options.username || !options.password) {
    // No anonymous access to the broker (STYLE.md: no permissive defaults).
    throw new TzError('TZ_CONFIG_INVALID', 'rules: brokerUrl, username and password are required');
  }
  const sinkNames = new Set<string>([MQTT_SINK]);
  for (const s of options.alarmSinks ?? []) {
    if (sinkNames.has(s.name)) throw new TzError('TZ_CONFIG_INVALID', `rules: two alarm sinks are named "${s.name}"`);
    sinkNames.add(s.name);
  }
  const log = options.log ?? createLogger('rules');
  const clock = options.clock ?? systemClock;
  const timeZone = options.timeZone ?? DEFAULT_TIME_ZONE;
  // A compressed run never opens a production store, nor the reverse (TZ_CLOCK_MISMATCH); a PostgreSQL URL is no file to claim.
  if (!isPostgresUrl(options.dbPath)) claimSqliteFileClock(options.dbPath, clock, 'rules store');
  const registry = options.metricsRegistry ?? createRegistry('rules');
  const store = await openRulesStore(options.dbPath, log, registry, options.writerGate);
  let storeOpen = true;
  // Gauges read synchronously: an asynchronous store answers the previous reading's value and refreshes it.
  let lastOpen = 0;
  let lastDepth: Record<string, number> = {};
  const alarmsOpen = (): number => {
    if (!storeOpen) return lastOpen;
    const n = store.countAlarms('open');
    if (n instanceof Promise) n.then((v) => { lastOpen = v; }, () => undefined);
    else lastOpen = n;
    return lastOpen;
  };
  const outboxDepth = (): Record<string, number> => {
    if (!storeOpen) return {};
    const d = store.outboxDepth();
    if (d instanceof Promise) d.then((v) => { lastDepth = v; }, () => undefined);
    else lastDepth = d;
    return { ...Object.fromEntries([...sinkNames].map((n) => [n, 0])), ...lastDepth };
  };

  let engine: RulesEngine | undefined;
  const metrics = createRulesMetrics(registry, {
    alarmsActive: alarmsOpen,
    outboxDepth,
    devices: () => engine?.evaluator.deviceCount() ?? 0,
  });

  let outbox: AlarmOutbox | undefined;
  let nudgeQueued = false;
  const silences = new SilenceBook(store, clock, options.deviceFacts ?? (() => undefined));
  try {
    engine = new RulesEngine({
      store, profiles: options.profiles, clock, timeZone, log, metrics, sinks: () => [...sinkNames], silences,
      ...(options.districtOf ? { districtOf: options.districtOf } : {}),
      onStored: () => {
        if (nudgeQueued) return;
        nudgeQueued = true;
        setImmediate(() => { nudgeQueued = false; outbox?.nudge(); });
      },
    });
    await engine.ready;
  } catch (err) {
    await store.close();
    throw err;
  }
  const eng = engine;
  const depth = await store.outboxDepth();
  const orphaned = Object.keys(depth).filter((s) => !sinkNames.has(s));
  if (orphaned.length > 0) log.warn({ sinks: orphaned, pending: depth }, 'rules: alarm events wait for sinks that are not configured');

  /** What a message's PUBACK waits for: its alarm changes stored (PostgreSQL) or synced to disk (SQLite, a batch's commit). */
  const stored = (): Promise<void> | undefined => {
    const a = eng.pending();
    const b = eng.topology.pending();
    return a && b ? Promise.all([a, b]).then(() => undefined) : (a ?? b);
  };
  const onMessage = (topic: string, payload: Uint8Array): Promise<void> | undefined => {
    handleMessage(topic, payload);
    return stored();
  };
  const handleMessage = (topic: string, payload: Uint8Array): void => {
    if (topic === topics.gatewayEvents) {
      const outcome = eng.topology.onConnectionEvent(payload);
      if (outcome === 'malformed') eng.reject('bad-event', { topic });
      else if (outcome === 'stale') metrics.staleGatewayEvents.inc();
      else outbox?.nudge();
      return;
    }
    const parsed = parseGatewayTopic(topic);
    if (!parsed) return eng.reject('bad-topic', { topic });
    if (parsed.kind === 'status') {
      try {
        eng.topology.onStatus(parsed.gatewayId, payload);
        outbox?.nudge();
      } catch (err) {
        eng.reject('malformed', { topic, err: isTzError(err) ? err.message : toError(err).message });
      }
      return;
    }
    if (parsed.kind !== 'batch') return eng.reject('bad-topic', { topic });
    let batch: UplinkBatch;
    try {
      batch = decodeUplinkBatch(payload);
    } catch (err) {
      return eng.reject('malformed', { topic, bytes: payload.length, err: isTzError(err) ? err.message : toError(err).message });
    }
    if (batch.gatewayId !== parsed.gatewayId) return eng.reject('gateway-mismatch', { topic, gatewayId: batch.gatewayId });
    eng.counters.batches += 1;
    metrics.batches.inc();
    // One transaction for the batch's alarm changes, committed by the writer thread; its PUBACK waits until they
    // are committed and synced (`eng.pending()`, see `stored`), while the next message is already evaluated.
    void eng.handleBatch(parsed.gatewayId, batch.readings);
  };

  const mqttSession = connectRulesMqtt({
    brokerUrl: options.brokerUrl, username: options.username, password: options.password,
    clientId: options.clientId ?? 'tz-rules', shareGroup: options.shareGroup, log, onMessage,
  });
  const mqttSink: AlarmSink = { name: MQTT_SINK, deliver: (event) => mqttSession.publishJson(topics.alarmEvents, JSON.stringify(event)) };
  outbox = new AlarmOutbox({ store, sinks: [mqttSink, ...(options.alarmSinks ?? [])], log, metrics, retry: options.outboxRetry });
  outbox.nudge();
  const deliverer = outbox;

  const app = createServiceHttp({
    component: 'rules', registry, log,
    health: () => ({ ok: mqttSession.connected() && mqttSession.subscribed(), brokerConnected: mqttSession.connected(), subscribed: mqttSession.subscribed(), subscriptionsRefused: mqttSession.refusedSubscriptions(), alarmsOpen: alarmsOpen(), devices: eng.evaluator.deviceCount() }),
  });
  registerRulesApi(app, { engine: eng, store, profiles: options.profiles, timeZone, influx: options.influx, access: options.access });
  registerSilenceApi(app, { silences, clock, access: options.access, onChange: () => eng.tick() });
  let httpUrl: string;
  try {
    await options.registerRoutes?.(app);
    httpUrl = await listenService(app, options.http?.host ?? '127.0.0.1', options.http?.port ?? 0);
  } catch (err) {
    outbox.stop();
    await mqttSession.stop();
    await store.close();
    throw err;
  }
  log.info({ httpUrl, timeZone, sinks: [...sinkNames], shareGroup: options.shareGroup }, 'rules: HTTP API listening');

  let ticking: Promise<void> | undefined;
  let lastRefresh = clock.now();
  const failed = (err: unknown) => log.error({ err: toError(err).message }, 'rules: timer run failed');
  /** Timers, checkpoint, and the outbox looked at again (rows another service's lease let go, or a sink's retry). */
  const tick = async (): Promise<void> => {
    if (ticking) return ticking;
    try {
      const ran = eng.tick();
      // Write-behind in slices: a tick with 100,000 changed devices must not stall the consumer.
      eng.checkpointInSlices().catch((err: unknown) => log.error({ err: toError(err).message }, 'rules: checkpoint failed'));
      outbox?.nudge();
      if (store.kind !== 'sqlite' && clock.now() - lastRefresh >= SHARED_REFRESH_MS) {
        lastRefresh = clock.now();
        const refreshed = Promise.all([eng.rules.refresh(), silences.reload()]).then(() => undefined);
        ticking = Promise.all([ran, refreshed]).then(() => undefined, failed).finally(() => { ticking = undefined; });
        return await ticking;
      }
      if (ran instanceof Promise) {
        ticking = ran.catch(failed).finally(() => { ticking = undefined; });
        await ticking;
      }
    } catch (err) {
      failed(err);
    }
  };
  const timer = setInterval(() => void tick(), options.tickMs ?? 1000);
  timer.unref();

  let stopped = false;
  return {
    httpUrl,
    engine: eng,
    alarms: {
      closeByCase: async (alarmIds, caseId, by, note) => (await eng.closeByCase(alarmIds.map(Number).filter(Number.isInteger), caseId, by, note)).map(alarmView),
      get: async (alarmId) => {
        const a = await store.getAlarm(Number(alarmId));
        return a && alarmView(a);
      },
    },
    tick,
    drained: (timeoutMs = 10_000) => deliverer.drained(timeoutMs),
    stats: () => ({ ...eng.counters, alarmsActive: alarmsOpen(), devicesTracked: eng.evaluator.deviceCount() }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await deliverer.drained(2000);
      deliverer.stop();
      await mqttSession.stop();
      await app.close();
      // Changes still being stored finish (or, with the database away, give up: their batches were not acknowledged).
      eng.stop();
      // Bounded: a disk that never answers must not hold the stop; closing the store then ends the writer thread and fails what it still has (not acknowledged).
      const inFlight = stored()?.catch(() => undefined);
      if (inFlight) {
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([inFlight, new Promise<void>((resolve) => { timer = setTimeout(resolve, 10_000); })]);
        clearTimeout(timer);
      }
      await ticking;
      // A sliced write-behind still running ends first; then the rest is written at once.
      await eng.checkpointWritten()?.catch(() => undefined);
      eng.checkpoint();
      await eng.checkpointWritten();
      alarmsOpen();
      storeOpen = false;
      await store.close();
      log.info('rules: stopped');
    },
  };
}
