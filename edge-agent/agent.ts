import { join } from 'node:path';
import { BUILTIN_PROFILE_DIR, type DeviceProfile, type LoraCodec, type ProfileCatalogue } from '../device-profiles/index.ts';
import { tz, type IDeviceStatus } from '../proto/index.ts';
import { TzError, createLogger, createRegistry, createServiceHttp, listenService, systemClock, toError, type Clock, type Logger, type RunningService } from '../service-kit/index.ts';
import { BatchBuilder } from './batch-builder.ts';
import { CommandExecutor } from './command-executor.ts';
import type { EdgeAgentConfig, EdgeDeviceConfig } from './config.ts';
import { DeviceHealth } from './device-health.ts';
import { openGatewayDatabase } from './gateway-database.ts';
import { GatewayLedger } from './gateway-ledger.ts';
import { healthSnapshot, setHealthGauges, type HealthSnapshot, type StoreDrops } from './health-snapshot.ts';
import { LoraReceiver, type LoraDevice, type Radio } from './lora/lora-receiver.ts';
import { LoraSessionStore } from './lora/lora-sessions.ts';
import { createEdgeMetrics, type PollFailureReason } from './metrics.ts';
import type { PolledDevice, PollOutcome } from './modbus-bus.ts';
import { MqttUplink } from './mqtt-uplink.ts';
import { metricValues, toReading } from './reading.ts';
import { RemoteGatewayConfig, mergeGatewayConfig } from './remote-config.ts';
import { ReportFilter } from './report-filter.ts';
import { SqliteStoreAndForwardQueue } from './sqlite-queue.ts';
import type { FieldDriver, PushingStation } from './drivers/index.ts';
import { buildInputs, type InputContext } from './agent-inputs.ts';
import { applyReload, oneAtATime, type ReloadDeps, type RunningParts } from './config-reload.ts';

export interface EdgeAgent extends RunningService {
  /** Applies a new config (SIGHUP) without losing queued data; throws (and keeps running the old one) if it cannot. */
  reload(config: EdgeAgentConfig): Promise<void>;
  /** Where LoRa packet forwarders should send (null without LoRa devices). */
  loraAddress: { host: string; port: number } | null;
}

export interface EdgeAgentDeps {
  profiles: ProfileCatalogue;
  /** Folder the profiles came from (LoRa codec paths are relative to it). */
  profileDir?: string;
  log?: Logger;
  clock?: Clock;
  /** Stamps readings and device statuses (default: `clock`). A compressed run passes the simulated clock; polling keeps wall time. */
  readingClock?: Clock;
}

const AGENT_VERSION = '0.2.0';
/** A LoRa device silent for this many report intervals is reported offline. */
const LORA_SILENT_INTERVALS = 3;

const ERROR_BY_REASON: Record<PollFailureReason, number> = {
  timeout: tz.DeviceErrorCode.DEVICE_ERROR_TIMEOUT,
  exception: tz.DeviceErrorCode.DEVICE_ERROR_PROTOCOL,
  decode: tz.DeviceErrorCode.DEVICE_ERROR_DECODE,
  link: tz.DeviceErrorCode.DEVICE_ERROR_LINK,
};

/**
 * Starts the gateway agent: Modbus buses and the LoRa receiver produce
 * values; the report filter keeps what is worth sending; readings and device
 * status changes are batched, sealed into the disk queue with their counters,
 * and published by the MQTT uplink until the broker acknowledges them.
 */
