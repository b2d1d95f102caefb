import type { FastifyInstance } from 'fastify';
import type { Registry } from 'prom-client';
import { claimSqliteFileClock, createLogger, createRegistry, systemClock, TzError, type AccessTokens, type Clock, type Logger } from '../service-kit/index.ts';
import { createAlarmSink, type AlarmSink } from './alarm-intake.ts';
import type { CaseStore } from './case-store.ts';
import { CaseWorkflow } from './case-workflow.ts';
import { DEFAULT_CASE_CONFIG, loadCaseConfig, parseCaseConfig, type CaseConfig } from './config.ts';
import { registerCaseApi } from './http-api.ts';
import { createCaseMetrics } from './metrics.ts';
import { createKpiGauges } from './kpi-metrics.ts';
import { casesWithTrails } from './monthly-report.ts';
import { ALERT_CHANNELS, CASE_STATUSES, type OutboxChannel } from './model.ts';
import { resolveEndpointSecrets } from './alert-config.ts';
import { registerAlertApi, seedSubscriptions } from './alert-api.ts';
import { AlertRouter } from './alert-router.ts';
import { createAlertChannels } from './channels/index.ts';
import { registerOpen311 } from './open311.ts';
import type { AssetPlaces, GridLocator } from './places.ts';
import { DEFAULT_RETRY, OutboxDeliverer, type ChannelAdapter, type RetryPolicy } from './outbox.ts';
import { PhotoFolder } from './photos.ts';
import { isPostgresUrl, openCaseStore } from './open-case-store.ts';
import { postWebhook } from './webhook.ts';

export interface CaseSystemOptions {
  /** SQLite file of the case system (':memory:' for tests), or a postgres:// URL (issue 20). */
  dbPath: string;
  /** Or a store of your own (opened and closed by the caller); dbPath is then ignored. */
  store?: CaseStore;
  clock?: Clock;
  log?: Logger;
  registry?: Registry;
  access: AccessTokens;
  /** Publishes crew notifications (QoS 1; resolve after PUBACK). Without it, no MQTT notifications are queued. */
  publishMqtt?: (topic: string, payload: string) => Promise<void>;
  /** Closing a case closes its alarms (delivered through the outbox, so retried until it succeeds). */
  closeAlarms?: (alarmIds: string[], caseId: string, by: string, note?: string) => Promise<void> | void;
  /** Config object or YAML/JSON file path; defaults to DEFAULT_CASE_CONFIG. */
  config?: CaseConfig | string | unknown;
  photoDir: string;
  /** Largest photo accepted, bytes (default 8 MiB). */
  maxPhotoBytes?: number;
  /** Webhook signing secret (HMAC-SHA256). Required when any crew or department has a webhook URL. */
  webhookSecret?: string;
  webhookTimeoutMs?: number;
  retry?: Partial<RetryPolicy>;
  /** Outbox re-check period (default 1 s) and SLA check period (default 30 s; 0 = only when runSlaCheck is called). */
  outboxPollMs?: number;
  slaCheckMs?: number;
  /** Point → district and grid cell (registry/places, wired in cli/): cases reported at a point are dispatched by grid cell. */
  gridLocator?: GridLocator;
  /** Device id → where it stands (the device registry): sensor cases carry the device's place. */
  assetPlaces?: AssetPlaces;
  /** Where `${NAME}` in alert endpoint settings is read from (default process.env). */
  env?: Readonly<Record<string, string | undefined>>;
}

export interface CaseSystemStats {
  casesOpen: number;
  casesOverdue: number;
  outboxPending: number;
  outboxDead: number;
  alarmEvents: number;
  casesOpened: number;
  casesAbsorbed: number;
  escalations: number;
}

export interface CaseSystem {
  alarmSink: AlarmSink;
  workflow: CaseWorkflow;
  /** People's alerts: subscriptions → outbox → WeCom, DingTalk, Feishu, e-mail, SMS. */
  alerts: AlertRouter;
  store: CaseStore;
  registerRoutes(app: FastifyInstance): Promise<void>;
  /** Flags and escalates overdue cases now; resolves with how many were escalated. */
  runSlaCheck(): Promise<number>;
  /** Delivers every due notification now; resolves with how many were attempted. */
  deliverOutbox(): Promise<number>;
  /** Counters plus the gauges as of the last refresh (every 2 s): sync, for the pipeline report. */
  stats(): CaseSystemStats;
  /** The same, read from the store now. */
  readStats(): Promise<CaseSystemStats>;
  stop(): Promise<void>;
}

