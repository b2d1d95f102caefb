import type { Registry } from 'prom-client';
import type { FastifyInstance } from 'fastify';
import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { decodeUplinkBatch, parseGatewayTopic, topics, type UplinkBatch } from '../proto/index.ts';
import {
  claimSqliteFileClock, createLogger, createRegistry, DEFAULT_TIME_ZONE, createServiceHttp, isTzError, listenService, systemClock, toError, TzError,
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
import { alarmView } from './views.ts';
import type { AlarmView } from '../proto/index.ts';

/** The broker account: client id default 'tz-rules'; with shareGroup, one member of a partitioned group. */
export interface RulesOptions extends MqttServiceAccount {
  profiles: ProfileCatalogue;
  /** SQLite file of alarms, rules and evaluator state; ':memory:' allowed (tests). */
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
}

export interface RulesService extends RunningService {
  engine: RulesEngine;
  alarms: {
    /** Closing a case closes its alarms; returns the alarms that changed. */
    closeByCase(alarmIds: string[], caseId: string, by: string, note?: string): AlarmView[];
    get(alarmId: string): AlarmView | undefined;
  };
  /** Runs the timers once now (tests with a manual clock). */
  tick(): void;
  /** Resolves when every sink has received every stored event (or after timeoutMs: false). */
  drained(timeoutMs?: number): Promise<boolean>;
}

const MQTT_SINK = 'mqtt';

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
  // A compressed run never opens a production store, nor the reverse (TZ_CLOCK_MISMATCH).
  claimSqliteFileClock(options.dbPath, clock, 'rules store');
  const store = new SqliteRulesStore(options.dbPath);
  let storeOpen = true;
  let lastOpen = 0;
  const alarmsOpen = () => (storeOpen ? (lastOpen = store.countAlarms('open')) : lastOpen);

  const registry = options.metricsRegistry ?? createRegistry('rules');
  let engine: RulesEngine | undefined;
  const metrics = createRulesMetrics(registry, {
    alarmsActive: alarmsOpen,
    outboxDepth: () => (storeOpen ? { ...Object.fromEntries([...sinkNames].map((n) => [n, 0])), ...store.outboxDepth() } : {}),
    devices: () => engine?.evaluator.deviceCount() ?? 0,
  });

  let outbox: AlarmOutbox | undefined;
  let nudgeQueued = false;
  const silences = new SilenceBook(store, clock, options.deviceFacts ?? (() => undefined));
  try {
    engine = new RulesEngine({
      store, profiles: options.profiles, clock, timeZone, log, metrics, sinks: () => [...sinkNames], silences,
      onStored: () => {
        if (nudgeQueued) return;
        nudgeQueued = true;
        setImmediate(() => { nudgeQueued = false; outbox?.nudge(); });
      },
    });
  } catch (err) {
    store.close();
    throw err;
  }
  const eng = engine;
  const orphaned = Object.keys(store.outboxDepth()).filter((s) => !sinkNames.has(s));
  if (orphaned.length > 0) log.warn({ sinks: orphaned, pending: store.outboxDepth() }, 'rules: alarm events wait for sinks that are not configured');

  const onMessage = (topic: string, payload: Uint8Array): void => {
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
    // One transaction for the batch's alarm changes, committed before this handler returns (and the PUBACK goes out).
    eng.handleBatch(parsed.gatewayId, batch.readings);
  };

  const mqttSession = connectRulesMqtt({
    brokerUrl: options.brokerUrl, username: options.username, password: options.password,
    clientId: options.clientId ?? 'tz-rules', shareGroup: options.shareGroup, log, onMessage,
  });
  const mqttSink: AlarmSink = { name: MQTT_SINK, deliver: (event) => mqttSession.publishJson(topics.alarmEvents, JSON.stringify(event)) };
  outbox = new AlarmOutbox({ store, sinks: [mqttSink, ...(options.alarmSinks ?? [])], log, metrics, retry: options.outboxRetry });
  outbox.nudge();

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
    store.close();
    throw err;
  }
  log.info({ httpUrl, timeZone, sinks: [...sinkNames], shareGroup: options.shareGroup }, 'rules: HTTP API listening');

  const tick = (): void => {
    try {
      eng.tick();
      // Write-behind in slices: a tick with 100,000 changed devices must not stall the consumer.
      eng.checkpointInSlices().catch((err: unknown) => log.error({ err: toError(err).message }, 'rules: checkpoint failed'));
    } catch (err) {
      log.error({ err: toError(err).message }, 'rules: timer run failed');
    }
  };
  const timer = setInterval(tick, options.tickMs ?? 1000);
  timer.unref();

  let stopped = false;
  return {
    httpUrl,
    engine: eng,
    alarms: {
      closeByCase: (alarmIds, caseId, by, note) => eng.closeByCase(alarmIds.map(Number).filter(Number.isInteger), caseId, by, note).map(alarmView),
      get: (alarmId) => {
        const a = store.getAlarm(Number(alarmId));
        return a && alarmView(a);
      },
    },
    tick,
    drained: (timeoutMs = 10_000) => outbox!.drained(timeoutMs),
    stats: () => ({ ...eng.counters, alarmsActive: alarmsOpen(), devicesTracked: eng.evaluator.deviceCount() }),
    async stop() {
      if (stopped) return;
      stopped = true;
      clearInterval(timer);
      await outbox!.drained(2000);
      outbox!.stop();
      await mqttSession.stop();
      await app.close();
      eng.checkpoint();
      alarmsOpen();
      storeOpen = false;
      store.close();
      log.info('rules: stopped');
    },
  };
}
