import type { Client } from 'aedes';
import { topics, type GatewayConnectionEvent } from '../proto/index.ts';
import type { Clock, Logger } from '../service-kit/index.ts';

export type DisconnectReason = 'client' | 'error' | 'timeout' | 'takeover';

interface Connection {
  gatewayId: string;
  seq: number;
}

/**
 * Publishes `GatewayConnectionEvent`s (QoS 1, not retained) on
 * `tz/v1/events/gateway` for the rules engine's offline detection.
 *
 * Ordering: `connectionSeq` is the connection's start time in milliseconds
 * since the epoch, bumped so it strictly increases per client id on this
 * node — it therefore also increases across broker restarts and, with clocks
 * in sync (NTP), across the nodes of a cluster. A disconnect always carries the
 * number of the connection that ended. When a reconnect races the old socket's
 * close (Aedes can report the old close after the new connect), the old
 * connection's disconnect is still published, with its older number and
 * reason `takeover`: consumers keep the event with the highest number per
 * client id and ignore anything older (proto/events.ts).
 */
export class GatewayConnectionEvents {
  private readonly connections = new WeakMap<Client, Connection>();
  /** Latest connection number per client id (bounded by the number of gateways). */
  private readonly latest = new Map<string, number>();
  private readonly reasons = new WeakMap<Client, DisconnectReason>();

  constructor(
    private readonly deps: {
      brokerId: string;
      clock: Clock;
      log: Logger;
      publish: (event: GatewayConnectionEvent) => void;
      /** Called with the state a gateway is in after each event (for the `connected` gauge): a stale disconnect does not call it. */
      onState: (gatewayId: string, connected: boolean) => void;
    },
  ) {}

  connected(client: Client, gatewayId: string): void {
    const now = this.deps.clock.now();
    const seq = Math.max(now, (this.latest.get(client.id) ?? 0) + 1);
    this.latest.set(client.id, seq);
    this.connections.set(client, { gatewayId, seq });
    this.deps.onState(gatewayId, true);
    this.deps.publish({ type: 'connected', gatewayId, clientId: client.id, brokerId: this.deps.brokerId, connectionSeq: seq, at: new Date(now).toISOString() });
  }

  /** The cause of a coming disconnect, when known before Aedes reports it (keepalive timeout, protocol error). */
  noteReason(client: Client, reason: DisconnectReason): void {
    if (!this.reasons.has(client)) this.reasons.set(client, reason);
  }

  disconnected(client: Client, sawDisconnectPacket: boolean): void {
    const connection = this.connections.get(client);
    if (!connection) return; // not a gateway, or never got as far as connected
    this.connections.delete(client);
    const stale = (this.latest.get(client.id) ?? 0) > connection.seq;
    const reason: DisconnectReason = stale ? 'takeover' : this.reasons.get(client) ?? (sawDisconnectPacket ? 'client' : 'error');
    if (!stale) this.deps.onState(connection.gatewayId, false);
    this.deps.publish({
      type: 'disconnected',
      gatewayId: connection.gatewayId,
      clientId: client.id,
      brokerId: this.deps.brokerId,
      connectionSeq: connection.seq,
      reason,
      at: new Date(this.deps.clock.now()).toISOString(),
    });
  }
}

export const GATEWAY_EVENTS_TOPIC = topics.gatewayEvents;
