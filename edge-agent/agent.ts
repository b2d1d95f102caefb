import { planReads, type ProfileCatalogue } from '../device-profiles/index.ts';
import { tz, type IDeviceStatus } from '../proto/index.ts';
import { TzError, createLogger, createRegistry, createServiceHttp, listenService, type Logger, type RunningService } from '../service-kit/index.ts';
import type { EdgeAgentConfig } from './config.ts';
import { createEdgeMetrics, type PollFailureReason } from './metrics.ts';
import { ModbusBus, type PolledDevice, type PollOutcome } from './modbus-bus.ts';
import { MqttUplink } from './mqtt-uplink.ts';
import { toReading } from './reading.ts';
import { UplinkQueue } from './uplink-queue.ts';

export type EdgeAgent = RunningService;

const AGENT_VERSION = '0.1.0';

const ERROR_BY_REASON: Record<PollFailureReason, number> = {
  timeout: tz.DeviceErrorCode.DEVICE_ERROR_TIMEOUT,
  exception: tz.DeviceErrorCode.DEVICE_ERROR_PROTOCOL,
  decode: tz.DeviceErrorCode.DEVICE_ERROR_DECODE,
  link: tz.DeviceErrorCode.DEVICE_ERROR_LINK,
};

/** Reachability of one device as the gateway reports it. */
interface DeviceHealth {
  seq: number;
  failures: number;
  state: 'unknown' | 'online' | 'offline';
}

/**
 * Starts the gateway agent: polls every configured Modbus device, turns each
 * successful poll into a Reading, reports reachability changes as
 * DeviceStatus, and sends both in UplinkBatches over MQTT.
 */
