import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../proto/index.ts';
import { Backoff, isMqttAuthRefusal, reconnectWithBackoff, sharedTopic, subscribeTracked, type Logger, type MqttServiceAccount } from '../service-kit/index.ts';

// The rules service's MQTT session. Delivery: at-least-once — a persistent
// session (clean: false) and QoS 1; the message handler is synchronous
// (evaluation and SQLite writes), and mqtt.js sends PUBACK only after the
// 'message' handlers returned, so an acknowledged batch is stored. With an
// asynchronous store (PostgreSQL) the handler answers a Promise of its alarm
// changes; `handleMessage` (MQTT.js's hook between 'message' and PUBACK, which
// also holds the next packet) waits for it, so the PUBACK still follows COMMIT.
// With a share group, gateway topics are subscribed as `$share/{group}/…`
// (the broker keeps a gateway on one member), so rules can run partitioned.

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
  client.handleMessage = (_packet, callback) => {
    const p = storing;
    storing = undefined;
    if (!p) return callback();
    p.then(() => callback(), (err: unknown) => {
      o.log.warn({ err: err instanceof Error ? err.message : String(err) }, 'rules: batch not stored, not acknowledged (the broker sends it again)');
      // No PUBACK: dropping the connection makes the broker resend it on the next session (MQTT 3.1.1 §4.4).
      client.end(true);
    });
  };
  client.on('error', (err) => {
    const code = (err as { code?: unknown }).code;
    o.log.error({ brokerUrl: o.brokerUrl, code, err: err.message }, isMqttAuthRefusal(err) ? 'rules: broker rejected the credentials (check the rules service account in the broker users file); retrying' : 'rules: broker connection error');
  });
  client.on('close', () => {
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
