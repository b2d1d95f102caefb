import { createRequire } from 'node:module';
import type { Client } from 'aedes';
import { remainingLengthAt } from './remaining-length.ts';

// The PUBLISH packets a broker reads by the hundred thousand (and the PUBACKs
// of QoS 1 subscribers), parsed straight
// from the chunk Aedes read. mqtt-packet's parser appends each chunk to a `bl`
// buffer list, walks a four-state machine per packet with about a dozen
// `debug()` calls (each costs even when debugging is off), reads every byte
// through the list's offset lookup and copies what spans two buffers: about a
// third of the broker's CPU per QoS 0 message. Here a chunk's leading run of
// whole, well-formed PUBLISH packets (§3.3: fixed header, remaining length,
// topic, packet id when QoS > 0; MQTT 5: an empty property list) becomes the
// very packet objects mqtt-packet builds (its Packet class, the same fields
// set in the same order, the payload a view of the chunk as `bl` gives it),
// emitted as the same 'packet' events on the client's parser, in order.
// Everything from the first byte this does not take — a partial packet, any
// other packet type, anything malformed or unusual — goes to mqtt-packet
// untouched, which rejects what it rejected before. A chunk that starts with
// the rest of a packet mqtt-packet holds gives it just those bytes first, so
// packets never change order and a cut packet does not send every later
// chunk the slow way.

/** mqtt-packet's Parser, as much of it as this file reads or replaces. */
interface MqttParser {
  settings: { protocolVersion?: number };
  error: Error | null;
  packet: { cmd: string | null; qos: number; length: number };
  _list: { length: number; get(index: number): number | undefined };
  _stateCounter: number;
  parse(buf: Buffer): number;
  emit(event: 'packet', packet: PublishPacketShape): boolean;
}

/** What mqtt-packet's parser gives for a PUBLISH (its Packet class plus messageId). */
export interface PublishPacketShape {
  cmd: string | null;
  retain: boolean;
  qos: number;
  dup: boolean;
  length: number;
  topic: string | null;
  payload: Buffer | null;
  messageId?: number;
}

type PacketClass = new () => PublishPacketShape;

/** First bytes of the acknowledgements taken here (mqtt-packet refuses other flag bits, so those go to it). */
const ACKS: Readonly<Record<number, string>> = { 0x40: 'puback', 0x50: 'pubrec', 0x62: 'pubrel', 0x70: 'pubcomp' };
const ACK_NAMES = new Set(Object.values(ACKS));

let packetClass: PacketClass | undefined;

/** The very Packet class of the mqtt-packet Aedes imports, so packets have the same shape whichever path made them. */
function mqttPacketClass(): PacketClass {
  if (packetClass === undefined) {
    const require = createRequire(createRequire(import.meta.url).resolve('aedes'));
    packetClass = require('mqtt-packet/packet.js') as PacketClass;
  }
  return packetClass;
}

/**
 * Has `parser` (an mqtt-packet Parser) take the leading whole PUBLISH packets
 * of each chunk itself; every other byte goes to its own parse().
 */
