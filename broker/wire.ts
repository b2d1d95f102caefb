import { createRequire } from 'node:module';
import { ConnectionGuard } from './connection-guard.ts';

// The packets a broker writes by the hundred thousand — PUBLISH to
// subscribers and PUBACK to publishers — serialised in one piece straight
// into the client's outgoing batch (connection-guard.ts). mqtt-packet writes
// each packet as five or six separate stream writes (header, length, topic
// length, topic, packet id, payload), each through the stream's machinery:
// about as much CPU per QoS 1 message as all of Aedes' own handling. Aedes
// writes every packet through `mqtt.writeToStream(packet, client.conn)`
// (lib/write.js); that one function of mqtt-packet is wrapped so a
// ConnectionGuard takes these packets here, byte for byte what mqtt-packet
// writes for MQTT 3.1.1 (§3.3 PUBLISH, §3.4–3.7 PUBACK/PUBREC/PUBREL/PUBCOMP);
// every other packet, any other stream, MQTT 5 and anything unusual go to
// mqtt-packet as before.

const MAX_TOPIC_CACHE = 4096;
const topicBytes = new Map<string, Buffer>();

/** UTF-8 bytes of a topic; a broker sees a bounded set of topics again and again. */
export function encodeTopic(topic: string): Buffer {
  let bytes = topicBytes.get(topic);
  if (bytes === undefined) {
    if (topicBytes.size >= MAX_TOPIC_CACHE) topicBytes.clear();
    bytes = Buffer.from(topic, 'utf8');
    topicBytes.set(topic, bytes);
  }
  return bytes;
}

/** Bytes of MQTT's variable length integer for `n` (§2.2.3). */
function lengthBytes(n: number): number {
  return n < 128 ? 1 : n < 16_384 ? 2 : n < 2_097_152 ? 3 : 4;
}

/**
 * Writes a PUBLISH into `guard`'s batch (§3.3: fixed header with DUP, QoS,
 * RETAIN; remaining length; topic; packet id when QoS > 0; payload) and
 * returns what a stream write returns (false: wait for 'drain').
 */
export function writePublish(guard: ConnectionGuard, topic: Buffer, payload: Buffer, qos: number, dup: boolean, retain: boolean, messageId: number): boolean {
  const remaining = 2 + topic.length + (qos > 0 ? 2 : 0) + payload.length;
  const size = 1 + lengthBytes(remaining) + remaining;
  let i = guard.reservePacket(size);
  if (i < 0) return false;
  const into = guard.outgoingSlab;
  into[i++] = 0x30 | (dup ? 0x08 : 0) | (qos << 1) | (retain ? 0x01 : 0);
  let n = remaining;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    into[i++] = byte;
  } while (n > 0);
  into[i++] = topic.length >> 8;
  into[i++] = topic.length & 0xff;
  topic.copy(into, i);
  i += topic.length;
  if (qos > 0) {
    into[i++] = messageId >> 8;
    into[i++] = messageId & 0xff;
  }
  payload.copy(into, i);
  return guard.tookPacket(qos === 0 ? 'qos0-publish' : dup ? 'other' : 'new-qos-publish');
}

/** PUBACK 0x40, PUBREC 0x50, PUBREL 0x62 (§3.6.1: flags 0010), PUBCOMP 0x70: two bytes of packet id. */
const ACK_HEADERS: Readonly<Record<string, number>> = { puback: 0x40, pubrec: 0x50, pubrel: 0x62, pubcomp: 0x70 };

function writeAck(guard: ConnectionGuard, header: number, messageId: number): boolean {
  let i = guard.reservePacket(4);
  if (i < 0) return false;
  const into = guard.outgoingSlab;
  into[i++] = header;
  into[i++] = 2;
  into[i++] = messageId >> 8;
  into[i] = messageId & 0xff;
  return guard.tookPacket('other');
}

interface WirePacket {
  cmd?: string;
  topic?: unknown;
  payload?: unknown;
  qos?: number;
  dup?: boolean;
  retain?: boolean;
  messageId?: unknown;
  properties?: unknown;
}

type WriteToStream = (packet: WirePacket, stream: unknown, opts?: { protocolVersion?: number }) => boolean;

/** Writes `packet` here when it is a PUBLISH or an acknowledgement we serialise; null: leave it to mqtt-packet. */
function writeFast(packet: WirePacket, guard: ConnectionGuard): boolean | null {
  if (packet.properties !== undefined) return null; // MQTT 5
  const id = packet.messageId;
  if (packet.cmd === 'publish') {
    const qos = packet.qos ?? 0;
    if (typeof packet.topic !== 'string' || packet.topic.length === 0 || (qos !== 0 && qos !== 1 && qos !== 2)) return null;
    if (qos > 0 && (typeof id !== 'number' || id < 1 || id > 0xffff)) return null;
    const payload = packet.payload === undefined || packet.payload === null ? EMPTY : Buffer.isBuffer(packet.payload) ? packet.payload : typeof packet.payload === 'string' ? Buffer.from(packet.payload) : null;
    if (payload === null) return null;
    return writePublish(guard, encodeTopic(packet.topic), payload, qos, packet.dup === true, packet.retain === true, typeof id === 'number' ? id : 0);
  }
  const header = packet.cmd === undefined ? undefined : ACK_HEADERS[packet.cmd];
  if (header === undefined || typeof id !== 'number' || id < 0 || id > 0xffff) return null;
  return writeAck(guard, header, id);
}

const EMPTY = Buffer.alloc(0);
let installed = false;

/** Wraps mqtt-packet's writeToStream (once per process) so ConnectionGuard streams get the fast path. */
export function installWireFastPath(): void {
  if (installed) return;
  installed = true;
  // The very mqtt-packet module Aedes imports (its `default` is this CommonJS exports object).
  const require = createRequire(createRequire(import.meta.url).resolve('aedes'));
  const mqttPacket = require('mqtt-packet') as { writeToStream: WriteToStream };
  const original = mqttPacket.writeToStream;
  mqttPacket.writeToStream = (packet, stream, opts) => {
    if (stream instanceof ConnectionGuard && (opts?.protocolVersion ?? 4) < 5) {
      const written = writeFast(packet, stream);
      if (written !== null) return written;
    }
    return original(packet, stream, opts);
  };
}
