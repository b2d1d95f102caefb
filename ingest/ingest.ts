import { dirname, join } from 'node:path';
import type { Registry } from 'prom-client';
import { hostname } from 'node:os';
import { encodeUplinkBatch, ID_PATTERN, type IDeviceStatus, type IReading } from '../proto/index.ts';
import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { claimInfluxClock, clockKind, isTzError, createLogger, createServiceHttp, listenService, systemClock, type Clock, type InfluxTarget, type Logger, type RunningService, type AccessTokens } from '../service-kit/index.ts';
import { openDeadLetterStore, type DeadLetter } from './dead-letter-store.ts';
import { DeviceRegistry } from './device-registry.ts';
import { registerDeviceRoutes } from './device-routes.ts';
import { InfluxLink } from './influx-link.ts';
import { DEFAULT_RETENTION, type RetentionSetup } from './influx-setup.ts';
import { createIngestMetrics } from './metrics.ts';
import { MqttIntake, type Delivery } from './mqtt-intake.ts';
import type { RejectReason } from './reject-reasons.ts';
import { readingAt, UplinkParser, type UplinkLines } from './steps/uplink-lines.ts';
import { DEFAULT_TIMESTAMP_WINDOW, type TimestampWindow, type ValidationContext } from './steps/validate.ts';
import { WriteBatcher, type LineOwner } from './write-batcher.ts';
import type { DeviceBinding } from './steps/bind.ts';

export interface IngestOptions {
  brokerUrl: string;
  username: string;
  password: string;
  /** Fixed, so the broker keeps the persistent session across restarts. Default 'tz-ingest' ('tz-ingest-{group}-{host}' with shareGroup). */
  clientId?: string;
  /** Split the load between several ingest instances: subscribe through `$share/{shareGroup}/tz/v1/gw/+/up/batch`. */
  shareGroup?: string;
  /** Where and how to write; `apiVersion` overrides what /ping says. */
  influx: InfluxTarget;
  profiles: ProfileCatalogue;
  /** SQLite file for refused batches and readings. */
  deadLetterPath: string;
  /**
   * The device registry's binding (registry/ `openRegistryBinding`, CLI `--registry-db`): readings and
   * statuses of devices not registered, or registered to another gateway, are dead-lettered
   * (unknown-device, wrong-gateway, retired-device) and unregistered ones noted as discovered.
   * Absent: every device with a known profile is accepted.
   */
  binding?: DeviceBinding;
  /** SQLite file of the device registry (default: device-registry.sqlite next to the dead-letter file). */
  registryPath?: string;
  http?: { host?: string; port?: number };
  /**
   * API tokens for the device registry (`GET /api/v1/devices`): roles operator,
   * dispatcher, readonly (and admin). Without them the registry is not served
   * at all — never an open API.
   */
  access?: AccessTokens;
  /**
   * Counts of stores the caller opened for this service, registered on its
   * /metrics (the PostgreSQL token store's TZ_STORE_UNAVAILABLE counter:
   * `OpenedAccessStore.registerMetrics`).
   */
  registerMetrics?: (registry: Registry) => void;
  /** Most lines in one InfluxDB write request (default 5000). */
  maxBatchLines?: number;
  /** InfluxDB write requests in flight (default 3). */
  writeConcurrency?: number;
  /** How long a partly filled write batch waits for more readings, ms (default 50). */
  lingerMs?: number;
  /** Readings held (accepted, not yet durable) before ingest stops taking messages from the broker (default 50 000). */
  maxBufferedReadings?: number;
  /** Gzip write bodies (default: only when InfluxDB is not on loopback). */
  gzip?: boolean;
  /** Device clock skew tolerated (default +5 min / −30 days); readings outside are dead-lettered as timestamp-out-of-range. */
  timestampWindow?: Partial<TimestampWindow>;
  /** Retention and downsampling set up at start; null leaves the server's layout alone. */
  retention?: Partial<RetentionSetup> | null;
  log?: Logger;
  clock?: Clock;
}

