import { createRequire } from 'node:module';
import type { AedesPublishPacket, Client } from 'aedes';
import { ConnectionGuard } from './connection-guard.ts';
import { encodeTopic, installWireFastPath, writePublish } from './wire.ts';

// Delivery to one subscriber, in place of Aedes' own (lib/client.js
// `deliver0`, `deliverQoS`). Aedes copies each message once more per
// subscriber (a second Packet), schedules the write in a setImmediate of its
// own, serialises it through mqtt-packet and answers the emitter from one
// more setImmediate: about a third of the broker's CPU per QoS 0 message, a
// fifth or so per QoS 1 message (BENCHMARKS.md, broker-throughput's profile
// notes). Here the same steps in the same order —
// MQTT 5 no-local, cluster de-duplication, authorizeForward, for QoS 1/2 the
// packet id, the downgrade to the subscription's QoS and, for a persistent
// session, outgoingUpdate before the write — then one PUBLISH built straight
// into the client's outgoing batch (wire.ts), and the emitter's callback from
// one setImmediate shared by every delivery of the turn (still after the
// stack has unwound, which is why Aedes defers it: a synchronous callback
// lets the emitter's queue recurse), or after 'drain' when the socket is
// full (back-pressure, as Aedes does). At least once is Aedes' own: a clean
// session keeps no copy of what is in flight (Aedes keeps none either), a
// persistent one has the message in its queue before this runs
// (enqueueOffline) and the packet id recorded by outgoingUpdate before the
// PUBLISH leaves, so its PUBACK clears it and a reconnect resends it.

/** What of an Aedes client this file reads or replaces (lib/client.js; not in Aedes' types). */
interface ClientInternals {
  id: string;
  clean: boolean;
  version: number | null;
  connecting: boolean;
  connected: boolean;
  errored: boolean;
  _nextId: number;
  duplicates: Record<string, number | undefined>;
  subscriptions: Record<string, { qos?: number } | undefined>;
  broker: {
    authorizeForward(client: Client, packet: AedesPublishPacket): AedesPublishPacket | null | undefined;
    persistence: {
      outgoingUpdate(client: Client, packet: object): Promise<unknown>;
      outgoingClearMessageId(client: Client, packet: object): Promise<unknown>;
    };
  };
  deliver0(packet: AedesPublishPacket, cb: () => void): void;
  deliverQoS(packet: AedesPublishPacket, cb: () => void): void;
  waitForDrain(cb: (err: Error | null) => void): void;
  emit(event: 'error', err: Error): boolean;
  _onError(err: Error): void;
}

interface ForwardedPacket extends AedesPublishPacket {
  clientId?: string;
  nl?: boolean;
}

/** Aedes' Packet (aedes-packet, the very module Aedes imports): the copy a persistent session's queue keeps. */
type PacketConstructor = new (original: object, broker: object) => AedesPublishPacket & { messageId?: number };
const Packet = createRequire(createRequire(import.meta.url).resolve('aedes'))('aedes-packet') as PacketConstructor;

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
const EMPTY = Buffer.alloc(0);
const noop = () => undefined;

function payloadOf(packet: AedesPublishPacket): Buffer {
  const p: unknown = packet.payload;
  return Buffer.isBuffer(p) ? p : p === undefined || p === null ? EMPTY : Buffer.from(p as string);
}

/**
 * Replaces the client's QoS 0 and QoS 1/2 delivery and has its PUBLISH and
 * PUBACK packets written by wire.ts; call right after `aedes.handle()`,
 * before any SUBSCRIBE is read (Aedes keeps the function a subscription was
 * made with). Clients on another kind of stream keep Aedes' own.
 */
