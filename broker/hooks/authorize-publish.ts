import type { Client, PublishPacket } from 'aedes';
import type { Logger } from '../../service-kit/index.ts';
import { checkPublish } from '../acl.ts';
import type { BrokerMetrics } from '../metrics.ts';
import { addressOf, type BrokerSessions } from '../sessions.ts';

interface Deps { sessions: BrokerSessions; metrics: BrokerMetrics; log: Logger }

/**
 * A refused PUBLISH is dropped and the client disconnected: Aedes turns a
 * callback error into a close (MQTT 3.1.1 §3.3.5 allows either; 3.1.1 has no
 * negative PUBACK). Every refusal is counted by reason.
 */
export function authorizePublishHook({ sessions, metrics, log }: Deps) {
  return (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void => {
    // client is null only for a last will Aedes publishes itself after a restart.
    if (client === null) return callback(packet.topic.startsWith('$') ? new Error('$SYS topics are reserved') : null);
    const who = sessions.get(client);
    const denial = who ? checkPublish(who, packet.topic) : 'not-allowed';
    if (denial === null) return callback(null);
    metrics.deniedPublishes.inc({ reason: denial });
    metrics.counts.deniedPublishes += 1;
    log.warn({ clientId: client.id, address: addressOf(client), topic: packet.topic, reason: denial }, 'publish refused');
    callback(new Error(`publish to ${packet.topic} refused: ${denial}`));
  };
}
