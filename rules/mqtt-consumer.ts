import mqtt, { type MqttClient } from 'mqtt';
import { topics } from '../proto/index.ts';
import { Backoff, isMqttAuthRefusal, reconnectWithBackoff, toError, type Logger } from '../service-kit/index.ts';

// The rules service's MQTT session. Delivery: at-least-once — a persistent
// session (clean: false) and QoS 1; the message handler is synchronous
// (evaluation and SQLite writes), and mqtt.js sends PUBACK only after the
// 'message' handlers returned, so an acknowledged batch is stored.

export interface RulesMqttOptions {
  brokerUrl: string;
  username: string;
  password: string;
  clientId: string;
  log: Logger;
  onBatch: (topic: string, payload: Uint8Array) => void;
  /** Called with a reason when the publish of an event fails. */
  onPublishFailed: (reason: string) => void;
}

export interface RulesMqtt {
  connected(): boolean;
  publishJson(topic: string, body: unknown, onDone: (ok: boolean) => void): void;
  stop(): Promise<void>;
}

export function connectRulesMqtt(o: RulesMqttOptions): RulesMqtt {
  let stopping = false;

  const client: MqttClient = mqtt.connect(o.brokerUrl, {
    clientId: o.clientId,
    clean: false,
    username: o.username,
    password: o.password,
    protocolVersion: 4,
    reconnectPeriod: 500,
    // Refused credentials are retried too: an operator may be fixing the users file.
    reconnectOnConnackError: true,
    connectTimeout: 10_000,
  });
  reconnectWithBackoff(client, new Backoff(500, 30_000));

  client.on('connect', (connack) => {
    o.log.info({ brokerUrl: o.brokerUrl, sessionPresent: connack.sessionPresent }, 'rules: connected to broker');
    client.subscribe(topics.allBatches, { qos: 1 }, (err, granted) => {
      if (err) o.log.error({ err: toError(err).message }, 'rules: subscribe failed');
      else if (granted?.some((g) => g.qos > 2)) o.log.error({ granted }, 'rules: broker refused the subscription (check the ACL)');
    });
  });
  client.on('message', (topic, payload) => o.onBatch(topic, payload));
  client.on('error', (err) => {
    const code = (err as { code?: unknown }).code;
    o.log.error({ brokerUrl: o.brokerUrl, code, err: err.message }, isMqttAuthRefusal(err) ? 'rules: broker rejected the credentials (check the rules service account in the broker users file); retrying' : 'rules: broker connection error');
  });
  client.on('close', () => {
    if (!stopping) o.log.warn({ brokerUrl: o.brokerUrl }, 'rules: broker connection closed, retrying with backoff');
  });

  return {
    connected: () => client.connected,
    publishJson(topic, body, onDone) {
      client.publish(topic, JSON.stringify(body), { qos: 1 }, (err) => {
        if (err) {
          o.onPublishFailed(stopping ? 'stopping' : 'publish-error');
          o.log.warn({ topic, err: err.message }, 'rules: alarm event not published');
        }
        onDone(!err);
      });
    },
    async stop() {
      stopping = true;
      // Graceful when connected (in-flight events finish), forced otherwise so stop never hangs.
      await client.endAsync(!client.connected);
    },
  };
}
