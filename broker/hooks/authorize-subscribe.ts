import type { Client, Subscription } from 'aedes';
import type { Logger } from '../../service-kit/index.ts';
import { checkSubscribe } from '../acl.ts';
import type { BrokerMetrics } from '../metrics.ts';
import { addressOf, type BrokerSessions } from '../sessions.ts';

interface Deps { sessions: BrokerSessions; metrics: BrokerMetrics; log: Logger }

/** A refused subscription is answered with granted QoS 0x80 (MQTT 3.1.1 §3.9.3); the client stays connected. */
export function authorizeSubscribeHook({ sessions, metrics, log }: Deps) {
  return (client: Client, subscription: Subscription, callback: (error: Error | null, subscription?: Subscription | null) => void): void => {
    const who = sessions.get(client);
    const denial = who ? checkSubscribe(who, subscription.topic) : 'not-allowed';
    if (denial === null) return callback(null, subscription);
    metrics.deniedSubscriptions.inc({ reason: denial });
    metrics.counts.deniedSubscriptions += 1;
    log.warn({ clientId: client.id, address: addressOf(client), filter: subscription.topic, reason: denial }, 'subscription refused');
    callback(null, null);
  };
}
