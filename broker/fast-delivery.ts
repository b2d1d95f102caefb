import type { AedesPublishPacket, Client } from 'aedes';
import { ConnectionGuard } from './connection-guard.ts';
import { encodeTopic, installWireFastPath, writePublish } from './wire.ts';

// QoS 0 delivery to one subscriber, in place of Aedes' own (lib/client.js
// `deliver0`). Aedes copies each message once more per subscriber (a second
// Packet), schedules the write in a setImmediate of its own, serialises it in
// five stream writes through mqtt-packet and answers the emitter from one more
// setImmediate: about a third of the broker's CPU per QoS 0 message. Here the
// same steps in the same order — MQTT 5 no-local, cluster de-duplication,
// authorizeForward — then one PUBLISH built straight into the client's
// outgoing batch (wire.ts), and the emitter's callback from one
// setImmediate shared by every delivery of the turn (still after the stack
// has unwound, which is why Aedes defers it: a synchronous callback lets the
// emitter's queue recurse).

/** What of an Aedes client this file reads or replaces (lib/client.js; not in Aedes' types). */
interface ClientInternals {
  id: string;
  connecting: boolean;
  connected: boolean;
  duplicates: Record<string, number | undefined>;
  broker: { authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null | undefined };
  deliver0(packet: AedesPublishPacket, cb: () => void): void;
  _onError(err: Error): void;
}

interface ForwardedPacket extends AedesPublishPacket {
  clientId?: string;
  nl?: boolean;
}

/** Runs callbacks on the next check phase, all from one setImmediate. */
function deferredCallbacks(): (cb: () => void) => void {
  let pending: Array<() => void> = [];
  const run = () => {
    const now = pending;
    pending = [];
    for (const cb of now) cb();
  };
  return (cb) => {
    if (pending.length === 0) setImmediate(run);
    pending.push(cb);
  };
}

const later = deferredCallbacks();

/**
 * Replaces the client's QoS 0 delivery and has its PUBLISH and PUBACK
 * packets written by wire.ts; call right after `aedes.handle()`, before any
 * SUBSCRIBE is read (Aedes keeps the function a subscription was made with).
 * Clients on another kind of stream keep Aedes' own.
 */
export function installFastDelivery(client: Client): void {
  installWireFastPath();
  const c = client as unknown as ClientInternals;
  const guard = client.conn;
  if (!(guard instanceof ConnectionGuard)) return;
  c.deliver0 = (packet: ForwardedPacket, cb: () => void) => {
    // MQTT 5 no-local; Aedes 1.x speaks 3.1.1, kept as Aedes has it.
    if (packet.nl && packet.clientId === c.id) return later(cb);
    // Cluster de-duplication (Aedes' dedupe): one message seen twice through the emitter goes out once.
    const from = packet.brokerId;
    if (from) {
      const counter = packet.brokerCounter;
      if ((c.duplicates[from] ?? 0) >= counter) return later(cb);
      c.duplicates[from] = counter;
    }
    const out = c.broker.authorizeForward(client, packet);
    if (out) {
      if (c.connecting || c.connected) {
        const payload = Buffer.isBuffer(out.payload) ? out.payload : Buffer.from(out.payload);
        writePublish(guard, encodeTopic(out.topic), payload, 0, false, out.retain, 0);
      } else {
        c._onError(new Error('connection closed'));
      }
    }
    later(cb);
  };
}