export function installFastDelivery(client: Client): void {
  installWireFastPath();
  const c = client as unknown as ClientInternals;
  const guard = client.conn;
  if (!(guard instanceof ConnectionGuard)) return;

  /** MQTT 5 no-local and cluster de-duplication (Aedes' getToForwardPacket), then authorizeForward; null: not for this client. */
  const toForward = (packet: ForwardedPacket): AedesPublishPacket | null => {
    // MQTT 5 no-local; Aedes 1.x speaks 3.1.1, kept as Aedes has it.
    if (packet.nl && packet.clientId === c.id) return null;
    // Cluster de-duplication (Aedes' dedupe): one message seen twice through the emitter goes out once.
    const from = packet.brokerId;
    if (from) {
      const counter = packet.brokerCounter;
      if ((c.duplicates[from] ?? 0) >= counter) return null;
      c.duplicates[from] = counter;
    }
    return c.broker.authorizeForward(client, packet) ?? null;
  };

  c.deliver0 = (packet: ForwardedPacket, cb: () => void) => {
    const out = toForward(packet);
    if (out) {
      if (c.connecting || c.connected) {
        writePublish(guard, encodeTopic(out.topic), payloadOf(out), 0, false, out.retain, 0);
      } else {
        c._onError(new Error('connection closed'));
      }
    }
    later(cb);
  };

  /** Aedes' write() + writeQoS(): an error closes the client; the emitter hears back after the write, or after 'drain'. */
  const sendQoS = (topic: string, payload: Buffer, qos: number, dup: boolean, retain: boolean, messageId: number, cb: () => void): void => {
    if (!(c.connecting || c.connected)) {
      later(() => {
        c.emit('error', new Error('connection closed'));
        cb();
      });
      return;
    }
    const written = writePublish(guard, encodeTopic(topic), payload, qos, dup, retain, messageId);
    if (!written && !c.errored) {
      c.waitForDrain((err) => {
        if (err) c.emit('error', err);
        cb();
      });
      return;
    }
    later(cb);
  };

  const aedesDeliverQoS = c.deliverQoS;
  c.deliverQoS = (packet: ForwardedPacket, cb: () => void) => {
    // Aedes 1.x speaks MQTT 3.1/3.1.1 (versions 3, 4); anything else keeps Aedes' own path.
    if (c.version !== 4 && c.version !== 3) return aedesDeliverQoS(packet, cb);
    if (packet.qos === 0) return c.deliver0(packet, cb);
    const out = toForward(packet);
    if (!out) {
      // As Aedes: a persistent session's queued copy of a message it will not get is cleared.
      if (c.clean === false) c.broker.persistence.outgoingClearMessageId(client, packet).then(noop, noop);
      return later(cb);
    }
    // QoSPacket: a fresh packet id (MQTT-2.3.1-1) unless the packet has one; ids cycle 1..65535.
    let messageId = (out as { messageId?: number }).messageId;
    if (!messageId) {
      messageId = c._nextId;
      c._nextId = c._nextId >= 65535 ? 1 : c._nextId + 1;
    }
    // Downgraded to the QoS of a subscription to exactly this topic, as Aedes does (wildcard subscriptions chose deliver0/deliverQoS at SUBSCRIBE).
    let qos: number = out.qos;
    const sub = c.subscriptions[out.topic];
    if (sub && (sub.qos ?? 0) < qos) qos = sub.qos ?? 0;
    const dup = out.dup === true;
    const payload = payloadOf(out);
    if (c.clean || out.retain) {
      // Aedes keeps no copy for a clean session (nor for a retained message sent on SUBSCRIBE): written and forgotten.
      sendQoS(out.topic, payload, qos, dup, out.retain, messageId, cb);
      return;
    }
    // Persistent session: its queue entry gets the packet id before the PUBLISH leaves, so the PUBACK finds it.
    const stored = new Packet(out, c.broker);
    stored.messageId = messageId;
    stored.qos = qos as 0 | 1 | 2;
    const topic = out.topic;
    const retain = out.retain;
    c.broker.persistence.outgoingUpdate(client, stored).then(
      () => sendQoS(topic, payload, qos, dup, retain, messageId, cb),
      (err: Error) => {
        c.emit('error', err);
        cb();
      },
    );
  };
}
