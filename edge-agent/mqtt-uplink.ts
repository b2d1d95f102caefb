import mqtt, { type MqttClient } from 'mqtt';
import { encodeGatewayStatus, encodeUplinkBatch, topics, tz, type IGatewayStatus } from '../proto/index.ts';
import { Backoff, isMqttAuthRefusal, reconnectWithBackoff, toError, type Logger } from '../service-kit/index.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { UplinkQueue } from './uplink-queue.ts';

export interface MqttUplinkOptions {
  gatewayId: string;
  brokerUrl: string;
  username: string;
  password: string;
  queue: UplinkQueue;
  metrics: EdgeMetrics;
  log: Logger;
  /** Gateway health for the status message (state and time are filled in here). */
  status: () => Omit<IGatewayStatus, 'gatewayId' | 'state' | 'timestampMs'>;
}

/** Batches in flight at once (QoS 1, each waiting for its PUBACK). */
const MAX_IN_FLIGHT = 8;
const STATUS_EVERY_MS = 30_000;

const bytes = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * The gateway's MQTT session: publishes sealed batches QoS 1 (at-least-once:
 * a batch leaves the queue only on PUBACK; a retry may duplicate it, and a
 * replayed reading overwrites itself in InfluxDB), keeps a retained
 * GatewayStatus with an OFFLINE last will, and reconnects with backoff —
 * including after refused credentials, which must never stop the agent.
 */
export class MqttUplink {
  private client: MqttClient | null = null;
  private inFlight = 0;
  private statusTimer: NodeJS.Timeout | null = null;
  private readonly backoff = new Backoff(1000, 30_000);
  /** Kind of the current run of connection failures; null while connected. */
  private failing: 'auth' | 'link' | null = null;
  private stopping = false;
  /** Plain counters for stats() (prom-client reads are async). */
  readonly counts = { published: 0, acked: 0, authFailures: 0, errors: 0 };

  constructor(private readonly opts: MqttUplinkOptions) {}

  get connected(): boolean {
    return this.client?.connected === true;
  }

  start(): void {
    const { gatewayId, brokerUrl, username, password, log, metrics } = this.opts;
    const will = encodeGatewayStatus({ gatewayId, state: tz.GatewayState.GATEWAY_STATE_OFFLINE, timestampMs: Date.now() });
    const client = mqtt.connect(brokerUrl, {
      clientId: gatewayId,
      username,
      password,
      // Persistent session: QoS 1 batches survive a reconnect (MQTT 3.1.1 §3.1.2.4).
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 1000,
      connectTimeout: 10_000,
      // mqtt.js gives up after a refused CONNACK unless told otherwise.
      reconnectOnConnackError: true,
      will: { topic: topics.status(gatewayId), payload: bytes(will), qos: 1, retain: true },
    });
    this.client = client;
    reconnectWithBackoff(client, this.backoff);
    client.on('connect', () => {
      metrics.brokerConnected.set(1);
      log.info({ gatewayId, brokerUrl }, this.failing ? 'broker connection restored' : 'connected to broker');
      this.failing = null;
      this.publishStatus(tz.GatewayState.GATEWAY_STATE_ONLINE);
      this.pump();
    });
    client.on('close', () => metrics.brokerConnected.set(0));
    client.on('error', (err) => this.onError(err));
    this.statusTimer = setInterval(() => {
      if (this.connected) this.publishStatus(tz.GatewayState.GATEWAY_STATE_ONLINE);
    }, STATUS_EVERY_MS);
    this.statusTimer.unref();
  }

  /** Publishes sealed batches while connected, up to MAX_IN_FLIGHT at once. */
  pump(): void {
    const client = this.client;
    while (client && this.connected && !this.stopping && this.inFlight < MAX_IN_FLIGHT) {
      const batch = this.opts.queue.take();
      if (!batch) return;
      this.inFlight++;
      const payload = encodeUplinkBatch({ gatewayId: this.opts.gatewayId, batchSeq: batch.batchSeq, sentAtMs: batch.sentAtMs, readings: batch.readings, statuses: batch.statuses });
      this.opts.metrics.batchesPublished.inc();
      this.counts.published++;
      client.publish(topics.batch(this.opts.gatewayId), bytes(payload), { qos: 1 }, (err) => {
        this.inFlight--;
        if (err) {
          // Not acknowledged: back to the front of the queue, sent again later.
          this.opts.log.warn({ batchSeq: batch.batchSeq, err: err.message }, 'batch not acknowledged; will resend');
          this.opts.queue.release(batch, false);
        } else {
          this.opts.metrics.batchesAcked.inc();
          this.counts.acked++;
          this.opts.queue.release(batch, true);
        }
        if (!this.stopping) this.pump();
      });
    }
  }

  /** Waits (bounded) until the queue is sent, publishes OFFLINE and closes the session. */
  async stop(flushMs = 2000): Promise<void> {
    const client = this.client;
    if (this.statusTimer) clearInterval(this.statusTimer);
    if (!client) return;
    const deadline = Date.now() + flushMs;
    while (this.connected && (this.opts.queue.sealedCount > 0 || this.inFlight > 0) && Date.now() < deadline) {
      this.pump();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    this.stopping = true;
    if (this.connected) {
      await new Promise<void>((resolve) => {
        const payload = encodeGatewayStatus({ ...this.opts.status(), gatewayId: this.opts.gatewayId, state: tz.GatewayState.GATEWAY_STATE_OFFLINE, timestampMs: Date.now() });
        client.publish(topics.status(this.opts.gatewayId), bytes(payload), { qos: 1, retain: true }, () => resolve());
      });
    }
    await client.endAsync(!this.connected);
    this.opts.metrics.brokerConnected.set(0);
  }

  private publishStatus(state: number): void {
    const payload = encodeGatewayStatus({ ...this.opts.status(), gatewayId: this.opts.gatewayId, state, timestampMs: Date.now() });
    this.client?.publish(topics.status(this.opts.gatewayId), bytes(payload), { qos: 1, retain: true }, (err) => {
      if (err) this.opts.log.warn({ err: err.message }, 'gateway status not published');
    });
  }

  private onError(raw: unknown): void {
    const err = toError(raw);
    const code = (raw as { code?: unknown }).code;
    const { gatewayId, brokerUrl, log, metrics } = this.opts;
    // One clear log line per run of failures of one kind; the counters keep counting.
    const kind = isMqttAuthRefusal(raw) ? 'auth' : 'link';
    const first = this.failing !== kind;
    this.failing = kind;
    if (kind === 'auth') {
      metrics.brokerAuthFailures.inc();
      this.counts.authFailures++;
      const message = `broker refused the credentials of gateway ${gatewayId} (CONNACK ${code}): check username/password for gateway ${gatewayId} in the broker users file; retrying with backoff`;
      if (first) log.error({ code: 'TZ_BROKER_AUTH', gatewayId, brokerUrl, connack: code }, message);
      else log.debug({ code: 'TZ_BROKER_AUTH', gatewayId, connack: code }, message);
      return;
    }
    const reason = typeof code === 'string' ? code : typeof code === 'number' ? `connack-${code}` : 'other';
    metrics.brokerErrors.inc({ reason });
    this.counts.errors++;
    const message = `cannot reach broker ${brokerUrl} for gateway ${gatewayId}: ${err.message}; retrying with backoff`;
    if (first) log.warn({ code: 'TZ_BROKER_UNREACHABLE', gatewayId, brokerUrl, reason }, message);
    else log.debug({ code: 'TZ_BROKER_UNREACHABLE', gatewayId, reason }, message);
  }
}