export function takePublishesFirst(parser: MqttParser): void {
  const Packet = mqttPacketClass();
  const slowParse = parser.parse;
  // Read again for every chunk: a parser's protocol version may be set after it was made (mqtt-packet reads it per packet).
  let v5 = parser.settings.protocolVersion === 5;
  // The last topic read, as bytes and as the string: a publisher sends to a few topics again and again, and a
  // string met before keeps its hash (the ACL cache, the topic match cache and the topic encoder all look it up).
  let lastTopic = '';
  let lastTopicBytes = Buffer.alloc(0);
  // A parse() reached from a 'packet' listener (never seen: Aedes reads the next chunk only once the stream
  // says it is readable again) waits its turn rather than cutting into the chunk being read.
  let reading = false;
  const waiting: Buffer[] = [];

  /**
   * Emits the PUBLISH or acknowledgement at `at` and returns where it ends;
   * -1 when it is not a whole, plain one (nothing emitted).
   */
  const takePacket = (buf: Buffer, at: number): number => {
    const first = buf[at] ?? 0;
    const ack = v5 ? undefined : ACKS[first];
    if (ack !== undefined) {
      // PUBACK, PUBREC, PUBREL (flags 0010), PUBCOMP of MQTT 3.1.1: remaining length 2, the packet id (§3.4–3.7).
      if (at + 4 > buf.length || buf[at + 1] !== 2) return -1;
      const packet = new Packet();
      packet.cmd = ack;
      packet.qos = (first >> 1) & 0x03; // PUBREL's flags 0010 read as QoS 1, as mqtt-packet reads them
      packet.length = 2;
      packet.messageId = ((buf[at + 2] ?? 0) << 8) | (buf[at + 3] ?? 0);
      parser.emit('packet', packet);
      return at + 4;
    }
    // §2.2: type 3; QoS 3 is malformed (§3.3.1-4), mqtt-packet reports it.
    if ((first & 0xf0) !== 0x30 || (first & 0x06) === 0x06) return -1;
    // Cut, or a fifth length byte (malformed, §2.2.3): mqtt-packet takes it and reports what it is.
    const encoded = remainingLengthAt(buf, at + 1);
    if (encoded < 0) return -1;
    const length = Math.floor(encoded / 8);
    const i = at + 1 + (encoded % 8);
    const end = i + length;
    if (end > buf.length || length < 2) return -1;
    const topicLength = ((buf[i] ?? 0) << 8) | (buf[i + 1] ?? 0);
    const topicAt = i + 2;
    let next = topicAt + topicLength;
    const qos = (first >> 1) & 0x03;
    if (next + (qos > 0 ? 2 : 0) + (v5 ? 1 : 0) > end) return -1;
    let messageId = 0;
    if (qos > 0) {
      messageId = ((buf[next] ?? 0) << 8) | (buf[next + 1] ?? 0);
      next += 2;
    }
    if (v5) {
      // MQTT 5 §3.3.2.3: only an empty property list here; mqtt-packet parses any other.
      if (buf[next] !== 0) return -1;
      next += 1;
    }
    const packet = new Packet();
    packet.cmd = 'publish';
    packet.retain = (first & 0x01) !== 0;
    packet.qos = qos;
    packet.dup = (first & 0x08) !== 0;
    packet.length = length;
    packet.topic = sameTopic(buf, topicAt, topicLength) ? lastTopic : newTopic(buf, topicAt, topicLength);
    if (qos > 0) packet.messageId = messageId;
    packet.payload = buf.subarray(next, end);
    parser.emit('packet', packet);
    return end;
  };

  const sameTopic = (buf: Buffer, at: number, length: number): boolean => {
    if (length !== lastTopicBytes.length) return false;
    for (let k = 0; k < length; k += 1) if (buf[at + k] !== lastTopicBytes[k]) return false;
    return true;
  };

  const newTopic = (buf: Buffer, at: number, length: number): string => {
    // Copied: the chunk is not kept alive by a topic that outlives its packet.
    lastTopicBytes = Buffer.from(buf.subarray(at, at + length));
    lastTopic = lastTopicBytes.toString('utf8');
    return lastTopic;
  };

  /** mqtt-packet holds nothing: no partial packet, no error to reset. */
  const idle = () => parser._list.length === 0 && parser._stateCounter === 0 && parser.error === null && parser.packet.length === -1;

  /**
   * Bytes mqtt-packet still needs to finish the packet it holds, when that
   * packet is a PUBLISH or an acknowledgement whose fields fit in its
   * remaining length once `buf` completes it; 0 when it holds none. -1
   * otherwise: it gets the whole chunk. (mqtt-packet reads a packet id that
   * does not fit from the bytes after the packet, so such a packet must see
   * them as before.) It holds a packet after its first byte (`_parseHeader`
   * never waits), in state 1 with the remaining length cut (the bytes it holds
   * are that length's first bytes) or in state 2 with the body cut.
   */
  const owed = (buf: Buffer): number => {
    if (idle()) return 0;
    if (parser.error !== null || v5) return -1;
    const held = parser._list.length;
    const byte = (k: number) => (k < held ? parser._list.get(k) ?? 0 : buf[k - held] ?? 0);
    let bodyAt = 0;
    let length = 0;
    if (parser._stateCounter === 2) {
      length = parser.packet.length;
    } else if (parser._stateCounter === 1) {
      let multiplier = 1;
      for (;;) {
        if (bodyAt === 4 || bodyAt >= held + buf.length) return -1;
        const b = byte(bodyAt);
        bodyAt += 1;
        length += (b & 0x7f) * multiplier;
        multiplier *= 128;
        if ((b & 0x80) === 0) break;
      }
    } else {
      return -1;
    }
    const debt = bodyAt + length - held;
    if (debt <= 0 || debt >= buf.length) return -1;
    const { cmd, qos } = parser.packet;
    if (cmd !== 'publish') return length === 2 && cmd !== null && ACK_NAMES.has(cmd) ? debt : -1;
    if (length < 2) return -1;
    return 2 + ((byte(bodyAt) << 8) | byte(bodyAt + 1)) + (qos > 0 ? 2 : 0) <= length ? debt : -1;
  };

  const take = (buf: Buffer): number => {
    v5 = parser.settings.protocolVersion === 5;
    let at = 0;
    let left = 0;
    const debt = owed(buf);
    if (debt < 0) return slowParse.call(parser, buf);
    if (debt > 0) {
      // A read cuts packets anywhere: mqtt-packet finishes the one it holds (an error there ends the chunk, as
      // it would have), the rest of the chunk comes here.
      left = slowParse.call(parser, buf.subarray(0, debt));
      if (!idle()) return left + buf.length - debt; // what mqtt-packet would hold, the rest of the chunk with it
      at = debt;
    }
    while (at < buf.length) {
      const end = takePacket(buf, at);
      if (end < 0) return slowParse.call(parser, buf.subarray(at));
      at = end;
    }
    return 0;
  };

  parser.parse = (buf: Buffer): number => {
    if (reading) {
      waiting.push(buf);
      return parser._list.length;
    }
    reading = true;
    try {
      let left = take(buf);
      for (let more = waiting.shift(); more !== undefined; more = waiting.shift()) left = take(more);
      return left;
    } finally {
      reading = false;
    }
  };
}

/** Aedes keeps its client's parser as `_parser` (lib/client.js); call right after `aedes.handle()`. */
export function installPublishIntake(client: Client): void {
  const parser = (client as unknown as { _parser?: MqttParser })._parser;
  if (parser && typeof parser.parse === 'function') takePublishesFirst(parser);
}
