import mqtt, { type MqttClient } from 'mqtt';
import { encodeCommandAck, encodeGatewayStatus, topics, tz, type ICommandAck, type IGatewayStatus } from '../proto/index.ts';
import { Backoff, isMqttAuthRefusal, reconnectWithBackoff, systemClock, toError, type Clock, type Logger } from '../service-kit/index.ts';
import type { EdgeMetrics } from './metrics.ts';
import type { QueuedBatch, StoreAndForwardQueue } from './store-and-forward-queue.ts';

export interface MqttUplinkOptions {
  gatewayId: string;
  brokerUrl: string;
  username: string;
  password: string;
  queue: StoreAndForwardQueue;
  maxInFlight: number;
  replayReadingsPerSecond: number;
  statusIntervalMs: number;
  metrics: EdgeMetrics;
  log: Logger;
  /** The agent's clock: GatewayStatus times. The replay rate and the flush wait pace real I/O and use performance.now(). */
  clock?: Clock;
  /** Gateway health for the status message (state and time are filled in here). */
  status: () => Omit<IGatewayStatus, 'gatewayId' | 'state' | 'timestampMs'>;
  /** A message on tz/v1/gw/{id}/down/cmd. */
  onCommand: (payload: Buffer) => void;
  /** A message on tz/v1/gw/{id}/down/config (retained GatewayConfig); without it the topic is not subscribed. */
  onConfig?: (payload: Buffer) => void;
  /** Queue depth changed (a batch left it). */
  onQueueChanged: () => void;
}

const bytes = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

/**
 * The gateway's MQTT session. Batches go out QoS 1 straight from the disk
 * queue and are removed from it only when the broker PUBACKs them
 * (at-least-once: a batch whose PUBACK was lost is sent again after a restart;
 * receivers de-duplicate by device + seq, and a replayed reading overwrites
 * itself in InfluxDB). Two lanes share the in-flight window:
 *  - live: batches sealed since the session came up, sent at once;
 *  - backlog: batches that were queued before (broker down, agent restarted),
 *    replayed oldest first at replayReadingsPerSecond, so a long outage does
 *    not hold back what is happening now nor flood the broker.
 * Also: retained GatewayStatus with an OFFLINE last will, the command
 * subscription, CommandAck, and reconnects with backoff — including after
 * refused credentials, which must never stop the agent.
 */
export class MqttUplink {
  private client: MqttClient | null = null;
  private readonly inFlight = new Set<number>();
  /**
   * Batches the broker acknowledged but the queue could not delete yet (disk
   * full: even a DELETE needs room in the WAL). They are never sent again and
   * their removal is retried on every pump.
   */
  private readonly ackedNotRemoved = new Set<number>();
  private statusTimer: NodeJS.Timeout | null = null;
  private replayTimer: NodeJS.Timeout | null = null;
  private readonly backoff = new Backoff(1000, 30_000);
  /** Kind of the current run of connection failures; null while connected. */
  private failing: 'auth' | 'link' | null = null;
  private stopping = false;
  /** Lanes: ids <= backlogUpTo are backlog (cursor backlogCursor); above it live (cursor liveCursor). */
  private backlogUpTo = 0;
  private backlogCursor = 0;
  private liveCursor = 0;
  private tokens = 0;
  private tokensAt = performance.now();
  /** Plain counters for stats() (prom-client reads are async). */
  readonly counts = { published: 0, acked: 0, replayed: 0, authFailures: 0, errors: 0 };

  private readonly clock: Clock;

  constructor(private readonly opts: MqttUplinkOptions) {
    this.clock = opts.clock ?? systemClock;
  }

  get connected(): boolean {
    return this.client?.connected === true;
  }

  /** Batches sent and not yet acknowledged. */
  get inFlightCount(): number {
    return this.inFlight.size;
  }

  start(): void {
    const { gatewayId, brokerUrl, username, password, log, metrics } = this.opts;
    const will = encodeGatewayStatus({ gatewayId, state: tz.GatewayState.GATEWAY_STATE_OFFLINE, timestampMs: this.clock.now() });
    const client = mqtt.connect(brokerUrl, {
      clientId: gatewayId,
      username,
      password,
      // Persistent session: QoS 1 batches and commands survive a reconnect (MQTT 3.1.1 §3.1.2.4).
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
      log.info({ gatewayId, brokerUrl, backlogBatches: this.opts.queue.stats().batches }, this.failing ? 'broker connection restored' : 'connected to broker');
      this.failing = null;
      // Everything queued now (and not already in flight) is backlog, replayed at the rate limit.
      this.backlogUpTo = this.opts.queue.lastId();
      this.backlogCursor = 0;
      this.liveCursor = this.backlogUpTo;
      this.tokens = this.opts.replayReadingsPerSecond;
      this.tokensAt = performance.now();
      const downlinks = this.opts.onConfig ? [topics.command(gatewayId), topics.config(gatewayId)] : [topics.command(gatewayId)];
      client.subscribe(downlinks, { qos: 1 }, (err) => {
        if (err) log.error({ err: err.message, topics: downlinks }, 'cannot subscribe to commands and config');
      });
      this.publishStatus(tz.GatewayState.GATEWAY_STATE_ONLINE);
      this.pump();
    });
    client.on('message', (topic, payload) => {
      if (topic === topics.command(gatewayId)) this.opts.onCommand(payload);
      else if (topic === topics.config(gatewayId)) this.opts.onConfig?.(payload);
    });
    client.on('close', () => metrics.brokerConnected.set(0));
    client.on('error', (err) => this.onError(err));
    this.statusTimer = setInterval(() => {
      if (this.connected) this.publishStatus(tz.GatewayState.GATEWAY_STATE_ONLINE);
    }, this.opts.statusIntervalMs);
    this.statusTimer.unref();
  }

