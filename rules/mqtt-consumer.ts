import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../proto/index.ts';
import type { Duplex } from 'node:stream';
import { AckLedger, Backoff, isMqttAuthRefusal, PUBACK_DEFERRED, reconnectWithBackoff, sharedTopic, subscribeTracked, type Logger, type MqttServiceAccount } from '../service-kit/index.ts';

// The rules service's MQTT session. Delivery: at-least-once — a persistent
// session (clean: false) and QoS 1; a message's PUBACK goes out only when
// what it changed is stored: the handler answers a Promise of that (SQLite:
// the batch's WAL sync, issue 18; PostgreSQL: its alarm changes committed)
// or nothing (nothing to wait for). mqtt.js is told PUBACK_DEFERRED and moves
// on to the next message at once, so the next batch is evaluated while the
// previous one's commit is being synced; the PUBACKs are written by an
// AckLedger in the order the PUBLISHes arrived (MQTT 3.1.1 §4.6). A message
// whose Promise rejects is never acknowledged: the connection is dropped and
// the broker sends it again on the next session (§4.4). At most
// MAX_UNACKED messages wait: then mqtt.js is held and TCP pushes back.
// With a share group, gateway topics are subscribed as `$share/{group}/…`
// (the broker keeps a gateway on one member), so rules can run partitioned.

/** Messages received and not yet acknowledged before the consumer stops taking more. */
const MAX_UNACKED = 256;

export interface RulesMqttOptions extends MqttServiceAccount {
  clientId: string;
  log: Logger;
  /** A Promise: the PUBACK (and the next message) waits until it resolves; if it rejects, no PUBACK (the broker sends the message again). */
  onMessage: (topic: string, payload: Uint8Array) => Promise<void> | undefined | void;
}

export interface RulesMqtt {
  connected(): boolean;
  /** Every subscription granted on the current connection (false while the broker refuses one). */
  subscribed(): boolean;
  refusedSubscriptions(): string[];
  /** Resolves on PUBACK (QoS 1). */
  publishJson(topic: string, body: string): Promise<void>;
  stop(): Promise<void>;
}

/** Strips `$share/{group}/` so handlers see the real topic. */
export function realTopic(topic: string): string {
  return topic.startsWith('$share/') ? topic.split('/').slice(2).join('/') : topic;
}

export function connectRulesMqtt(o: RulesMqttOptions): RulesMqtt {
  let stopping = false;
  const client: MqttClient = mqtt.connect(o.brokerUrl, {
    clientId: o.clientId, clean: false, username: o.username, password: o.password, protocolVersion: 4,
    reconnectPeriod: 500, reconnectOnConnackError: true, connectTimeout: 10_000,
  });
  reconnectWithBackoff(client, new Backoff(500, 30_000));
  const shared = (t: string) => sharedTopic(o.shareGroup, t);
  // Gateway events carry no gateway in the topic: every member hears all of them and acts on its own gateways.
  const subscriptions = [shared(topics.allBatches), shared(topics.allStatus), topics.gatewayEvents];

  client.on('connect', (connack) => {
    o.log.info({ brokerUrl: o.brokerUrl, sessionPresent: connack.sessionPresent, subscriptions }, 'rules: connected to broker');
  });
  const subscription = subscribeTracked(client, subscriptions, o.log, 'rules');
  let storing: Promise<void> | undefined;
  client.on('message', (topic, payload) => {
    const p = o.onMessage(realTopic(topic), payload);
    storing = p instanceof Promise ? p : undefined;
  });
  let ledger: AckLedger | undefined;
  let unacked = 0;
  let held: ((err?: Error) => void) | undefined;
  client.handleMessage = (packet, callback) => {
    const p = storing;
    storing = undefined;
    const stream = client.stream as unknown as Duplex;
    if (ledger === undefined || ledger.stream !== stream) ledger = new AckLedger(stream);
    const acks = ledger;
    const position = acks.push(packet.qos > 0 ? packet.messageId : undefined);
    unacked += 1;
    const settle = () => {
      unacked -= 1;
      acks.settle(position);
      if (held !== undefined && unacked < MAX_UNACKED) {
        const release = held;
        held = undefined;
        release(PUBACK_DEFERRED);
      }
    };
    if (!p) settle();
    else {
      p.then(settle, (err: unknown) => {
        unacked -= 1;
        o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'rules: batch not stored, not acknowledged (the broker sends it again)');
        // No PUBACK: dropping the connection makes the broker resend it on the next session (MQTT 3.1.1 §4.4); later PUBACKs of this socket are never sent.
        if (!stream.destroyed) stream.destroy();
        if (held !== undefined) {
          const release = held;
          held = undefined;
          release(PUBACK_DEFERRED);
        }
      });
    }
    if (unacked >= MAX_UNACKED) held = callback;
    else callback(PUBACK_DEFERRED);
  };
  client.on('error', (err) => {
    const code = (err as { code?: unknown }).code;
    o.log.error({ brokerUrl: o.brokerUrl, code, err: err.message }, isMqttAuthRefusal(err) ? 'rules: broker rejected the credentials (check the rules service account in the broker users file); retrying' : 'rules: broker connection error');
  });
  client.on('close', () => {
    // The old socket's packet pump ends; the broker redelivers what it did not acknowledge.
    ledger = undefined;
    if (held !== undefined) {
      const release = held;
      held = undefined;
      release(PUBACK_DEFERRED);
    }
    if (!stopping) o.log.warn({ brokerUrl: o.brokerUrl }, 'rules: broker connection closed, retrying with backoff');
  });

  return {
    connected: () => client.connected,
    subscribed: () => subscription.active(),
    refusedSubscriptions: () => subscription.refused(),
    async publishJson(topic, body) {
      if (stopping) throw new Error('stopping');
      await client.publishAsync(topic, body, { qos: 1 });
    },
    async stop() {
      stopping = true;
      await client.endAsync(!client.connected);
    },
  };
}
