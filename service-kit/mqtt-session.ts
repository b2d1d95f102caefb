import type { MqttClient } from 'mqtt';
import type { Backoff } from './backoff.ts';
import type { Logger } from './logger.ts';

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

/** Whether a service's subscriptions are in place, as its /healthz reports it. */
export interface SubscriptionHealth {
  /** True once the broker granted every filter on the current connection. */
  active(): boolean;
  /** Filters the broker refused on the last SUBACK (SUBACK return code 0x80, MQTT 3.1.1 §3.9.3). */
  refused(): string[];
}

/**
 * Subscribes `filters` on every (re)connect and tracks the SUBACK: a refused
 * or failed subscription leaves the service connected but deaf, so health
 * must say so instead of staying green while nothing arrives.
 */
export function subscribeTracked(client: MqttClient, filters: readonly string[], log: Logger, what: string): SubscriptionHealth {
  let granted = false;
  let refused: string[] = [];
  const subscribe = (): void => {
    granted = false;
    client.subscribe([...filters], { qos: 1 }, (err, grants) => {
      if (err) {
        refused = [...filters];
        log.error({ err: err.message, filters }, `${what}: subscribe failed; /healthz is false until it succeeds`);
        return;
      }
      refused = (grants ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      granted = refused.length === 0 && (grants ?? []).length === filters.length;
      if (!granted) log.error({ refused, filters }, `${what}: the broker refused a subscription (check this account's ACL); /healthz is false`);
    });
  };
  client.on('connect', subscribe);
  client.on('close', () => {
    granted = false;
  });
  if (client.connected) subscribe();
  return { active: () => granted && client.connected, refused: () => [...refused] };
}