  /** Sends what the window and the replay rate allow: live batches first, then backlog. */
  pump(): void {
    const client = this.client;
    if (!client || !this.connected || this.stopping) return;
    const { queue, maxInFlight } = this.opts;
    for (const id of this.ackedNotRemoved) if (this.removeAcked(id)) this.ackedNotRemoved.delete(id);
    while (this.inFlight.size < maxInFlight) {
      const [b] = queue.read(this.liveCursor, 1);
      if (!b) break;
      this.liveCursor = b.id;
      if (!this.inFlight.has(b.id) && !this.ackedNotRemoved.has(b.id)) this.send(client, b, 'live');
    }
    this.refill();
    while (this.inFlight.size < maxInFlight && this.backlogCursor < this.backlogUpTo) {
      if (this.tokens <= 0) {
        this.scheduleReplay();
        return;
      }
      const [b] = queue.read(this.backlogCursor, 1, this.backlogUpTo);
      if (!b) {
        this.backlogCursor = this.backlogUpTo;
        break;
      }
      this.backlogCursor = b.id;
      if (this.inFlight.has(b.id) || this.ackedNotRemoved.has(b.id)) continue;
      this.tokens -= b.readings;
      this.counts.replayed++;
      this.send(client, b, 'backlog');
    }
  }

  /** Readings still waiting in the backlog lane (approximate: counts whole batches after the cursor). */
  get replaying(): boolean {
    return this.backlogCursor < this.backlogUpTo;
  }

  publishAck(ack: ICommandAck): void {
    // QoS 1; mqtt.js queues it while offline (a CommandAck is small and rare).
    this.client?.publish(topics.commandAck(this.opts.gatewayId), bytes(encodeCommandAck(ack)), { qos: 1 }, (err) => {
      if (err) this.opts.log.warn({ commandId: ack.commandId, err: err.message }, 'command ack not published');
    });
  }

  /** Publishes the retained status now (e.g. after a device changed state). */
  publishStatusNow(): void {
    if (this.connected) this.publishStatus(tz.GatewayState.GATEWAY_STATE_ONLINE);
  }

  /** Waits (bounded) for what is in flight, publishes OFFLINE and closes the session. */
  async stop(flushMs = 2000): Promise<void> {
    const client = this.client;
    if (this.statusTimer) clearInterval(this.statusTimer);
    if (this.replayTimer) clearTimeout(this.replayTimer);
    if (!client) return;
    const deadline = performance.now() + flushMs;
    this.pump();
    while (this.connected && this.inFlight.size > 0 && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    this.stopping = true;
    if (this.connected) {
      await new Promise<void>((resolve) => {
        const payload = encodeGatewayStatus({ ...this.opts.status(), gatewayId: this.opts.gatewayId, state: tz.GatewayState.GATEWAY_STATE_OFFLINE, timestampMs: this.clock.now() });
        client.publish(topics.status(this.opts.gatewayId), bytes(payload), { qos: 1, retain: true }, () => resolve());
      });
    }
    await client.endAsync(!this.connected);
    this.opts.metrics.brokerConnected.set(0);
  }

  private send(client: MqttClient, b: QueuedBatch, lane: 'live' | 'backlog'): void {
    const { metrics, queue, log } = this.opts;
    this.inFlight.add(b.id);
    metrics.batchesPublished.inc({ lane });
    this.counts.published++;
    client.publish(topics.batch(this.opts.gatewayId), bytes(b.payload), { qos: 1 }, (err) => {
      this.inFlight.delete(b.id);
      if (err) {
        // Not acknowledged: it stays on disk; make sure the backlog lane passes it again.
        log.warn({ queueId: b.id, err: err.message }, 'batch not acknowledged; will resend');
        this.backlogUpTo = Math.max(this.backlogUpTo, b.id);
        this.backlogCursor = Math.min(this.backlogCursor, b.id - 1);
      } else {
        metrics.batchesAcked.inc();
        this.counts.acked++;
        if (!this.removeAcked(b.id)) this.ackedNotRemoved.add(b.id);
        this.opts.onQueueChanged();
      }
      if (!this.stopping) this.pump();
    });
  }

  /** Deletes an acknowledged batch; false when the store refuses (it is retried, never resent). */
  private removeAcked(id: number): boolean {
    try {
      this.opts.queue.remove(id);
      return true;
    } catch (err) {
      this.opts.metrics.queueRemoveFailures.inc();
      this.opts.log.warn({ queueId: id, err: (err as Error).message }, 'acknowledged batch cannot be deleted from the queue yet (disk full?); will retry');
      return false;
    }
  }

  private refill(): void {
    const now = performance.now();
    const rate = this.opts.replayReadingsPerSecond;
    this.tokens = Math.min(rate, this.tokens + ((now - this.tokensAt) / 1000) * rate);
    this.tokensAt = now;
  }

  private scheduleReplay(): void {
    if (this.replayTimer) return;
    const waitMs = Math.max(10, Math.ceil((-this.tokens / this.opts.replayReadingsPerSecond) * 1000) + 1);
    this.replayTimer = setTimeout(() => {
      this.replayTimer = null;
      this.pump();
    }, waitMs);
  }

  private publishStatus(state: number): void {
    const payload = encodeGatewayStatus({ ...this.opts.status(), gatewayId: this.opts.gatewayId, state, timestampMs: this.clock.now() });
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