export async function startEdgeAgent(initial: EdgeAgentConfig, deps: EdgeAgentDeps): Promise<EdgeAgent> {
  let config = initial;
  const log = deps.log ?? createLogger('edge-agent');
  const clock = deps.clock ?? systemClock;
  // The device-side time of a reading: the wall instant of the poll, or simulated city time in a compressed run.
  const readingClock = deps.readingClock;
  const stamp = readingClock ? (): number => readingClock.now() : (at: number): number => at;
  const profileDir = deps.profileDir ?? BUILTIN_PROFILE_DIR;
  const startedAt = clock.now();
  const registry = createRegistry('edge-agent');
  const metrics = createEdgeMetrics(registry);
  const counts = { polls: 0, pollFailures: 0, readings: 0, statuses: 0, suppressed: 0 };

  const db = openGatewayDatabase(join(config.dataDir, 'gateway.sqlite'));
  const queue = new SqliteStoreAndForwardQueue(db, config.queue.maxBytes);
  const ledger = new GatewayLedger(db);
  // The YAML is the bootstrap; a GatewayConfig pushed by the centre replaces its devices (remote-config.ts).
  let bootstrap = initial;
  // SIGHUP and pushed configs apply one at a time, in arrival order (applyReload, config-reload.ts; `parts` below).
  const applyConfig = oneAtATime((next: EdgeAgentConfig) => applyReload(parts, next, reloadDeps));
  const remote = new RemoteGatewayConfig({
    gatewayId: initial.gatewayId, db, registry, log, clock, bootstrap: () => bootstrap,
    apply: (next) => applyConfig(next), onChanged: () => uplink.publishStatusNow(),
  });
  config = initial.remoteConfig ? remote.startupConfig(initial) : initial;
  const loraSessions = new LoraSessionStore(db, ledger);
  // Command ids older than a week can no longer be redelivered by any sane broker session.
  ledger.pruneCommands(clock.now() - 7 * 24 * 3600_000);
  const health = new DeviceHealth(config.offlineAfterFailures);
  let report = new ReportFilter(config.report);
  const codecs = new Map<string, LoraCodec>();
  let pumpUplink = (): void => undefined;
  const storeDrops: StoreDrops = { readings: 0 };
  let batches = newBatchBuilder();

  function newBatchBuilder(): BatchBuilder {
    return new BatchBuilder({ gatewayId: config.gatewayId, ...config.batch, queue, ledger, metrics, log, clock, drops: storeDrops, onSealed: () => pumpUplink() });
  }

  function reportStatus(deviceId: string, profile: DeviceProfile, state: 'online' | 'offline', at: number, failure?: { reason: PollFailureReason; detail: string }, radio?: Radio): void {
    const status: IDeviceStatus = { deviceId, profile: profile.class, timestampMs: stamp(at), state: state === 'online' ? tz.DeviceState.DEVICE_STATE_ONLINE : tz.DeviceState.DEVICE_STATE_OFFLINE };
    if (failure) Object.assign(status, { error: ERROR_BY_REASON[failure.reason], detail: failure.detail });
    if (radio) Object.assign(status, { rssiDbm: radio.rssi, ...(radio.snr === undefined ? {} : { snrDb: radio.snr }) });
    batches.addStatus(status);
    counts.statuses++;
    metrics.statusChanges.inc({ state });
    metrics.deviceUp.set({ device_id: deviceId }, state === 'online' ? 1 : 0);
    metrics.devicesOnline.set(health.count('online'));
    metrics.devicesOffline.set(health.count('offline'));
  }

  /** Values of one poll or uplink → (report filter) → a Reading with the device's next seq. */
  function onValues(device: EdgeDeviceConfig, profile: DeviceProfile, polledAt: number, values: Map<string, number | boolean>): void {
    const at = stamp(polledAt);
    const selected = report.select(device.deviceId, profile, values, at, device.report);
    const suppressed = values.size - selected.size;
    if (suppressed > 0) {
      counts.suppressed += suppressed;
      metrics.valuesSuppressed.inc(suppressed);
    }
    if (selected.size === 0) return;
    const { metrics: mv, unknown } = metricValues(profile, selected, config.sendMetricNames);
    if (unknown > 0) log.debug({ deviceId: device.deviceId, unknown }, 'values for metrics the profile does not list were left out');
    if (mv.length === 0) return;
    batches.addReading(toReading(device, profile, ledger.nextSeq(device.deviceId), at, mv));
    counts.readings++;
    metrics.readings.inc();
  }

  function onPoll(device: Pick<PolledDevice, 'config' | 'profile' | 'failures'>, outcome: PollOutcome): void {
    counts.polls++;
    metrics.polls.inc();
    const { deviceId } = device.config;
    if (outcome.ok) {
      if (health.heard(deviceId, outcome.at)) reportStatus(deviceId, device.profile, 'online', outcome.at);
      onValues(device.config, device.profile, outcome.at, outcome.values);
      return;
    }
    counts.pollFailures++;
    metrics.pollFailures.inc({ reason: outcome.reason });
    log.debug({ deviceId, reason: outcome.reason, detail: outcome.detail, failures: device.failures }, 'poll failed');
    if (health.failed(deviceId)) {
      log.warn({ deviceId, reason: outcome.reason, detail: outcome.detail }, 'device offline');
      reportStatus(deviceId, device.profile, 'offline', outcome.at, outcome);
    }
  }

  function onUplink(device: LoraDevice, at: number, values: Map<string, number | boolean>, radio: Radio): void {
    const { deviceId } = device.config;
    metrics.loraRssi.set({ device_id: deviceId }, radio.rssi);
    if (radio.snr !== undefined) metrics.loraSnr.set({ device_id: deviceId }, radio.snr);
    // RSSI/SNR become metrics of the reading when the profile lists them.
    const names = new Set(device.profile.metrics.map((m) => m.name));
    if (names.has('rssi_dbm')) values.set('rssi_dbm', radio.rssi);
    if (names.has('snr_db') && radio.snr !== undefined) values.set('snr_db', radio.snr);
    if (health.heard(deviceId, at, radio)) reportStatus(deviceId, device.profile, 'online', at, undefined, radio);
    onValues(device.config, device.profile, at, values);
  }

  /** An HJ 212 station pushed values: heard, then the same path as a poll. */
  function onPush(station: PushingStation, at: number, values: Map<string, number | boolean>): void {
    if (health.heard(station.config.deviceId, at)) reportStatus(station.config.deviceId, station.profile, 'online', at);
    onValues(station.config, station.profile, at, values);
  }

  const inputContext: InputContext = { profiles: deps.profiles, profileDir, codecs, metrics, log, clock, onPoll, onPush, receiver: () => receiver };
  let inputs = await buildInputs(config, inputContext).catch((err: unknown) => {
    if (config === bootstrap) throw err;
    remote.startupFailed(err);
    log.error({ err: toError(err).message }, 'kept GatewayConfig does not start; running the YAML devices');
    config = bootstrap;
    return buildInputs(config, inputContext);
  });
  health.configure(inputs.transports, config.offlineAfterFailures);
  let receiver: LoraReceiver | null = null;
  let loraAddress: { host: string; port: number } | null = null;
  async function startLora(c: EdgeAgentConfig, devices: LoraDevice[]): Promise<void> {
    if (devices.length === 0) return;
    receiver = new LoraReceiver({ host: c.lora.host, port: c.lora.port, dedupWindowMs: c.lora.dedupWindowMs, maxFcntGap: c.lora.maxFcntGap, rx1DelayUs: c.lora.rx1DelayUs,
      netId: Buffer.from(c.lora.netId, 'hex'), joinAcceptDelayUs: c.lora.joinAcceptDelayUs, rx2FrequencyMHz: c.lora.rx2FrequencyMHz, rx2DataRate: c.lora.rx2DataRate,
      maxFramesPerDevicePerMinute: c.lora.maxFramesPerDevicePerMinute, sessions: loraSessions, ledger, metrics, log, clock, onUplink }, devices);
    try {
      loraAddress = await receiver.start();
    } catch (err) {
      receiver = null;
      throw new TzError('TZ_CONFIG_INVALID', `cannot listen for LoRa packet forwarders on udp ${c.lora.host}:${c.lora.port}: ${toError(err).message}`, { cause: err });
    }
    log.info({ lora: loraAddress, devices: devices.length }, 'listening for Semtech UDP packet forwarders');
  }
  await startLora(config, inputs.lora);
  async function startField(drivers: FieldDriver[]): Promise<void> {
    for (const d of drivers) await d.start();
  }

  // One snapshot for /healthz, GatewayStatus, /metrics and stats().
  const snapshot = (): HealthSnapshot => healthSnapshot({ queue, batches: () => batches, storeDrops, health, brokerConnected: () => uplink.connected, clock });

  const gatewayStatus = () => {
    const h = snapshot();
    return {
      version: AGENT_VERSION,
      devicesTotal: h.devicesTotal,
      devicesOnline: h.devicesOnline,
      queueDepth: h.queueDepth,
      queueBytes: h.queueBytes,
      queueBatches: h.queueBatches,
      oldestUnsentAgeS: Math.round(h.oldestUnsentAgeS),
      dropped: h.dropped,
      pollErrors: counts.pollFailures,
      uptimeS: Math.floor((clock.now() - startedAt) / 1000),
      devices: health.snapshot(),
      loraFramesRejected: receiver ? receiver.counts.mic + receiver.counts['unknown-device'] + receiver.counts.malformed + receiver.counts['codec-error'] + receiver.counts.crc + receiver.counts.unsupported + receiver.counts.flood + receiver.counts['join-replay'] : 0,
      loraReplaysRejected: receiver?.counts.replay ?? 0,
      commandsAnswered: executor.answered,
      batchesReplayed: uplink.counts.replayed,
      ...remote.statusFields(),
    };
  };

  function newUplink(c: EdgeAgentConfig): MqttUplink {
    return new MqttUplink({
      gatewayId: c.gatewayId, brokerUrl: c.brokerUrl, username: c.username, password: c.password, queue,
      maxInFlight: c.queue.maxInFlight, replayReadingsPerSecond: c.queue.replayReadingsPerSecond, statusIntervalMs: c.statusIntervalMs,
      metrics, log, clock, status: gatewayStatus, onCommand: (payload) => executor.handle(payload), onQueueChanged: () => undefined,
      ...(c.remoteConfig ? { onConfig: (payload: Buffer) => void remote.handle(payload) } : {}),
    });
  }
  let uplink = newUplink(config);
  pumpUplink = () => uplink.pump();
  const executor = new CommandExecutor({
    ledger, clock, metrics, log, commandTimeoutMs: config.commandTimeoutMs,
    target: (deviceId) => inputs.targets.get(deviceId),
    publishAck: (ack) => uplink.publishAck(ack),
  });

  // What a reload swaps (config-reload.ts): the agent's own variables, read and written through this view.
  const parts: RunningParts = {
    get config() { return config; },
    set config(c) { config = c; },
    get inputs() { return inputs; },
    set inputs(i) { inputs = i; },
    get report() { return report; },
    set report(r) { report = r; },
    get batches() { return batches; },
    set batches(b) { batches = b; },
    get uplink() { return uplink; },
    set uplink(u) { uplink = u; },
    get receiver() { return receiver; },
    set receiver(r) { receiver = r; },
    get loraAddress() { return loraAddress; },
    set loraAddress(a) { loraAddress = a; },
  };
  const reloadDeps: ReloadDeps = { inputContext, health, queue, metrics, log, newBatchBuilder, newUplink, startLora, startField };

  const updateGauges = (): HealthSnapshot => {
    const h = snapshot();
    setHealthGauges(metrics, h);
    return h;
  };
  const housekeeping = setInterval(() => {
    updateGauges();
    // LoRa devices speak when they want: silence beyond a few report intervals is "offline".
    const now = clock.now();
    for (const d of [...inputs.lora, ...inputs.pushed]) {
      if (health.silent(d.config.deviceId, now, LORA_SILENT_INTERVALS * d.profile.reportIntervalSeconds * 1000)) {
        reportStatus(d.config.deviceId, d.profile, 'offline', now, { reason: 'timeout', detail: `no uplink for ${LORA_SILENT_INTERVALS} report intervals` });
      }
    }
  }, 1000);
  housekeeping.unref();

  const app = createServiceHttp({
    component: 'edge-agent',
    registry,
    log,
    health: () => {
      const h = updateGauges();
      return { ok: h.brokerConnected, ...h };
    },
  });
  const httpUrl = await listenService(app, config.http.host, config.http.port);

  uplink.start();
  for (const b of inputs.buses) b.start();
  await startField(inputs.field);
  log.info({ gatewayId: config.gatewayId, devices: config.devices.length, buses: inputs.buses.length, lora: inputs.lora.length, queued: queue.stats().batches, httpUrl }, 'edge agent started');

  return {
    httpUrl,
    get loraAddress() {
      return loraAddress;
    },
    stats: () => {
      const h = snapshot();
      return {
        devices: health.size,
        buses: inputs.buses.length,
        loraDevices: inputs.lora.length,
        polls: counts.polls,
        pollFailures: counts.pollFailures,
        readings: counts.readings,
        valuesSuppressed: counts.suppressed,
        deviceStatuses: counts.statuses,
        devicesOnline: h.devicesOnline,
        queueDepth: h.queueDepth,
        queueBatches: h.queueBatches,
        queueBytes: h.queueBytes,
        dropped: h.dropped,
        batchesPublished: uplink.counts.published,
        batchesAcked: uplink.counts.acked,
        batchesReplayed: uplink.counts.replayed,
        brokerConnected: uplink.connected ? 1 : 0,
        brokerAuthFailures: uplink.counts.authFailures,
        brokerErrors: uplink.counts.errors,
        loraAccepted: receiver?.counts.accepted ?? 0,
        loraDuplicates: receiver?.counts.duplicate ?? 0,
        loraReplays: receiver?.counts.replay ?? 0,
        loraBadMic: receiver?.counts.mic ?? 0,
        loraJoins: receiver?.counts.joined ?? 0,
        loraJoinReplays: receiver?.counts['join-replay'] ?? 0,
        loraFloods: receiver?.counts.flood ?? 0,
        loraUnknownDevices: receiver?.counts['unknown-device'] ?? 0,
        loraMalformed: receiver?.counts.malformed ?? 0,
        commandsAnswered: executor.answered,
      };
    },
    async reload(yaml) {
      const next = remote.active ? mergeGatewayConfig(yaml, remote.active) : yaml;
      await applyConfig(next);
      bootstrap = yaml;
    },
    async stop() {
      clearInterval(housekeeping);
      await Promise.all(inputs.buses.map((b) => b.stop()));
      await Promise.all(inputs.field.map((d) => d.stop()));
      batches.seal();
      batches.stop();
      await uplink.stop();
      await receiver?.stop();
      for (const c of codecs.values()) c.dispose();
      await app.close();
      db.close();
      log.info({ gatewayId: config.gatewayId }, 'edge agent stopped');
    },
  };
}
