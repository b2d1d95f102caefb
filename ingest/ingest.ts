import mqtt, { type MqttClient } from 'mqtt';
import { encodeUplinkBatch, topics, type IReading, type UplinkBatch } from '../proto/index.ts';
import type { ProfileCatalogue } from '../device-profiles/index.ts';
import { Backoff, createLogger, createServiceHttp, isMqttAuthRefusal, listenService, reconnectWithBackoff, type InfluxTarget, type Logger, type RunningService } from '../service-kit/index.ts';
import { openDeadLetterStore, type DeadLetter } from './dead-letter-store.ts';
import { InfluxLink, IngestStopping } from './influx-link.ts';
import { createIngestMetrics } from './metrics.ts';
import { decodeStep } from './steps/decode.ts';
import { toPoints } from './steps/to-points.ts';
import { validateStep } from './steps/validate.ts';

export interface IngestOptions {
  brokerUrl: string;
  username: string;
  password: string;
  /** Fixed, so the broker keeps the persistent session across restarts. Default 'tz-ingest'. */
  clientId?: string;
  influx: InfluxTarget;
  profiles: ProfileCatalogue;
  /** SQLite file for refused batches and readings. */
  deadLetterPath: string;
  http?: { host?: string; port?: number };
  /** Most lines in one InfluxDB write request (default 5000). */
  maxBatchLines?: number;
  log?: Logger;
}

/** stats(): received, written, rejected, batches, deadLettered, writeErrors, pending. */
export type Ingest = RunningService;

/**
 * MQTT uplink batches → decode → validate → toPoints → write (InfluxDB), with
 * refused data in the dead-letter store.
 *
 * Delivery: at-least-once. Each QoS 1 message is acknowledged (PUBACK, via
 * mqtt.js `handleMessage`) only after its readings are durable in InfluxDB
 * or in the dead-letter store; a crash before that makes the broker redeliver
 * it into the persistent session (clean: false, fixed client id), and since
 * the InfluxDB timestamp is the device time, a replay overwrites itself.
 *
 * mqtt.js hands over the next message only after handleMessage of the
 * current one calls back, so a write is one message (one gateway batch), split into
 * requests of at most maxBatchLines.
 */
