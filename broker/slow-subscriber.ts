import type { AedesPublishPacket, Client } from 'aedes';
import type { Clock, Logger } from '../service-kit/index.ts';
import { ConnectionGuard } from './connection-guard.ts';
import type { BrokerCounts } from './metrics.ts';

/** Default `limits.qos0HighWaterBytes`: at 150-byte messages about 1,700 of them, tens of ms for a client that keeps up. */
export const DEFAULT_QOS0_HIGH_WATER_BYTES = 256 * 1024;

/**
 * QoS 0 to a subscriber that does not keep up: dropped, not queued.
 *
 * QoS 0 is at most once (MQTT 3.1.1 §4.3.1), so a message for a client whose
 * unsent bytes (the connection guard's buffer plus the socket's) are above
 * `highWaterBytes` is not written; it is counted in
 * `tz_broker_messages_dropped_total{reason="slow-subscriber-qos0"}` and a
 * warning is logged at most once per client per minute. Queued, those
 * messages only grow memory and the age of every later one (seconds of
 * latency under a publisher that outruns the subscriber); Mosquitto does the
 * same with `max_queued_messages`. A QoS 1/2 delivery is never dropped here:
 * its bound is `maxInflight`/`maxOutgoingBytes`, which disconnect a slow
 * consumer and leave a persistent session its unacknowledged messages. The
 * publisher's QoS decides: a QoS 1 message delivered at QoS 0 to a QoS 0
 * subscription is not dropped either (Aedes tells the hook only the
 * publisher's QoS), it counts against `maxOutgoingBytes`.
 */
export function slowSubscriberQos0(options: { highWaterBytes: number; counts: BrokerCounts; clock: Clock; log: Logger }): (client: Client, packet: AedesPublishPacket) => boolean {
  const { highWaterBytes, counts, clock, log } = options;
  const warnedAt = new WeakMap<Client, { at: number; dropped: number }>();
  return (client, packet) => {
    if (packet.qos !== 0) return false;
    const conn = client.conn;
    if (!(conn instanceof ConnectionGuard)) return false;
    const queued = conn.outgoingBytes;
    if (queued <= highWaterBytes) return false;
    // Counted here, handed to prom-client at scrape time (metrics.ts): a flood drops tens of thousands a second.
    counts.slowSubscriberQos0Drops += 1;
    counts.messagesDropped += 1;
    const now = clock.now();
    const last = warnedAt.get(client);
    if (last && now - last.at < 60_000) {
      last.dropped += 1;
    } else {
      warnedAt.set(client, { at: now, dropped: 0 });
      log.warn({ clientId: client.id, queuedBytes: queued, qos0HighWaterBytes: highWaterBytes, droppedSinceLastWarning: last?.dropped ?? 0 },
        'subscriber does not keep up: QoS 0 messages for it are dropped while its unsent bytes stay above limits.qos0HighWaterBytes');
    }
    return true;
  };
}
