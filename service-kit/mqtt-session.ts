import type { MqttClient } from 'mqtt';
import type { Backoff } from './backoff.ts';

// What every MQTT client of the platform (gateway agent, ingest, rules) does
// the same way when its broker session drops or refuses it.

/** CONNACK codes meaning "credentials refused": 4/5 (MQTT 3.1.1 §3.2.2.3) and 134/135 (MQTT 5). */
const AUTH_REFUSED = new Set([4, 5, 134, 135]);

/** True when an mqtt.js 'error' is the broker refusing the username/password. */
export function isMqttAuthRefusal(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null ? (err as { code?: unknown }).code : undefined;
  return typeof code === 'number' && AUTH_REFUSED.has(code);
}

/**
 * mqtt.js retries at a fixed `reconnectPeriod`; this makes each retry wait
 * longer (jittered backoff) until a connect succeeds. It keeps mqtt.js' own
 * reconnect, because `client.reconnect()` drops the QoS 1 packets it still
 * holds. Connect with `reconnectOnConnackError: true` so refused credentials
 * are retried too (an operator may be fixing the users file).
 */
export function reconnectWithBackoff(client: MqttClient, backoff: Backoff): void {
  const firstPeriod = client.options.reconnectPeriod ?? 1000;
  client.on('reconnect', () => {
    client.options.reconnectPeriod = backoff.next();
  });
  client.on('connect', () => {
    backoff.reset();
    client.options.reconnectPeriod = firstPeriod;
  });
}

/** How a platform service (ingest, rules, the console feed) logs in to the broker. */
export interface MqttServiceAccount {
  brokerUrl: string;
  username: string;
  password: string;
  /** MQTT client id; fixed so a persistent session survives restarts (each service has its default). */
  clientId?: string;
  /** Run as one member of a group: gateway topics are subscribed as `$share/{group}/…` and the broker keeps a gateway on one member. */
  shareGroup?: string;
}

/** `topic`, or its `$share/{group}/…` form when the service runs in a share group. */
export function sharedTopic(shareGroup: string | undefined, topic: string): string {
  return shareGroup ? `$share/${shareGroup}/${topic}` : topic;
}
