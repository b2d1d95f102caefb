import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Duplex } from 'node:stream';
import { topics } from '../proto/index.ts';
import { Backoff, TzError, isMqttAuthRefusal, reconnectWithBackoff, sharedTopic, subscribeTracked, type Logger, type MqttServiceAccount, type SubscriptionHealth } from '../service-kit/index.ts';
import type { IngestMetrics } from './metrics.ts';

/** One received message's place in the acknowledgement order. The pipeline calls `settle()` once it is durable or dead-lettered. */
export interface Delivery {
  /** Gateway clock when the batch was sealed (set by the pipeline after decoding); for the lag metric. */
  sentAtMs: number;
  settle(): void;
}

export interface MqttIntakeOptions extends MqttServiceAccount {
  clientId: string;
  log: Logger;
  metrics: IngestMetrics;
  /** The pipeline: takes the message, settles the delivery later. */
  onMessage(topic: string, payload: Buffer, delivery: Delivery): void;
  /** True when the pipeline's buffer is full: take nothing more from the broker until `resume()`. */
  isFull(): boolean;
  now(): number;
}

/** What handleMessage passes to mqtt.js so it moves on to the next packet without sending the PUBACK itself. */
const PUBACK_DEFERRED = new Error('PUBACK deferred until the readings are durable');

/** PUBACK, MQTT 3.1.1 §3.4: fixed header 0x40, remaining length 2, packet id (also a valid MQTT 5 PUBACK, §3.4.2.1). */
function pubackBytes(messageId: number): Buffer {
  return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
}

/**
 * The acknowledgements still owed on one connection, in the order the
 * PUBLISHes arrived: a PUBACK goes out when a message and every message
 * before it are settled (MQTT 3.1.1 §4.6: PUBACKs in the order of the
 * PUBLISHes). Bound to its socket: after a reconnect the broker redelivers
 * whatever was not acknowledged, and stale ids are never sent on a new socket.
 */
export class AckLedger {
  private readonly entries: Array<{ messageId: number | undefined; settled: boolean }> = [];
  private head = 0;
  /**
   * Entries compacted away so far: a position is a message's number on this
   * connection, and lives at entries[position - dropped]. (Positions were
   * indexes once, and went stale when compaction shifted the entries under
   * messages still in flight.)
   */
  private dropped = 0;

  constructor(readonly stream: Duplex) {}

  get oldest(): number | undefined {
    return this.head < this.entries.length ? this.dropped + this.head : undefined;
  }

  push(messageId: number | undefined): number {
    this.entries.push({ messageId, settled: false });
    return this.dropped + this.entries.length - 1;
  }

  settle(position: number): void {
    const entry = this.entries[position - this.dropped];
    if (entry === undefined) throw new TzError('TZ_INTERNAL', `ingest: no unacknowledged message at position ${position} on this connection (settled twice, or on another connection)`);
    entry.settled = true;
    for (let next = this.entries[this.head]; next?.settled === true; next = this.entries[this.head]) {
      this.head += 1;
      if (next.messageId !== undefined && !this.stream.destroyed) this.stream.write(pubackBytes(next.messageId));
    }
    // Compact now and then instead of shifting on every ack.
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.dropped += this.head;
      this.head = 0;
    }
  }
}

/**
 * The MQTT side of ingest: a persistent session (clean: false, fixed client
 * id), QoS 1, and many messages in flight. mqtt.js hands over one PUBLISH at
 * a time and sends its PUBACK when `handleMessage` calls back (it has no
 * deferred ack for MQTT 3.1.1, the only version Aedes speaks); so
 * handleMessage hands the message to the pipeline and calls back at once with
 * PUBACK_DEFERRED — mqtt.js then moves on without acknowledging — and the
 * PUBACK is written here when the pipeline settles the message, in order.
 * Backpressure: while the pipeline is full, the callback is held, so mqtt.js
 * parses nothing more and TCP flow control pushes back on the broker, which
 * keeps the messages in our session.
 */
export class MqttIntake {
  readonly client: MqttClient;
  private ledger: AckLedger | null = null;
  private held: ((err?: Error) => void) | null = null;
  private pausedSince: number | null = null;
  private unsettled = 0;
  private oldestSentAt = new Map<AckLedger, Map<number, number>>();
  private lastLagMs = 0;
  connected = false;
  /** The batch subscription: /healthz is false while the broker refuses it. */
  readonly subscription: SubscriptionHealth;

