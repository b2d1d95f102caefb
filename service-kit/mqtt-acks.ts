import type { Duplex } from 'node:stream';

// Deferred PUBACKs for a QoS 1 consumer that keeps taking messages while
// earlier ones are still being made durable (ingest, rules). mqtt.js hands
// over one PUBLISH at a time and sends its PUBACK when `handleMessage` calls
// back (it has no deferred ack for MQTT 3.1.1, the only version Aedes speaks);
// so handleMessage calls back at once with PUBACK_DEFERRED — mqtt.js then
// moves on without acknowledging — and the PUBACK is written by an AckLedger
// when the message is settled, in order.

/** What handleMessage passes to mqtt.js so it moves on to the next packet without sending the PUBACK itself. */
export const PUBACK_DEFERRED = new Error('PUBACK deferred until the message is durable');

/** PUBACK, MQTT 3.1.1 §3.4: fixed header 0x40, remaining length 2, packet id (also a valid MQTT 5 PUBACK, §3.4.2.1). */
function pubackBytes(messageId: number): Buffer {
  return Buffer.from([0x40, 0x02, messageId >> 8, messageId & 0xff]);
}

/**
 * The acknowledgements still owed on one connection, in the order the
 * PUBLISHes arrived: a PUBACK goes out when a message and every message
 * before it are settled (MQTT 3.1.1 §4.6: PUBACKs in the order of the
 * PUBLISHes). Bound to its socket: after a reconnect the broker redelivers
 * whatever was not acknowledged, and stale ids are never sent on a new socket.
 */
export class AckLedger {
  private readonly entries: Array<{ messageId: number | undefined; settled: boolean }> = [];
  private head = 0;
  /** Position of entries[0]: positions stay valid when settled entries are compacted away. */
  private base = 0;

  constructor(readonly stream: Duplex) {}

  get oldest(): number | undefined {
    return this.head < this.entries.length ? this.base + this.head : undefined;
  }

  push(messageId: number | undefined): number {
    this.entries.push({ messageId, settled: false });
    return this.base + this.entries.length - 1;
  }

  settle(position: number): void {
    const entry = this.entries[position - this.base];
    if (entry === undefined) return;
    entry.settled = true;
    for (let next = this.entries[this.head]; next !== undefined && next.settled; next = this.entries[this.head]) {
      this.head += 1;
      if (next.messageId !== undefined && !this.stream.destroyed) this.stream.write(pubackBytes(next.messageId));
    }
    // Compact now and then instead of shifting on every ack.
    if (this.head > 4096 && this.head * 2 > this.entries.length) {
      this.entries.splice(0, this.head);
      this.base += this.head;
      this.head = 0;
    }
  }
}
