import type { Client, PublishPacket } from 'aedes';
import type { Clock, Logger } from '../../service-kit/index.ts';
import { checkPublish, type BrokerIdentity } from '../acl.ts';
import { applyGrants, type Grant } from '../grants.ts';
import { countDrop, type BrokerMetrics } from '../metrics.ts';
import { PublishRateLimiter, type PublishRateOptions } from '../publish-rate.ts';
import { addressOf, type BrokerSessions } from '../sessions.ts';

interface Deps {
  sessions: BrokerSessions;
  metrics: BrokerMetrics;
  log: Logger;
  clock: Clock;
  deniedPublish: 'drop' | 'disconnect';
  publishRate: PublishRateOptions | null;
  /** The account's grants (users file + broker.yaml), read only when the role alone refuses. */
  grantsOf(who: BrokerIdentity): readonly Grant[];
}

/**
 * Topics one connection's role was allowed to publish to. checkPublish is a
 * pure function of (username, role, topic) and a client's identity never
 * changes (a users-file reload that changes the role disconnects it), so an
 * allowed topic stays allowed for the connection's life. Only allowances are
 * kept: a refusal, or an allowance that came from grants (which a reload may
 * change), is checked every time. A gateway publishes to a handful of
 * topics; past MAX_CACHED_TOPICS the set starts over, so a client cycling
 * topics costs memory for at most that many.
 */
const MAX_CACHED_TOPICS = 64;

const EMPTY = Buffer.alloc(0);

/** Where dropped publishes go: no client may subscribe under `$` outside `$SYS`, so nobody receives them. */
export const DROPPED_TOPIC = '$tzdrop';

/**
 * Topic ACL, then the per-client publish rate.
 *
 * A refused PUBLISH is dropped and counted. With `deniedPublish: drop` (the
 * default) the connection stays up and a QoS 1 publish is still acknowledged,
 * as Mosquitto does — MQTT 3.1.1 has no negative PUBACK (§3.3.5) — so one
 * misconfigured topic does not cut a gateway off from its real uplinks. With
 * `disconnect` the client is closed instead.
 *
 * Over the rate: see publish-rate.ts. Beyond the allowed delay a QoS 0 packet
 * is dropped (counted), a QoS 1/2 packet closes the connection without its
 * PUBACK, so the client sends it again after reconnecting — at-least-once holds.
 */
export function authorizePublishHook({ sessions, metrics, log, clock, deniedPublish, publishRate, grantsOf }: Deps) {
  const limiters = new WeakMap<Client, PublishRateLimiter>();
  const allowedTopics = new WeakMap<Client, Set<string>>();
  const drop = (packet: PublishPacket) => {
    packet.topic = DROPPED_TOPIC;
    packet.payload = EMPTY;
    packet.retain = false;
  };
  const authorize = (client: Client | null, packet: PublishPacket, callback: (error?: Error | null) => void): void => {
    // client is null only for a last will Aedes publishes itself after a restart.
    if (client === null) return callback(packet.topic.startsWith('$') ? new Error('$SYS topics are reserved') : null);
    const known = allowedTopics.get(client);
    if (known !== undefined && known.has(packet.topic)) return afterAcl(client, packet, callback);
    const who = sessions.get(client);
    const byRole = who ? checkPublish(who, packet.topic) : 'not-allowed';
    if (byRole === null) {
      if (known === undefined) allowedTopics.set(client, new Set([packet.topic]));
      else {
        if (known.size >= MAX_CACHED_TOPICS) known.clear();
        known.add(packet.topic);
      }
      return afterAcl(client, packet, callback);
    }
    const denial = who ? applyGrants(byRole, who, grantsOf(who), 'publish', packet.topic) : byRole;
    if (denial !== null) {
      metrics.deniedPublishes.inc({ reason: denial });
      metrics.counts.deniedPublishes += 1;
      countDrop(metrics, 'acl');
      log.warn({ clientId: client.id, address: addressOf(client), topic: packet.topic, reason: denial }, 'publish refused');
      if (deniedPublish === 'disconnect') return callback(new Error(`publish to ${packet.topic} refused: ${denial}`));
      drop(packet);
      return callback(null);
    }
    afterAcl(client, packet, callback);
  };

  function afterAcl(client: Client, packet: PublishPacket, callback: (error?: Error | null) => void): void {
    if (!publishRate) return callback(null);
    let limiter = limiters.get(client);
    if (!limiter) {
      limiter = new PublishRateLimiter(publishRate, clock);
      limiters.set(client, limiter);
    }
    const delay = limiter.reserve();
    if (delay === 0) return callback(null);
    if (delay !== null) {
      metrics.rateLimited.inc({ action: 'delayed' });
      setTimeout(() => callback(null), delay);
      return;
    }
    metrics.counts.rateLimited += 1;
    if (packet.qos === 0) {
      metrics.rateLimited.inc({ action: 'dropped' });
      countDrop(metrics, 'rate-limit');
      drop(packet);
      return callback(null);
    }
    metrics.rateLimited.inc({ action: 'disconnected' });
    log.warn({ clientId: client.id, address: addressOf(client), topic: packet.topic }, 'publish rate exceeded: connection closed, the unacknowledged message will be resent');
    callback(new Error('publish rate exceeded'));
  }

  return authorize;
}