  constructor(private readonly options: MqttIntakeOptions) {
    const connectOptions: IClientOptions = {
      clientId: options.clientId,
      username: options.username,
      password: options.password,
      clean: false,
      protocolVersion: 4,
      reconnectPeriod: 1_000,
      // Refused credentials are retried too: an operator may be fixing the users file.
      reconnectOnConnackError: true,
      connectTimeout: 10_000,
    };
    this.client = mqtt.connect(options.brokerUrl, connectOptions);
    reconnectWithBackoff(this.client, new Backoff(1_000, 30_000));
    this.client.handleMessage = (packet, callback) => this.receive(packet.topic, packet.payload, packet.qos > 0 ? packet.messageId : undefined, callback);
    const filter = sharedTopic(options.shareGroup, topics.allBatches);
    this.client.on('connect', (connack) => {
      this.connected = true;
      options.log.info({ brokerUrl: options.brokerUrl, clientId: options.clientId, sessionPresent: connack.sessionPresent, filter }, 'connected to broker');
    });
    this.subscription = subscribeTracked(this.client, [filter], options.log, 'ingest');
    this.client.on('close', () => {
      this.connected = false;
      // The broker redelivers what this socket did not acknowledge; let the old packet pump finish.
      this.ledger = null;
      this.release();
    });
    this.client.on('error', (err) => {
      if (isMqttAuthRefusal(err)) options.log.error({ code: 'TZ_BROKER_AUTH', brokerUrl: options.brokerUrl }, 'broker refused the ingest service account: check its username/password in the broker users file; retrying with backoff');
      else options.log.warn({ err: err.message, brokerUrl: options.brokerUrl }, 'MQTT error');
    });
    options.metrics.sources.lagMs = () => this.lagMs();
  }

  /** Messages received and not yet settled (on any connection). */
  get pending(): number {
    return this.unsettled;
  }

  get paused(): boolean {
    return this.held !== null;
  }

  /** Called by the pipeline whenever its buffer shrinks: takes messages again once there is room. */
  resume(): void {
    if (this.held !== null && !this.options.isFull()) this.release();
  }

  /** Stop taking messages (for a graceful stop): hold the next one. */
  async end(): Promise<void> {
    await this.client.endAsync(true);
  }

  private receive(topic: string, payload: Buffer | string, messageId: number | undefined, callback: (err?: Error) => void): void {
    const stream = this.client.stream as unknown as Duplex;
    if (this.ledger === null || this.ledger.stream !== stream) this.ledger = new AckLedger(stream);
    const ledger = this.ledger;
    const position = ledger.push(messageId);
    const sentAts = this.oldestSentAt.get(ledger) ?? new Map<number, number>();
    this.oldestSentAt.set(ledger, sentAts);
    this.unsettled += 1;
    this.options.metrics.pendingMessages.set(this.unsettled);
    let settled = false;
    const delivery: Delivery = {
      sentAtMs: 0,
      settle: () => {
        if (settled) return;
        settled = true;
        this.unsettled -= 1;
        this.options.metrics.pendingMessages.set(this.unsettled);
        if (delivery.sentAtMs > 0) this.lastLagMs = this.options.now() - delivery.sentAtMs;
        sentAts.delete(position);
        if (sentAts.size === 0) this.oldestSentAt.delete(ledger);
        ledger.settle(position);
      },
    };
    this.options.onMessage(topic, typeof payload === 'string' ? Buffer.from(payload) : payload, delivery);
    if (!settled) sentAts.set(position, delivery.sentAtMs);
    else if (sentAts.size === 0) this.oldestSentAt.delete(ledger);
    if (this.options.isFull()) {
      this.held = callback;
      if (this.pausedSince === null) {
        this.pausedSince = this.options.now();
        this.options.metrics.paused.set(1);
        this.options.metrics.pauses.inc();
        this.options.metrics.counts.backpressurePauses += 1;
      }
      return;
    }
    callback(PUBACK_DEFERRED);
  }

  private release(): void {
    const callback = this.held;
    this.held = null;
    if (this.pausedSince !== null) {
      this.pausedSince = null;
      this.options.metrics.paused.set(0);
    }
    callback?.(PUBACK_DEFERRED);
  }

  /** Lag behind the broker: the oldest unsettled batch's age, else the last settled one's at the time it settled. */
  private lagMs(): number {
    let oldest = Infinity;
    for (const sentAts of this.oldestSentAt.values()) {
      for (const sentAt of sentAts.values()) {
        if (sentAt > 0) oldest = Math.min(oldest, sentAt);
        break; // Map iteration is insertion order: the first is the oldest on that socket
      }
    }
    return oldest === Infinity ? this.lastLagMs : Math.max(0, this.options.now() - oldest);
  }
}