function resolveConfig(config: CaseSystemOptions['config']): Readonly<CaseConfig> {
  if (config === undefined) return parseCaseConfig(DEFAULT_CASE_CONFIG, 'default case config');
  if (typeof config === 'string') return loadCaseConfig(config);
  return parseCaseConfig(config);
}

/** Opens the case system: store, workflow, alarm sink, outbox deliverer, SLA checker. Add its routes to a service's HTTP app. */
export async function openCaseSystem(options: CaseSystemOptions): Promise<CaseSystem> {
  const log = options.log ?? createLogger('cases');
  const clock = options.clock ?? systemClock;
  const config = resolveConfig(options.config);
  const needsSecret = config.crews.some((c) => c.webhookUrl) || config.departments.some((d) => d.escalationUrl);
  if (needsSecret && !options.webhookSecret) {
    throw new TzError('TZ_CONFIG_INVALID', 'cases: webhook URLs are configured but no webhook signing secret was given (set TZ_CASES_WEBHOOK_SECRET)');
  }
  const endpoints = resolveEndpointSecrets(config.alerts.endpoints, options.env ?? process.env);
  const registry = options.registry ?? createRegistry('cases');
  // A compressed run never opens a production store, nor the reverse (TZ_CLOCK_MISMATCH).
  if (!options.store && !isPostgresUrl(options.dbPath)) claimSqliteFileClock(options.dbPath, clock, 'case store');
  const store = options.store ?? (await openCaseStore(options.dbPath, { log, registry }));
  const counters = { alarmEvents: 0, casesOpened: 0, casesAbsorbed: 0, escalations: 0 };

  const metrics = createCaseMetrics(registry, {
    openByStatus: () => store.atomically(async (tx) => {
      const out: Array<{ status: string; count: number }> = [];
      for (const status of CASE_STATUSES) if (!['closed', 'rejected', 'cancelled'].includes(status)) out.push({ status, count: await tx.countCases({ status }) });
      return out;
    }),
    overdue: () => store.atomically((tx) => tx.countCases({ status: 'open', overdue: true })),
    outbox: () => store.atomically((tx) => tx.outboxCounts()),
  });
  createKpiGauges(registry, { casesWithTrails: (from, to) => casesWithTrails(store, from, to), now: () => clock.now() });

  const alertChannels = createAlertChannels();
  const alerts = new AlertRouter({
    alerts: config.alerts, endpoints, channels: alertChannels, clock, log,
    categoryName: (code) => config.categories.find((c) => c.code === code)?.name ?? code,
    onQueued: (channel, result) => metrics.alerts.inc({ channel, result }),
    onDropped: (channel) => metrics.alerts.inc({ channel, result: 'dropped' }),
  });
  await seedSubscriptions(store, config, alerts, clock.now());

  // Late binding: the workflow wakes the deliverer, the deliverer is built after it.
  let kick: () => void = () => undefined;
  const workflow = new CaseWorkflow({
    store, config, clock, mqttEnabled: options.publishMqtt !== undefined, alarmCloseEnabled: options.closeAlarms !== undefined, alerts: alerts.queue,
    ...(options.gridLocator ? { gridLocator: options.gridLocator } : {}),
    hooks: {
      onTransition: (action) => metrics.transitions.inc({ action }),
      onEscalation: (stage, level) => {
        counters.escalations += 1;
        metrics.escalations.inc({ stage, level: String(level) });
      },
      onUnassigned: () => metrics.unassigned.inc(),
      onUnknownCategory: (category) => {
        metrics.unknownCategory.inc({ category: category.slice(0, 64) });
        log.warn({ category }, 'cases: alarm names an unknown category; filed under the fallback category');
      },
      onOutbox: () => kick(),
    },
  });

  // Crews from the config file are seeded (and updated) at start; the API can add more.
  if (config.crews.length) {
    await store.atomically(async (tx) => {
      for (const c of config.crews) await tx.upsertCrew({ ...c, active: true });
    });
  }

  const channels: Partial<Record<OutboxChannel, ChannelAdapter>> = {};
  for (const kind of ALERT_CHANNELS) channels[kind] = (m) => alerts.deliver(m);
  if (options.webhookSecret) {
    const webhook = { secret: options.webhookSecret, timeoutMs: options.webhookTimeoutMs ?? 10_000, now: () => clock.now() };
    channels.webhook = (m) => postWebhook(webhook, m.target, m.payload, String(m.id));
  }
  if (options.publishMqtt) {
    const publish = options.publishMqtt;
    channels.mqtt = (m) => publish(m.target, m.payload);
  }
  if (options.closeAlarms) {
    const close = options.closeAlarms;
    channels.alarms = async (m) => {
      const body = JSON.parse(m.payload) as { alarmIds: string[]; caseId: string; by: string; note: string | null };
      await close(body.alarmIds, body.caseId, body.by, body.note ?? undefined);
    };
  }
  const deliverer = new OutboxDeliverer({
    store, clock, log, channels, retry: { ...DEFAULT_RETRY, ...options.retry }, pollMs: options.outboxPollMs ?? 1_000,
    onResult: (channel, result, info) => {
      metrics.deliveries.inc({ channel, result });
      if (!(ALERT_CHANNELS as readonly string[]).includes(channel)) return;
      if (result === 'delivered') metrics.alerts.inc({ channel, result: 'sent' });
      else metrics.alerts.inc({ channel, result: 'failed' });
      if (result === 'failed') metrics.alerts.inc({ channel, result: 'retried' });
      if (result === 'dead') metrics.alerts.inc({ channel, result: 'dropped' });
    },
  });
  kick = () => deliverer.kick();

  const alarmSink = createAlarmSink({
    workflow, clock, reopenWindowMs: config.reopenWindowHours * 3_600_000, ...(options.assetPlaces ? { places: options.assetPlaces } : {}),
    onResult: (result) => {
      counters.alarmEvents += 1;
      if (result === 'opened') counters.casesOpened += 1;
      if (result === 'absorbed') counters.casesAbsorbed += 1;
      metrics.alarmEvents.inc({ result });
    },
    onOutbox: () => kick(),
  });

  const photos = new PhotoFolder(options.photoDir, options.maxPhotoBytes ?? 8 * 1024 * 1024);
  deliverer.start();
  let slaTimer: NodeJS.Timeout | null = null;
  const slaCheckMs = options.slaCheckMs ?? 30_000;
  if (slaCheckMs > 0) {
    slaTimer = setInterval(() => {
      workflow.runSlaCheck().catch((err: unknown) => log.error({ err }, 'cases: SLA check failed'));
    }, slaCheckMs);
    slaTimer.unref();
  }
  log.info({ dbPath: options.dbPath, categories: config.categories.length, crews: config.crews.length, channels: Object.keys(channels) }, 'cases: case system open');

  let snapshot = { casesOpen: 0, casesOverdue: 0, outboxPending: 0, outboxDead: 0 };
  const snapshotTimer = setInterval(() => {
    if (!stopped) readStats().catch((err: unknown) => log.warn({ err }, 'cases: stats refresh failed'));
  }, 2_000);
  snapshotTimer.unref();
  let stopped = false;
  await readStats();
  return {
    alarmSink,
    workflow,
    alerts,
    store,
    async registerRoutes(app) {
      await app.register(async (scope) => {
        await registerCaseApi(scope, { workflow, access: options.access, config, clock, photos, metrics, kickOutbox: kick });
      });
      await app.register(async (scope) => {
        await registerOpen311(scope, { workflow, access: options.access, config, clock });
      });
      await app.register(async (scope) => {
        await registerAlertApi(scope, { store, access: options.access, config, clock, alerts, kickOutbox: kick });
      });
    },
    runSlaCheck: () => workflow.runSlaCheck(),
    deliverOutbox: () => deliverer.drain(),
    stats: () => ({ ...snapshot, ...counters }),
    readStats,
    async stop() {
      if (stopped) return;
      stopped = true;
      if (slaTimer) clearInterval(slaTimer);
      clearInterval(snapshotTimer);
      await deliverer.stop();
      alertChannels.close();
      if (!options.store) await store.close();
    },
  };

  async function readStats(): Promise<CaseSystemStats> {
    {
      const [open, overdue, outbox] = await store.atomically(async (tx) => [
        await tx.countCases({ status: 'open' }), await tx.countCases({ status: 'open', overdue: true }), await tx.outboxCounts(),
      ] as const);
      const sum = (state: string) => outbox.filter((o) => o.state === state).reduce((n, o) => n + o.count, 0);
      snapshot = { casesOpen: open, casesOverdue: overdue, outboxPending: sum('pending'), outboxDead: sum('dead') };
      return { ...snapshot, ...counters };
    }
  }
}