/** stats(): received, written, rejected, batches, deadLettered, writeErrors, backpressurePauses, pending, buffered, devices. */
export type Ingest = RunningService;

/**
 * MQTT uplink batches → decode → validate → toLine → batch → write
 * (InfluxDB), refused data to the dead-letter store, devices to the registry.
 *
 * Delivery: at-least-once, idempotent in InfluxDB. A QoS 1 message is
 * acknowledged only once every one of its readings is durable in InfluxDB or
 * in the dead-letter store (see MqttIntake for how PUBACKs are deferred and
 * ordered). A crash before that makes the broker redeliver it into the
 * persistent session; since a point's series and timestamp (device time)
 * are the same, a replay overwrites itself.
 */
export async function startIngest(options: IngestOptions): Promise<Ingest> {
  const log = options.log ?? createLogger('ingest');
  const clock = options.clock ?? systemClock;
  // A compressed run never writes into a production database, nor the reverse (TZ_CLOCK_MISMATCH).
  // A simulated run needs InfluxDB up to check; production starts anyway when it is down (checked on the next start).
  const claim = claimInfluxClock(options.influx, clock);
  if (clockKind(clock) === 'simulated') await claim;
  else {
    // Production does not wait long for a slow server: the mark is checked on the next start then.
    const outcome: Promise<unknown> = claim.then(() => null, (err: unknown) => err);
    const first = await Promise.race([outcome, new Promise<'slow'>((resolve) => setTimeout(resolve, 3000, 'slow').unref())]);
    if (first === 'slow') {
      log.warn('InfluxDB is slow to answer: its clock mark is not checked before start');
      void outcome.then((err) => { if (err) log.error({ err }, 'the clock mark of InfluxDB: check it before writing more'); });
    } else if (isTzError(first, 'TZ_CLOCK_MISMATCH')) throw first;
    else if (first) log.warn({ err: first }, 'the clock mark of InfluxDB could not be checked this time');
  }
  const metrics = createIngestMetrics();
  const counts = metrics.counts;
  const maxBatchLines = options.maxBatchLines ?? 5000;
  const maxBuffered = options.maxBufferedReadings ?? 50_000;
  const concurrency = options.writeConcurrency ?? 3;
  const gzip = options.gzip ?? !isLoopback(options.influx.url);
  const retention = options.retention === null ? null : { ...DEFAULT_RETENTION, ...options.retention };
  const validation: ValidationContext = { profiles: options.profiles, window: { ...DEFAULT_TIMESTAMP_WINDOW, ...options.timestampWindow }, clock, binding: options.binding };
  const deadLetters = openDeadLetterStore(options.deadLetterPath);
  const registry = new DeviceRegistry(options.registryPath ?? join(dirname(options.deadLetterPath), 'device-registry.sqlite'), options.profiles, clock);
  registry.startFlushing();
  metrics.sources.devices = () => registry.size;
  options.registerMetrics?.(metrics.registry);
  const stopping = new AbortController();
  const setReachable = (value: boolean) => metrics.influxReachable.set(value ? 1 : 0);
  let influxReachable = false;
  const influx = new InfluxLink(options.influx, { profiles: options.profiles, retention, maxBatchLines, gzip, concurrency }, log, stopping.signal, (value) => {
    influxReachable = value;
    setReachable(value);
  });
  const batcher = new WriteBatcher(() => influx.writer(), { maxBatchLines, concurrency, lingerMs: options.lingerMs ?? 50 }, {
    log, metrics, clock, signal: stopping.signal,
    onReachable: (value) => {
      influxReachable = value;
      setReachable(value);
    },
  });

  function deadLetter(letters: DeadLetter[]): void {
    if (letters.length === 0) return;
    deadLetters.add(letters);
    for (const l of letters) {
      metrics.deadLettered.inc({ reason: l.reason });
      log.warn({ topic: l.topic, gatewayId: l.gatewayId, deviceId: l.deviceId, reason: l.reason, detail: l.detail }, 'dead-lettered');
    }
    counts.deadLettered += letters.length;
  }

  function reject(reason: RejectReason, readings: number): void {
    metrics.readingsRejected.inc({ reason }, readings);
    counts.rejected += readings;
  }

  /** One refused reading (or status) re-encoded as a batch of its own, so a replay can take it alone. */
  function letterFor(topic: string, batch: BatchHeader, item: { reading?: IReading; status?: IDeviceStatus }, reason: RejectReason, detail: string, raw: Uint8Array): DeadLetter {
    let payload = raw;
    try {
      payload = encodeUplinkBatch({ gatewayId: batch.gatewayId, batchSeq: batch.batchSeq, sentAtMs: batch.sentAtMs, readings: item.reading ? [item.reading] : [], statuses: item.status ? [item.status] : [] });
    } catch (err) {
      detail = `${detail}; kept the raw batch (${(err as Error).message})`;
    }
    const deviceId = item.reading?.deviceId ?? item.status?.deviceId ?? null;
    return { topic, gatewayId: batch.gatewayId, deviceId, reason, detail, payload };
  }

  // This instance's parser: its caches (device prefixes, profile plans, number texts) and its line slab.
  const parser = new UplinkParser(validation, {
    observe: (facts, gatewayId) => registry.observe(facts, gatewayId),
    observeAccepted: (accepted, gatewayId) => registry.observeReading(accepted, gatewayId),
  });

  /**
   * Pipeline steps for one message: decode → validate → (registry) → toLine, fused in the parser
   * (the per-reading hot path), then batch; settles the delivery when all is durable.
   */
  function handleMessage(topic: string, payload: Buffer, delivery: Delivery): void {
    const step = parser.step(topic, payload);
    if (!step.ok) {
      reject(step.letter.reason, 0);
      deadLetter([step.letter]);
      finish(delivery);
      return;
    }
    const batch = step.lines;
    const gatewayId = batch.gatewayId;
    delivery.sentAtMs = batch.sentAtMs;
    counts.received += batch.received;
    metrics.readingsReceived.inc(batch.received);

    const letters: DeadLetter[] = [];
    for (const r of batch.rejected) {
      reject(r.reason, 1);
      letters.push(letterFor(topic, batch, { reading: r.reading }, r.reason, r.detail, payload));
    }
    for (const status of batch.statuses) {
      const problem = statusProblem(status, gatewayId);
      if (problem) letters.push(letterFor(topic, batch, { status }, problem.reason, problem.detail, payload));
      else {
        registry.observeStatus(status, gatewayId);
        metrics.statuses.inc();
      }
    }
    deadLetter(letters);
    if (batch.accepted === 0) {
      finish(delivery);
      return;
    }
    const owner: LineOwner = {
      unsettled: 0,
      refused: [],
      settled: () => writeSettled(topic, batch, payload, owner, delivery),
    };
    batcher.add(batch.body, batch.accepted, owner);
    batch.body = NO_BODY; // the batcher holds it now; the rest of `batch` is only kept for dead letters
  }

  function statusProblem(status: IDeviceStatus, gatewayId: string): { reason: RejectReason; detail: string } | null {
    const deviceId = status.deviceId ?? '';
    if (!ID_PATTERN.test(deviceId)) return { reason: 'invalid-device-id', detail: `status of device "${deviceId}": id does not match ${ID_PATTERN}` };
    if (!registry.get(deviceId) && !options.profiles.get(status.profile ?? '')) return { reason: 'unknown-profile', detail: `status of device ${deviceId}: no profile "${status.profile ?? ''}"` };
    const bound = options.binding?.check(deviceId, gatewayId);
    if (bound) {
      const profile = status.profile ?? '';
      if (bound.reason === 'unknown-device' && options.profiles.get(profile)) options.binding?.noteUnregistered(gatewayId, deviceId, profile);
      return { reason: bound.reason, detail: `status: ${bound.detail}` };
    }
    return null;
  }

  function writeSettled(topic: string, batch: UplinkLines, payload: Buffer, owner: LineOwner, delivery: Delivery): void {
    const written = batch.accepted - owner.refused.length;
    counts.written += written;
    metrics.readingsWritten.inc(written);
    if (owner.refused.length > 0) {
      // 4xx from InfluxDB (e.g. a field type conflict): retrying cannot help, keep the readings aside.
      reject('influx-rejected', owner.refused.length);
      deadLetter(owner.refused.map((r) => letterFor(topic, batch, { reading: readingAt(payload, batch, r.position) }, 'influx-rejected', r.error, payload)));
    }
    finish(delivery);
  }

  function finish(delivery: Delivery): void {
    counts.batches += 1;
    metrics.batches.inc();
    delivery.settle();
  }

  const resumeAt = Math.floor(maxBuffered * 0.75);
  let draining = false;
  const intake = new MqttIntake({
    brokerUrl: options.brokerUrl,
    username: options.username,
    password: options.password,
    clientId: options.clientId ?? (options.shareGroup ? `tz-ingest-${options.shareGroup}-${hostname()}` : 'tz-ingest'),
    shareGroup: options.shareGroup,
    log,
    metrics,
    onMessage: handleMessage,
    isFull: () => draining || batcher.buffered >= maxBuffered,
    now: () => clock.now(),
  });
  batcher.onSettled = () => {
    if (intake.paused && batcher.buffered <= resumeAt) intake.resume();
  };

  const app = createServiceHttp({
    component: 'ingest',
    registry: metrics.registry,
    log,
    health: () => ({
      ok: influxReachable && intake.connected && intake.subscription.active(),
      influxReachable, mqttConnected: intake.connected, subscribed: intake.subscription.active(), subscriptionsRefused: intake.subscription.refused(), pending: intake.pending, bufferedReadings: batcher.buffered, intakePaused: intake.paused,
    }),
  });
  if (options.access) registerDeviceRoutes(app, registry, options.access);
  else log.warn('no API tokens given (--access-db): the device registry API /api/v1/devices is not served');
  const httpUrl = await listenService(app, options.http?.host, options.http?.port);
  log.info({ httpUrl, brokerUrl: options.brokerUrl, influx: options.influx.url, maxBatchLines, concurrency, maxBufferedReadings: maxBuffered, shareGroup: options.shareGroup }, 'ingest started');

  let stopped: Promise<void> | undefined;
  return {
    httpUrl,
    stats: () => ({ ...counts, pending: intake.pending, buffered: batcher.buffered, devices: registry.size }),
    stop() {
      stopped ??= (async () => {
        // Graceful: write what is buffered (a few seconds at most) so its PUBACKs go out, then disconnect.
        // Whatever is not durable by then stays unacknowledged; the broker redelivers it.
        draining = true;
        if (influxReachable) await Promise.race([batcher.drainTo(0), new Promise((r) => setTimeout(r, 5_000).unref())]);
        stopping.abort();
        batcher.close();
        await intake.end();
        await influx.close();
        await app.close();
        registry.close();
        deadLetters.close();
        log.info('ingest stopped');
      })();
      return stopped;
    },
  };
}

/** The header fields a dead letter keeps of its batch. */
interface BatchHeader {
  gatewayId: string;
  batchSeq: number;
  sentAtMs: number;
}

const NO_BODY = Buffer.alloc(0);

function isLoopback(url: string): boolean {
  try {
    const host = new URL(url).hostname;
    return host === 'localhost' || host === '[::1]' || host === '::1' || host.startsWith('127.');
  } catch {
    return false;
  }
}