export async function startIngest(options: IngestOptions): Promise<Ingest> {
  const log = options.log ?? createLogger('ingest');
  const maxBatchLines = options.maxBatchLines ?? 5000;
  const metrics = createIngestMetrics();
  const counts = metrics.counts;
  const deadLetters = openDeadLetterStore(options.deadLetterPath);
  const stopping = new AbortController();
  const influx = new InfluxLink(options.influx, maxBatchLines, log, metrics, stopping.signal);
  let pending = 0;
  let mqttConnected = false;
  let inFlight: Promise<unknown> = Promise.resolve();

  function deadLetter(letters: DeadLetter[], readingsRefused: number): void {
    deadLetters.add(letters);
    for (const l of letters) {
      metrics.deadLettered.inc({ reason: l.reason });
      log.warn({ topic: l.topic, gatewayId: l.gatewayId, deviceId: l.deviceId, reason: l.reason, detail: l.detail }, 'dead-lettered');
    }
    counts.deadLettered += letters.length;
    counts.rejected += readingsRefused;
  }

  function readingLetter(topic: string, batch: UplinkBatch, reading: IReading, reason: string, detail: string, raw: Uint8Array): DeadLetter {
    let payload = raw;
    try {
      payload = encodeUplinkBatch({ gatewayId: batch.gatewayId, batchSeq: batch.batchSeq, sentAtMs: batch.sentAtMs, readings: [reading] });
    } catch (err) {
      detail = `${detail}; kept the raw batch (${(err as Error).message})`;
    }
    return { topic, gatewayId: batch.gatewayId, deviceId: reading.deviceId ?? null, reason, detail, payload };
  }

  /** One message through the pipeline; resolves when it may be acknowledged. */
  async function handleBatch(topic: string, payload: Buffer): Promise<void> {
    const decoded = decodeStep(topic, payload);
    if (!decoded.ok) {
      metrics.readingsRejected.inc({ reason: decoded.letter.reason });
      deadLetter([decoded.letter], 0);
      return;
    }
    const { batch, gatewayId } = decoded;
    counts.received += batch.readings.length;
    metrics.readingsReceived.inc(batch.readings.length);

    const { accepted, rejected } = validateStep(batch.readings, options.profiles);
    for (const r of rejected) metrics.readingsRejected.inc({ reason: r.reason });
    deadLetter(rejected.map((r) => readingLetter(topic, batch, r.reading, r.reason, r.detail, payload)), rejected.length);
    if (accepted.length === 0) return;

    const outcome = await influx.writeDurably(toPoints(accepted, gatewayId));
    if (outcome.ok) {
      counts.written += accepted.length;
      metrics.readingsWritten.inc(accepted.length);
      return;
    }
    // 4xx from InfluxDB (e.g. a field type conflict): retrying cannot help, keep the readings aside.
    metrics.readingsRejected.inc({ reason: 'influx-rejected' }, accepted.length);
    deadLetter(accepted.map((a) => readingLetter(topic, batch, a.reading, 'influx-rejected', outcome.error.message, payload)), accepted.length);
  }

  const client: MqttClient = mqtt.connect(options.brokerUrl, {
    clientId: options.clientId ?? 'tz-ingest',
    username: options.username,
    password: options.password,
    clean: false,
    protocolVersion: 4,
    reconnectPeriod: 1_000,
    // Refused credentials are retried too: an operator may be fixing the users file.
    reconnectOnConnackError: true,
    connectTimeout: 10_000,
  });
  reconnectWithBackoff(client, new Backoff(1_000, 30_000));
  // mqtt.js sends the PUBACK of a QoS 1 message when handleMessage calls back
  // (its documented backpressure hook; `customHandleAcks` is used only for MQTT 5,
  // which Aedes does not speak). So: call back only once the message is durable.
  client.handleMessage = (packet, callback) => {
    const topic = packet.topic;
    const message = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : packet.payload;
    pending += 1;
    metrics.pendingMessages.set(pending);
    const settle = () => {
      pending -= 1;
      metrics.pendingMessages.set(pending);
    };
    inFlight = handleBatch(topic, message).then(
      () => {
        settle();
        counts.batches += 1;
        metrics.batches.inc();
        callback();
      },
      (err: unknown) => {
        settle();
        // Stopping: no PUBACK, the broker redelivers the message to the next ingest.
        if (err instanceof IngestStopping) return;
        log.error({ err: (err as Error).message, topic }, 'message not processed; left unacknowledged');
        callback(err as Error);
      },
    );
  };
  client.on('connect', (connack) => {
    mqttConnected = true;
    log.info({ brokerUrl: options.brokerUrl, sessionPresent: connack.sessionPresent }, 'connected to broker');
    client.subscribe(topics.allBatches, { qos: 1 }, (err, granted) => {
      const qos = granted?.[0]?.qos;
      if (err || qos === 128) log.error({ err: err?.message, qos }, `subscription to ${topics.allBatches} refused`);
    });
  });
  client.on('close', () => {
    mqttConnected = false;
  });
  client.on('error', (err) => {
    if (isMqttAuthRefusal(err)) log.error({ code: 'TZ_BROKER_AUTH', brokerUrl: options.brokerUrl }, 'broker refused the ingest service account: check its username/password in the broker users file; retrying with backoff');
    else log.warn({ err: err.message, brokerUrl: options.brokerUrl }, 'MQTT error');
  });

  const app = createServiceHttp({
    component: 'ingest',
    registry: metrics.registry,
    log,
    health: () => ({ ok: influx.reachable && mqttConnected, influxReachable: influx.reachable, mqttConnected, pending }),
  });
  const httpUrl = await listenService(app, options.http?.host, options.http?.port);
  log.info({ httpUrl, brokerUrl: options.brokerUrl, influx: options.influx.url }, 'ingest started');

  let stopped: Promise<void> | undefined;
  return {
    httpUrl,
    stats: () => ({ ...counts, pending }),
    stop() {
      stopped ??= (async () => {
        stopping.abort();
        await client.endAsync(true);
        await inFlight.catch(() => undefined);
        await influx.close();
        await app.close();
        deadLetters.close();
        log.info('ingest stopped');
      })();
      return stopped;
    },
  };
}
