import type { DeviceProfile, ProfileCatalogue, RuleSpec } from '../device-profiles/index.ts';
import { topics } from '../proto/index.ts';
import {
  createLogger, createRegistry, createServiceHttp, listenService, systemClock, TzError, type Clock, type Logger, type RunningService,
} from '../service-kit/index.ts';
import { AlarmLifecycle } from './alarm-lifecycle.ts';
import { createBatchHandler, type RulesCounters } from './batch-handler.ts';
import { CaseWorkflow } from './case-workflow.ts';
import { RuleEvaluator } from './evaluator.ts';
import { registerRulesApi } from './http-api.ts';
import { createRulesMetrics } from './metrics.ts';
import { connectRulesMqtt } from './mqtt-consumer.ts';
import { SqliteCaseStore } from './sqlite-store.ts';
import { alarmEventView } from './views.ts';

export interface RulesOptions {
  brokerUrl: string;
  username: string;
  password: string;
  /** MQTT client id; default 'tz-rules'. Fixed so the persistent session survives restarts. */
  clientId?: string;
  profiles: ProfileCatalogue;
  /** SQLite file of alarms and cases; ':memory:' allowed (tests). */
  dbPath: string;
  http?: { host?: string; port?: number };
  clock?: Clock;
  log?: Logger;
}

export type RulesService = RunningService;

export async function startRules(options: RulesOptions): Promise<RulesService> {
  if (!options.brokerUrl || !options.username || !options.password) {
    // No anonymous access to the broker (STYLE.md: no permissive defaults).
    throw new TzError('TZ_CONFIG_INVALID', 'rules: brokerUrl, username and password are required');
  }
  const log = options.log ?? createLogger('rules');
  const clock = options.clock ?? systemClock;
  const rulesOf = (p: DeviceProfile): readonly RuleSpec[] => p.rules;

  const store = new SqliteCaseStore(options.dbPath);
  const evaluator = new RuleEvaluator({ rulesOf });
  const alarms = new AlarmLifecycle(store, new CaseWorkflow(store), clock);
  const restored = alarms.restoreInto(evaluator);
  log.info({ dbPath: options.dbPath, openAlarms: restored }, 'rules: store opened');

  let storeOpen = true;
  let lastAlarmsActive = 0;
  let lastCasesOpen = 0;
  const alarmsActive = () => (storeOpen ? (lastAlarmsActive = store.countAlarms('open')) : lastAlarmsActive);
  const casesOpen = () => (storeOpen ? (lastCasesOpen = store.countCases('open')) : lastCasesOpen);

  const registry = createRegistry('rules');
  const metrics = createRulesMetrics(registry, { alarmsActive, casesOpen });
  const counters: RulesCounters = { batches: 0, readingsEvaluated: 0, rejected: 0, alarmsRaised: 0, alarmsUpdated: 0, alarmsCleared: 0, casesOpened: 0, casesAbsorbed: 0 };
  let eventsPublished = 0;

  // Late-bound: the batch handler needs the publisher, the publisher is the MQTT session.
  let publishEvent: (body: unknown) => void = () => undefined;
  const onBatch = createBatchHandler({
    profiles: options.profiles, evaluator, alarms, metrics, counters, log,
    publish: (event) => publishEvent(alarmEventView(event)),
  });
  const mqttSession = connectRulesMqtt({
    brokerUrl: options.brokerUrl, username: options.username, password: options.password,
    clientId: options.clientId ?? 'tz-rules', log, onBatch,
    onPublishFailed: (reason) => metrics.eventsFailed.inc({ reason }),
  });
  publishEvent = (body) => mqttSession.publishJson(topics.alarmEvents, body, (ok) => {
    if (!ok) return;
    eventsPublished += 1;
    metrics.eventsPublished.inc();
  });

  const app = createServiceHttp({
    component: 'rules', registry, log,
    health: () => ({ ok: mqttSession.connected(), brokerConnected: mqttSession.connected(), alarmsActive: alarmsActive() }),
  });
  registerRulesApi(app, { store, profiles: options.profiles, rulesOf });
  let httpUrl: string;
  try {
    httpUrl = await listenService(app, options.http?.host ?? '127.0.0.1', options.http?.port ?? 0);
  } catch (err) {
    await mqttSession.stop();
    store.close();
    throw err;
  }
  log.info({ httpUrl }, 'rules: HTTP API listening');

  let stopped = false;
  return {
    httpUrl,
    stats: () => ({ ...counters, alarmsActive: alarmsActive(), casesOpen: casesOpen(), alarmEventsPublished: eventsPublished }),
    async stop() {
      if (stopped) return;
      stopped = true;
      await mqttSession.stop();
      await app.close();
      alarmsActive();
      casesOpen();
      storeOpen = false;
      store.close();
      log.info('rules: stopped');
    },
  };
}