export async function startEdgeAgent(config: EdgeAgentConfig, deps: { profiles: ProfileCatalogue; log?: Logger }): Promise<EdgeAgent> {
  const log = deps.log ?? createLogger('edge-agent');
  const startedAt = Date.now();
  const registry = createRegistry('edge-agent');
  const metrics = createEdgeMetrics(registry);
  const counts = { polls: 0, pollFailures: 0, readings: 0, statuses: 0 };

  // Devices grouped by Modbus TCP endpoint (one bus each); first polls spread over the interval.
  const buses = new Map<string, PolledDevice[]>();
  const health = new Map<string, DeviceHealth>();
  config.devices.forEach((device, i) => {
    const profile = deps.profiles.get(device.profile);
    if (!profile) throw new TzError('TZ_CONFIG_INVALID', `devices.${i} (${device.deviceId}): unknown profile "${device.profile}"; known: ${deps.profiles.all().map((p) => p.class).join(', ')}`);
    if (!profile.modbus) throw new TzError('TZ_CONFIG_INVALID', `devices.${i} (${device.deviceId}): profile "${device.profile}" has no Modbus register map`);
    const intervalMs = device.pollIntervalMs ?? config.pollIntervalMs;
    const key = `${device.modbus.host}:${device.modbus.port}`;
    const polled: PolledDevice = { config: device, profile, blocks: planReads(profile), intervalMs, nextDueAt: startedAt + Math.floor((i * intervalMs) / config.devices.length) };
    const bus = buses.get(key);
    if (bus) bus.push(polled);
    else buses.set(key, [polled]);
    health.set(device.deviceId, { seq: 0, failures: 0, state: 'unknown' });
  });

  // The queue tells the uplink when a batch is sealed; the uplink is made just below.
  let pumpUplink = (): void => undefined;
  const queue = new UplinkQueue({ ...config.batch, maxQueuedReadings: config.maxQueuedReadings, metrics, onSealed: () => pumpUplink() });
  const devicesOnline = () => [...health.values()].filter((h) => h.state === 'online').length;

  function reportStatus(device: PolledDevice, state: number, outcome: PollOutcome): void {
    const status: IDeviceStatus = { deviceId: device.config.deviceId, profile: device.profile.class, timestampMs: outcome.at, state };
    if (!outcome.ok) Object.assign(status, { error: ERROR_BY_REASON[outcome.reason], detail: outcome.detail });
    queue.addStatus(status);
    counts.statuses++;
    metrics.statusChanges.inc({ state: state === tz.DeviceState.DEVICE_STATE_ONLINE ? 'online' : 'offline' });
    metrics.devicesOnline.set(devicesOnline());
  }

  function onPoll(device: PolledDevice, outcome: PollOutcome): void {
    const h = health.get(device.config.deviceId)!;
    counts.polls++;
    metrics.polls.inc();
    if (outcome.ok) {
      h.failures = 0;
      if (h.state !== 'online') {
        h.state = 'online';
        reportStatus(device, tz.DeviceState.DEVICE_STATE_ONLINE, outcome);
      }
      queue.addReading(toReading(device.config, device.profile, ++h.seq, outcome.at, outcome.values));
      counts.readings++;
      metrics.readings.inc();
      return;
    }
    counts.pollFailures++;
    metrics.pollFailures.inc({ reason: outcome.reason });
    h.failures++;
    log.debug({ deviceId: device.config.deviceId, reason: outcome.reason, detail: outcome.detail, failures: h.failures }, 'poll failed');
    if (h.failures >= config.offlineAfterFailures && h.state !== 'offline') {
      h.state = 'offline';
      log.warn({ deviceId: device.config.deviceId, reason: outcome.reason, detail: outcome.detail }, 'device offline');
      reportStatus(device, tz.DeviceState.DEVICE_STATE_OFFLINE, outcome);
    }
  }

  const uplink = new MqttUplink({
    gatewayId: config.gatewayId,
    brokerUrl: config.brokerUrl,
    username: config.username,
    password: config.password,
    queue,
    metrics,
    log,
    status: () => ({
      version: AGENT_VERSION,
      devicesTotal: config.devices.length,
      devicesOnline: devicesOnline(),
      queueDepth: queue.depth,
      oldestUnsentAgeS: queue.oldestUnsentAgeS(Date.now()),
      dropped: queue.dropped,
      pollErrors: counts.pollFailures,
      uptimeS: Math.floor((Date.now() - startedAt) / 1000),
    }),
  });
  pumpUplink = () => uplink.pump();

  const app = createServiceHttp({
    component: 'edge-agent',
    registry,
    log,
    health: () => ({ ok: uplink.connected === true, brokerConnected: uplink.connected === true, devicesTotal: config.devices.length, devicesOnline: devicesOnline(), queueDepth: queue.depth }),
  });
  const httpUrl = await listenService(app, config.http.host, config.http.port);

  const pollers = [...buses.entries()].map(([key, devices]) => {
    const [host, port] = [devices[0]!.config.modbus.host, devices[0]!.config.modbus.port];
    log.debug({ bus: key, devices: devices.length }, 'bus configured');
    return new ModbusBus(devices, { host, port, requestTimeoutMs: config.requestTimeoutMs, metrics, log, onPoll });
  });
  uplink.start();
  for (const p of pollers) p.start();
  log.info({ gatewayId: config.gatewayId, devices: config.devices.length, buses: pollers.length, httpUrl }, 'edge agent started');

  return {
    httpUrl,
    stats: () => ({
      devices: config.devices.length,
      buses: pollers.length,
      polls: counts.polls,
      pollFailures: counts.pollFailures,
      readings: counts.readings,
      deviceStatuses: counts.statuses,
      devicesOnline: devicesOnline(),
      queueDepth: queue.depth,
      dropped: queue.dropped,
      batchesPublished: uplink.counts.published,
      batchesAcked: uplink.counts.acked,
      brokerConnected: uplink.connected ? 1 : 0,
      brokerAuthFailures: uplink.counts.authFailures,
      brokerErrors: uplink.counts.errors,
    }),
    async stop() {
      await Promise.all(pollers.map((p) => p.stop()));
      queue.seal();
      queue.stop();
      await uplink.stop();
      await app.close();
      log.info({ gatewayId: config.gatewayId }, 'edge agent stopped');
    },
  };
}

